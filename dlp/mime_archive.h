/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mime_archive.h — text extraction from zip-based attachments: plain .zip,
 * Office Open XML (.docx .xlsx .pptx) and OpenDocument (.odt .ods .odp).
 * (Named mime_archive so that it does not shadow libarchive's <archive.h>.)
 *
 * The one place where the decoder holds a whole object: libarchive pulls,
 * the MIME parser pushes, so an archive part's decoded bytes are collected
 * (up to MIME_ARCHIVE_BUFFER_MAX) and expanded when the part ends. Every
 * expansion is bounded: member count, bytes per member, total expanded
 * bytes and the expansion ratio (zip bombs). A zip inside a zip (any member
 * that starts "PK\3\4") is expanded too, its members named
 * "<inner.zip>/<name>", with the same budgets shared across levels, down to
 * MIME_ARCHIVE_DEPTH_MAX levels. Any limit hit, a corrupt or encrypted
 * archive, or an archive nested deeper sets DLP_ANOM_BAD_ARCHIVE (the
 * verdict then reports the message unscannable).
 *
 * Member text: XML members go through the HTML/XML-to-text converter (XML
 * mode), members that look like text (no NUL in their first block) are
 * repaired as UTF-8, other members (images, binaries) are reported by name
 * only.
 */
#ifndef SMTPDLP_MIME_ARCHIVE_H
#define SMTPDLP_MIME_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIME_ARCHIVE_BUFFER_MAX (16u << 20) /* compressed bytes kept */
#define MIME_ARCHIVE_MEMBERS_MAX 1000
#define MIME_ARCHIVE_MEMBER_MAX (16u << 20)   /* expanded bytes per member */
#define MIME_ARCHIVE_EXPANDED_MAX (64u << 20) /* expanded bytes per archive */
#define MIME_ARCHIVE_RATIO_MAX 100	      /* expanded / compressed */
#define MIME_ARCHIVE_DEPTH_MAX 4	      /* archive levels opened, the outer one included */

struct mime_archive {
	uint8_t *buf; /* collected archive bytes (grown, kept across parts) */
	size_t len, cap;
	bool overflow; /* more than MIME_ARCHIVE_BUFFER_MAX: not expanded */
};

/* Callbacks for the members; names are UTF-8 as stored, NUL-terminated. */
struct mime_archive_sink {
	void (*member_begin)(void *ctx, const char *name, bool has_text);
	void (*member_text)(void *ctx, const uint8_t *data, size_t len);
	void (*member_end)(void *ctx);
};

/* Whether a part should be collected and expanded: a zip, OOXML or
 * OpenDocument content type, or application/octet-stream (or no useful
 * type) with such a file name extension. ctype lower-cased; filename may
 * be NULL. */
bool mime_archive_candidate(const char *ctype, const char *filename);

void mime_archive_init(struct mime_archive *a);

/* Forget the collected bytes (the buffer is kept for the next part). */
void mime_archive_reset(struct mime_archive *a);

void mime_archive_free(struct mime_archive *a);

/* Collect part bytes. 0; -E2BIG once over MIME_ARCHIVE_BUFFER_MAX (nothing
 * more is kept, a->overflow set); -ENOMEM. */
int mime_archive_append(struct mime_archive *a, const uint8_t *data, size_t len);

/* Expand the collected archive into the sink, at most max_members members
 * (the caller's remaining part budget). Returns enum dlp_anomaly bits, 0 when
 * everything was expanded: DLP_ANOM_PARTS past max_members,
 * DLP_ANOM_BAD_ARCHIVE for a limit, an encrypted member, corruption or a
 * resource failure. *opened is set when the bytes were a readable zip (if
 * not, the caller scans them as they are). */
uint32_t mime_archive_expand(struct mime_archive *a, const struct mime_archive_sink *sink,
			     void *ctx, unsigned max_members, bool *opened);

#endif /* SMTPDLP_MIME_ARCHIVE_H */
