/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * matcher.h — Hyperscan behind a small interface.
 *
 * Control plane: dlp_matcher_compile() builds one streaming database from a
 * list of patterns (expression, flags, id). Workers: dlp_matcher_worker_create()
 * clones the prototype scratch and opens one reusable stream; text parts are
 * scanned with dlp_matcher_scan() and finished with dlp_matcher_flush(), which
 * reports end-of-data matches and resets the stream for the next part (no
 * allocation per part). The match callback is the engine's.
 */
#ifndef SMTPDLP_DLP_MATCHER_H
#define SMTPDLP_DLP_MATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Pattern flags (a subset of Hyperscan's, same meaning). */
#define DLP_PAT_CASELESS 0x1u
#define DLP_PAT_SOM 0x2u /* report leftmost start of match */
#define DLP_PAT_UTF8 0x4u
#define DLP_PAT_DOTALL 0x8u
#define DLP_PAT_UCP 0x10u /* Unicode properties (with UTF8: case folding) */

/* Return non-zero to stop scanning this stream. `from` is 0 unless the
 * pattern was compiled with DLP_PAT_SOM. Offsets are from the stream start;
 * flags is unused (0). Same signature as Hyperscan's match_event_handler. */
typedef int (*dlp_match_fn)(unsigned id, unsigned long long from, unsigned long long to,
			    unsigned flags, void *ctx);

struct dlp_matcher;
struct dlp_matcher_worker;

/*
 * Compile n patterns into one HS_MODE_STREAM database (with a large SOM
 * horizon when any pattern has DLP_PAT_SOM). NULL on error with Hyperscan's
 * message in err and the index of the offending pattern in *bad (or -1 when
 * not pattern specific). errno is EINVAL for a pattern error, ENOMEM else.
 */
struct dlp_matcher *dlp_matcher_compile(const char *const *exprs, const unsigned *flags,
					const unsigned *ids, size_t n, char *err, size_t errlen,
					int *bad);
void dlp_matcher_free(struct dlp_matcher *m); /* NULL is a no-op */
size_t dlp_matcher_db_bytes(const struct dlp_matcher *m);
size_t dlp_matcher_stream_bytes(const struct dlp_matcher *m);

/* Per-worker state: cloned scratch + one stream. NULL + errno (ENOMEM). */
struct dlp_matcher_worker *dlp_matcher_worker_create(const struct dlp_matcher *m);
void dlp_matcher_worker_destroy(struct dlp_matcher_worker *w); /* NULL ok */

/* Scan len bytes as the continuation of the current stream.
 * 0, 1 if the callback stopped the scan, -EIO on a Hyperscan error. */
int dlp_matcher_scan(struct dlp_matcher_worker *w, const void *data, size_t len, dlp_match_fn cb,
		     void *ctx);

/* End the current stream (end-of-data matches go to cb) and start a fresh
 * one. 0 or -EIO. */
int dlp_matcher_flush(struct dlp_matcher_worker *w, dlp_match_fn cb, void *ctx);

/* Drop the current stream without reporting anything (a message was
 * abandoned mid-part) and start a fresh one. 0 or -EIO. */
int dlp_matcher_discard(struct dlp_matcher_worker *w);

/* Block-mode style helper for the benchmark: scan one buffer as a complete
 * stream (scan + flush). */
int dlp_matcher_scan_whole(struct dlp_matcher_worker *w, const void *data, size_t len,
			   dlp_match_fn cb, void *ctx);

#endif /* SMTPDLP_DLP_MATCHER_H */
