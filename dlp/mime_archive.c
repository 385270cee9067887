/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mime_archive.c — zip / OOXML / OpenDocument text extraction with libarchive
 * (see mime_archive.h for the limits and what is extracted).
 */
#include "dlp/mime_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dlp/charset.h"
#include "dlp/dlp.h"
#include "dlp/html_text.h"

#define ARCHIVE_BLOCK 65536
/* Small archives may expand this much whatever their ratio. */
#define ARCHIVE_RATIO_FLOOR (1u << 20)

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

static const char *const zip_exts[] = {
	".zip", ".docx", ".docm", ".xlsx", ".xlsm", ".pptx", ".pptm", ".odt", ".ods", ".odp", NULL,
};

static bool zip_name(const char *name)
{
	for (const char *const *e = zip_exts; *e; e++)
		if (ends_with(name, *e))
			return true;
	return false;
}

#define HAS_PREFIX(s, lit) (strncmp((s), (lit), sizeof(lit) - 1) == 0)

bool mime_archive_candidate(const char *ctype, const char *filename)
{
	if (strcmp(ctype, "application/zip") == 0 ||
	    strcmp(ctype, "application/x-zip-compressed") == 0 ||
	    strcmp(ctype, "application/x-zip") == 0 ||
	    HAS_PREFIX(ctype, "application/vnd.openxmlformats-officedocument.") ||
	    HAS_PREFIX(ctype, "application/vnd.oasis.opendocument.") ||
	    HAS_PREFIX(ctype, "application/vnd.ms-word.document.macroenabled") ||
	    HAS_PREFIX(ctype, "application/vnd.ms-excel.sheet.macroenabled"))
		return true;
	return HAS_PREFIX(ctype, "application/") && filename && zip_name(filename);
}

void mime_archive_init(struct mime_archive *a)
{
	memset(a, 0, sizeof(*a));
}

void mime_archive_reset(struct mime_archive *a)
{
	a->len = 0;
	a->overflow = false;
}

void mime_archive_free(struct mime_archive *a)
{
	free(a->buf);
	mime_archive_init(a);
}

int mime_archive_append(struct mime_archive *a, const uint8_t *data, size_t len)
{
	if (a->overflow)
		return -E2BIG;
	if (len > MIME_ARCHIVE_BUFFER_MAX - a->len) {
		a->overflow = true;
		return -E2BIG;
	}
	if (a->len + len > a->cap) {
		size_t cap = a->cap ? a->cap : 65536;
		while (cap < a->len + len)
			cap *= 2;
		if (cap > MIME_ARCHIVE_BUFFER_MAX)
			cap = MIME_ARCHIVE_BUFFER_MAX;
		uint8_t *b = realloc(a->buf, cap);
		if (!b)
			return -ENOMEM;
		a->buf = b;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, data, len);
	a->len += len;
	return 0;
}

struct ax_scratch {
	uint8_t block[ARCHIVE_BLOCK];
	uint8_t conv[CHARSET_MAX_OUT(ARCHIVE_BLOCK)];
	uint8_t text[HTML_TEXT_MAX_OUT(CHARSET_MAX_OUT(ARCHIVE_BLOCK))];
};

/* Convert and hand on one block of member text. */
static void ax_text(struct ax_scratch *s, struct charset_conv *cv, struct html_text *ht, bool xml,
		    const uint8_t *d, size_t n, bool last, const struct mime_archive_sink *sink,
		    void *ctx)
{
	size_t w = n ? charset_conv_push(cv, d, n, s->conv) : 0;
	if (last)
		w += charset_conv_finish(cv, s->conv + w);
	if (xml) {
		size_t t = html_text_push(ht, s->conv, w, s->text);
		if (last)
			t += html_text_finish(ht, s->text + t);
		if (t)
			sink->member_text(ctx, s->text, t);
	} else if (w) {
		sink->member_text(ctx, s->conv, w);
	}
}

/* One expansion: the sink, the shared budgets, the scratch blocks. */
struct ax_run {
	const struct mime_archive_sink *sink;
	void *ctx;
	struct ax_scratch *s;
	unsigned max_members, members;
	uint64_t total, limit;
};

static bool zip_magic(const uint8_t *d, size_t n)
{
	return n >= 4 && memcmp(d, "PK\3\4", 4) == 0;
}

static uint32_t ax_walk(struct ax_run *x, struct archive *ar, const char *prefix, unsigned depth,
			bool *opened);

/*
 * A member that is itself a zip (by its first bytes, whatever its name): read it
 * whole (it counts against the member and expansion budgets like any other
 * bytes) and expand it in turn, its members named "<member>/<name>". An
 * archive inside an archive is the oldest way around a scanner that opens
 * one level only; past MIME_ARCHIVE_DEPTH_MAX levels the message is
 * flagged instead of passed unread. d/n: the member's first block.
 */
static uint32_t ax_nested(struct ax_run *x, struct archive *ar, const char *path, unsigned depth,
			  la_ssize_t n)
{
	uint32_t anom = 0;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	x->sink->member_begin(x->ctx, path, false);
	x->sink->member_end(x->ctx);
	if (depth + 1 >= MIME_ARCHIVE_DEPTH_MAX)
		return DLP_ANOM_BAD_ARCHIVE;
	while (n > 0) {
		x->total += (uint64_t)n;
		if (len + (size_t)n > MIME_ARCHIVE_MEMBER_MAX || x->total > x->limit) {
			free(buf);
			return DLP_ANOM_BAD_ARCHIVE; /* bomb */
		}
		if (len + (size_t)n > cap) {
			size_t nc = cap ? cap * 2 : 65536;
			while (nc < len + (size_t)n)
				nc *= 2;
			uint8_t *b = realloc(buf, nc);
			if (b == NULL) {
				free(buf);
				return DLP_ANOM_BAD_ARCHIVE;
			}
			buf = b;
			cap = nc;
		}
		memcpy(buf + len, x->s->block, (size_t)n);
		len += (size_t)n;
		n = archive_read_data(ar, x->s->block, sizeof(x->s->block));
	}
	if (n < 0) {
		free(buf);
		return DLP_ANOM_BAD_ARCHIVE;
	}
	struct archive *in = archive_read_new();
	if (in == NULL) {
		free(buf);
		return DLP_ANOM_BAD_ARCHIVE;
	}
	archive_read_support_format_zip(in);
	bool opened = false;
	if (archive_read_open_memory(in, buf, len) == ARCHIVE_OK)
		anom |= ax_walk(x, in, path, depth + 1, &opened);
	if (!opened)
		anom |= DLP_ANOM_BAD_ARCHIVE; /* named a zip, starts like one, is not one */
	archive_read_free(in);
	free(buf);
	return anom;
}

/* The members of one (possibly nested) archive; prefix "" at the top. */
static uint32_t ax_walk(struct ax_run *x, struct archive *ar, const char *prefix, unsigned depth,
			bool *opened)
{
	const struct mime_archive_sink *sink = x->sink;
	void *ctx = x->ctx;
	struct ax_scratch *s = x->s;
	uint32_t anom = 0;
	struct archive_entry *e;
	char path[1024];

	for (;;) {
		int r = archive_read_next_header(ar, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			if (*opened)
				anom |= DLP_ANOM_BAD_ARCHIVE;
			break;
		}
		*opened = true;
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (x->members >= x->max_members) {
			anom |= DLP_ANOM_PARTS;
			break;
		}
		if (x->members >= MIME_ARCHIVE_MEMBERS_MAX) {
			anom |= DLP_ANOM_BAD_ARCHIVE;
			break;
		}
		x->members++;
		const char *name = archive_entry_pathname_utf8(e);
		if (!name)
			name = archive_entry_pathname(e);
		if (!name)
			name = "";
		if (prefix[0]) {
			snprintf(path, sizeof(path), "%s/%s", prefix, name);
			name = path;
		}
		if (archive_entry_is_encrypted(e)) {
			anom |= DLP_ANOM_BAD_ARCHIVE;
			sink->member_begin(ctx, name, false);
			sink->member_end(ctx);
			continue;
		}
		bool xml = ends_with(name, ".xml") || ends_with(name, ".html") ||
			   ends_with(name, ".htm") || ends_with(name, ".xhtml");
		la_ssize_t n = 0;
		bool text = false;
		if (!ends_with(name, ".rels")) {
			n = archive_read_data(ar, s->block, sizeof(s->block));
			if (n < 0) {
				anom |= DLP_ANOM_BAD_ARCHIVE;
				sink->member_begin(ctx, name, false);
				sink->member_end(ctx);
				break;
			}
			if (zip_magic(s->block, (size_t)n)) {
				anom |= ax_nested(x, ar, name, depth, n);
				if (x->total > x->limit)
					break;
				continue;
			}
			text = xml || !memchr(s->block, 0, (size_t)n);
		}
		sink->member_begin(ctx, name, text);
		if (!text) {
			sink->member_end(ctx);
			continue;
		}
		struct charset_conv cv;
		struct html_text ht;
		uint64_t mbytes = 0;
		bool stop = false;
		charset_conv_init(&cv, "utf-8", 5);
		html_text_init_xml(&ht);
		while (n > 0) {
			mbytes += (uint64_t)n;
			x->total += (uint64_t)n;
			if (mbytes > MIME_ARCHIVE_MEMBER_MAX || x->total > x->limit) {
				anom |= DLP_ANOM_BAD_ARCHIVE; /* bomb */
				stop = true;
				break;
			}
			ax_text(s, &cv, &ht, xml, s->block, (size_t)n, false, sink, ctx);
			n = archive_read_data(ar, s->block, sizeof(s->block));
		}
		if (n < 0) {
			anom |= DLP_ANOM_BAD_ARCHIVE;
			stop = true;
		}
		ax_text(s, &cv, &ht, xml, NULL, 0, true, sink, ctx);
		anom |= cv.anomalies & DLP_ANOM_NUL;
		charset_conv_fini(&cv);
		sink->member_end(ctx);
		if (stop)
			break;
	}
	return anom;
}

uint32_t mime_archive_expand(struct mime_archive *a, const struct mime_archive_sink *sink,
			     void *ctx, unsigned max_members, bool *opened)
{
	uint32_t anom = 0;
	struct archive *ar;
	struct ax_run x = { .sink = sink, .ctx = ctx, .max_members = max_members };

	*opened = false;
	if (a->overflow)
		return DLP_ANOM_BAD_ARCHIVE;
	x.limit = (uint64_t)a->len * MIME_ARCHIVE_RATIO_MAX;
	if (x.limit < ARCHIVE_RATIO_FLOOR)
		x.limit = ARCHIVE_RATIO_FLOOR;
	if (x.limit > MIME_ARCHIVE_EXPANDED_MAX)
		x.limit = MIME_ARCHIVE_EXPANDED_MAX;
	x.s = malloc(sizeof(*x.s));
	ar = archive_read_new();
	if (!x.s || !ar) {
		free(x.s);
		if (ar)
			archive_read_free(ar);
		return DLP_ANOM_BAD_ARCHIVE;
	}
	archive_read_support_format_zip(ar);
	if (archive_read_open_memory(ar, a->buf, a->len) == ARCHIVE_OK)
		anom |= ax_walk(&x, ar, "", 0, opened);
	if (!*opened)
		anom |= DLP_ANOM_BAD_ARCHIVE;
	archive_read_free(ar);
	free(x.s);
	return anom;
}
