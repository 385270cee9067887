/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * quarantine_store.h — the appliance's quarantine: messages held by the
 * `quarantine` action (or dlp.on_unscannable = hold), kept on disk with
 * their envelope and verdict until an operator releases (relays upstream)
 * or deletes them through the API.
 *
 * It implements struct quarantine_ops of app/quarantine.h for the SMTP
 * proxy. Two modes, chosen at open:
 *  - sync:  put() writes the message and its metadata, fsyncs both and the
 *           directory, then returns 0. The sender's 250 is then backed by
 *           disk. Blocks the calling lcore for the write (a few ms).
 *  - async: put() copies the item into one allocation and pushes it on a
 *           bounded lock-free queue (0, or -EAGAIN when full, -ENOSPC when
 *           the pending bytes would exceed max_pending_bytes); the control
 *           thread writes it with quarantine_store_drain(). The copy lives
 *           in memory until drained: a crash in between loses it, which the
 *           quarantine.h contract ("safely queued") accepts; use sync mode
 *           where that is not acceptable.
 *
 * Layout: <dir>/<id>.eml (message as received), <id>.meta (metadata lines
 * "key value" with %XX escapes, written last: an item exists once its .meta
 * does), <id>.releasing while a release is in flight. <id> is 24 lower-case
 * hex digits generated here.
 *
 * Release: quarantine_store_release() marks the item releasing and calls
 * the caller's relay function with the message; that function returns 0 when
 * it has taken the message for relaying (the daemon queues it to an io
 * lcore), after which the daemon reports the upstream's answer with
 * quarantine_store_release_done(): success deletes the item, failure puts it
 * back on hold. A releasing item cannot be released again or deleted.
 *
 * Threads: put() from any lcore; drain on the control thread; list / get /
 * release / release_done / delete from any thread (an internal mutex
 * serialises the file operations).
 */
#ifndef SMTPDLP_QUARANTINE_STORE_H
#define SMTPDLP_QUARANTINE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "app/quarantine.h"

#define QUARANTINE_ID_LEN 24

struct quarantine_store;

struct quarantine_store_params {
	const char *directory;	    /* created (one level) if missing */
	bool sync;		    /* see above */
	unsigned queue_capacity;    /* async: items pending, default 1024 */
	uint64_t max_pending_bytes; /* async: bytes pending, default 256 MiB */
	uint64_t max_bytes;	    /* total kept on disk, 0 = unbounded: put()
				     * fails with -ENOSPC beyond it */
};

/* NULL with a message in err. */
struct quarantine_store *quarantine_store_open(const struct quarantine_store_params *p, char *err,
					       size_t errlen);
/* Writes nothing more; pending async items are written first. NULL no-op. */
void quarantine_store_close(struct quarantine_store *qs);

/* The ops for the proxy; ctx is the store. */
extern const struct quarantine_ops quarantine_store_ops;

/* Store an item now (any thread), fsync'ed. The id is written to id_out
 * if not NULL. 0 or a negative errno (-ENOSPC over max_bytes). */
int quarantine_store_put(struct quarantine_store *qs, const struct quarantine_item *item,
			 char id_out[QUARANTINE_ID_LEN + 1]);

/* Control thread (async mode): write up to max pending items. Returns the
 * number written; items that fail to write are counted in *failed. */
unsigned quarantine_store_drain(struct quarantine_store *qs, unsigned max, unsigned *failed);

/* One kept message's metadata; owns its strings. */
struct quarantine_entry {
	char id[QUARANTINE_ID_LEN + 1];
	char *queue_id;
	char *mail_from;
	char **rcpts;
	size_t n_rcpts;
	char *helo;
	char *policy; /* NULL if no verdict */
	char *profile;
	char *severity;
	char *subject;
	uint64_t size;
	uint64_t received_ms;
	bool releasing;
};

void quarantine_entry_free(struct quarantine_entry *e); /* NULL is a no-op */

/* Call cb for each kept item, newest first; the entry is valid during the
 * call only. A non-zero cb return stops and is returned. Otherwise the
 * number of items, or a negative errno. */
int quarantine_store_list(struct quarantine_store *qs,
			  int (*cb)(void *arg, const struct quarantine_entry *e), void *arg);

/* Metadata (*e, caller frees) and optionally an fd open on the message
 * (caller closes). 0, -ENOENT, -EINVAL (malformed id), -errno. */
int quarantine_store_get(struct quarantine_store *qs, const char *id, struct quarantine_entry **e,
			 int *fd);

/* Relay function: take the message for relaying. msg/len are valid during
 * the call only. Returns 0 when taken, or a negative errno. */
typedef int (*quarantine_relay_fn)(void *arg, const struct quarantine_entry *e, const void *msg,
				   size_t len);

/* 0 (taken: now releasing), -ENOENT, -EINVAL, -EBUSY (already releasing),
 * the relay function's error (item stays held), -errno. */
int quarantine_store_release(struct quarantine_store *qs, const char *id, quarantine_relay_fn relay,
			     void *arg);

/* The upstream's answer for a release: ok deletes the item, !ok puts it
 * back on hold. 0, -ENOENT (not releasing). */
int quarantine_store_release_done(struct quarantine_store *qs, const char *id, bool ok);

/* 0, -ENOENT, -EINVAL, -EBUSY (releasing). */
int quarantine_store_delete(struct quarantine_store *qs, const char *id);

/* Items and bytes on disk. */
size_t quarantine_store_count(struct quarantine_store *qs);
uint64_t quarantine_store_bytes(struct quarantine_store *qs);

#endif /* SMTPDLP_QUARANTINE_STORE_H */
