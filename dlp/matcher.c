/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * matcher.c — Hyperscan streaming database, scratch cloning and a reusable
 * per-worker stream. See matcher.h.
 */
#include "dlp/matcher.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

struct dlp_matcher {
	hs_database_t *db;
	hs_scratch_t *proto; /* prototype scratch, cloned per worker */
	size_t db_bytes;
	size_t stream_bytes;
};

struct dlp_matcher_worker {
	const struct dlp_matcher *m;
	hs_scratch_t *scratch;
	hs_stream_t *stream;
};

struct dlp_matcher *dlp_matcher_compile(const char *const *exprs, const unsigned *flags,
					const unsigned *ids, size_t n, char *err, size_t errlen,
					int *bad)
{
	struct dlp_matcher *m = calloc(1, sizeof(*m));
	unsigned *hflags = calloc(n ? n : 1, sizeof(*hflags));
	hs_compile_error_t *cerr = NULL;
	unsigned mode = HS_MODE_STREAM;

	*bad = -1;
	if (!m || !hflags) {
		snprintf(err, errlen, "out of memory");
		goto nomem;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned f = 0;
		if (flags[i] & DLP_PAT_CASELESS)
			f |= HS_FLAG_CASELESS;
		if (flags[i] & DLP_PAT_UTF8)
			f |= HS_FLAG_UTF8;
		if (flags[i] & DLP_PAT_DOTALL)
			f |= HS_FLAG_DOTALL;
		if (flags[i] & DLP_PAT_UCP)
			f |= HS_FLAG_UCP;
		if (flags[i] & DLP_PAT_SOM) {
			f |= HS_FLAG_SOM_LEFTMOST;
			mode |= HS_MODE_SOM_HORIZON_LARGE;
		}
		hflags[i] = f;
	}
	if (hs_compile_multi(exprs, hflags, ids, (unsigned)n, mode, NULL, &m->db, &cerr) !=
	    HS_SUCCESS) {
		snprintf(err, errlen, "%s",
			 cerr && cerr->message ? cerr->message : "Hyperscan compile failed");
		*bad = cerr ? cerr->expression : -1;
		hs_free_compile_error(cerr);
		free(hflags);
		free(m);
		errno = EINVAL;
		return NULL;
	}
	free(hflags);
	if (hs_alloc_scratch(m->db, &m->proto) != HS_SUCCESS) {
		snprintf(err, errlen, "Hyperscan scratch allocation failed");
		hs_free_database(m->db);
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	hs_database_size(m->db, &m->db_bytes);
	hs_stream_size(m->db, &m->stream_bytes);
	return m;
nomem:
	free(hflags);
	free(m);
	errno = ENOMEM;
	return NULL;
}

void dlp_matcher_free(struct dlp_matcher *m)
{
	if (!m)
		return;
	hs_free_scratch(m->proto);
	hs_free_database(m->db);
	free(m);
}

size_t dlp_matcher_db_bytes(const struct dlp_matcher *m)
{
	return m->db_bytes;
}
size_t dlp_matcher_stream_bytes(const struct dlp_matcher *m)
{
	return m->stream_bytes;
}

struct dlp_matcher_worker *dlp_matcher_worker_create(const struct dlp_matcher *m)
{
	struct dlp_matcher_worker *w = calloc(1, sizeof(*w));

	if (!w)
		goto fail;
	w->m = m;
	if (hs_clone_scratch(m->proto, &w->scratch) != HS_SUCCESS)
		goto fail;
	if (hs_open_stream(m->db, 0, &w->stream) != HS_SUCCESS)
		goto fail;
	return w;
fail:
	dlp_matcher_worker_destroy(w);
	errno = ENOMEM;
	return NULL;
}

void dlp_matcher_worker_destroy(struct dlp_matcher_worker *w)
{
	if (!w)
		return;
	if (w->stream)
		hs_close_stream(w->stream, w->scratch, NULL, NULL);
	hs_free_scratch(w->scratch);
	free(w);
}

int dlp_matcher_scan(struct dlp_matcher_worker *w, const void *data, size_t len, dlp_match_fn cb,
		     void *ctx)
{
	while (len > 0) {
		/* Hyperscan takes unsigned int lengths. */
		unsigned n = len > (1u << 30) ? (1u << 30) : (unsigned)len;
		hs_error_t rc = hs_scan_stream(w->stream, data, n, 0, w->scratch, cb, ctx);
		if (rc == HS_SCAN_TERMINATED)
			return 1;
		if (rc != HS_SUCCESS)
			return -EIO;
		data = (const char *)data + n;
		len -= n;
	}
	return 0;
}

int dlp_matcher_flush(struct dlp_matcher_worker *w, dlp_match_fn cb, void *ctx)
{
	hs_error_t rc = hs_reset_stream(w->stream, 0, w->scratch, cb, ctx);
	return rc == HS_SUCCESS || rc == HS_SCAN_TERMINATED ? 0 : -EIO;
}

int dlp_matcher_discard(struct dlp_matcher_worker *w)
{
	return hs_reset_stream(w->stream, 0, w->scratch, NULL, NULL) == HS_SUCCESS ? 0 : -EIO;
}

int dlp_matcher_scan_whole(struct dlp_matcher_worker *w, const void *data, size_t len,
			   dlp_match_fn cb, void *ctx)
{
	int rc = dlp_matcher_scan(w, data, len, cb, ctx);
	int rc2 = dlp_matcher_flush(w, cb, ctx);
	return rc < 0 ? rc : rc2;
}
