/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * forensics.h — the forensic copies of messages that raised incidents: the
 * message exactly as received plus the match list, in a bounded directory.
 *
 * Layout: <directory>/<uid>.eml (the message) and <uid>.json (the match
 * list, the incident's details JSON), written to "*.tmp" first and renamed,
 * mode 0600. <uid> is the incident's "_id" (lower-case hex), so names never
 * come from the network. The store keeps an index ordered by time of
 * storage; when a new copy would take the total over max_bytes, the oldest
 * copies are evicted first. forensics_purge() removes copies older than
 * retention_days. On open the directory is scanned (ordered by mtime) and
 * stale "*.tmp" files are removed, so limits hold across restarts.
 *
 * The md5 helpers give the alert's `md5` field (hex of the message as
 * received), whether or not forensics are enabled. MD5 here is a content
 * fingerprint compatible with the alert format, not a security control.
 *
 * Threads: every function takes the store's mutex, so the control thread
 * stores and purges while the API thread opens copies for download. Copies
 * are not fsync'ed: losing the last forensic copies in a power cut loses no
 * mail (the incident row remains).
 */
#ifndef SMTPDLP_FORENSICS_H
#define SMTPDLP_FORENSICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <mbedtls/md5.h>

/* ---------------------------------------------------------------- md5 */

struct forensics_md5 {
	mbedtls_md5_context ctx;
};

void forensics_md5_init(struct forensics_md5 *m);
void forensics_md5_update(struct forensics_md5 *m, const void *p, size_t n);
/* Writes 32 lower-case hex digits and a NUL; releases the context. */
void forensics_md5_final(struct forensics_md5 *m, char hex[33]);
/* One shot. */
void forensics_md5_hex(const void *p, size_t n, char hex[33]);

/* -------------------------------------------------------------- store */

struct forensics_store;

struct forensics_params {
	const char *directory;	 /* created (one level) if missing */
	uint64_t max_bytes;	 /* total of .eml + .json; 0 = unbounded */
	unsigned retention_days; /* 0 = no age limit */
};

/* NULL with a message in err (EINVAL for a missing directory name). */
struct forensics_store *forensics_open(const struct forensics_params *p, char *err, size_t errlen);
void forensics_close(struct forensics_store *fs); /* NULL is a no-op; keeps files */

/*
 * Store the message (the iov pieces in order) and the match list under uid.
 * Evicts the oldest copies as needed. If md5 is not NULL the message's hex
 * md5 is written there. matches_json may be NULL (stored as "null").
 * Returns 0; -EINVAL (uid not 1..64 lower-case hex); -EEXIST; -EFBIG (the
 * copy alone exceeds max_bytes: nothing stored, md5 still computed);
 * -errno of a file operation. Evictions are counted in *evicted if not NULL.
 */
int forensics_put(struct forensics_store *fs, const char *uid, const struct iovec *iov,
		  size_t n_iov, const char *matches_json, char md5[33], unsigned *evicted);

/* Remove copies stored before now - retention_days. Returns the number
 * removed (0 when retention is off). */
unsigned forensics_purge(struct forensics_store *fs, int64_t now);

/* Remove one copy. 0, -ENOENT, -EINVAL. */
int forensics_delete(struct forensics_store *fs, const char *uid);

/* Open the stored message for reading (e.g. MHD_create_response_from_fd).
 * The caller owns *fd. 0, -ENOENT, -EINVAL, -errno. */
int forensics_open_message(struct forensics_store *fs, const char *uid, int *fd, uint64_t *size);

/* Read the match list (malloc'd, NUL-terminated; the caller frees it).
 * 0, -ENOENT, -EINVAL, -ENOMEM, -errno. */
int forensics_read_matches(struct forensics_store *fs, const char *uid, char **json, size_t *len);

/* Current totals. */
uint64_t forensics_bytes(struct forensics_store *fs);
size_t forensics_count(struct forensics_store *fs);

#endif /* SMTPDLP_FORENSICS_H */
