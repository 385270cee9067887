/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * quarantine.h — the interface between the SMTP proxy and a quarantine store.
 *
 * When a policy's action is `quarantine` (or dlp.on_unscannable is `hold`),
 * the proxy hands the message, its envelope and the verdict to a store and
 * answers the sender 250 only when the store said it kept the message (the
 * no-loss contract covers quarantined mail too). The proxy knows nothing
 * about where or how messages are kept: it calls one function through a small
 * ops table. The appliance's store lives in app/quarantine_store.c (owned by
 * the management side); the unit tests use an in-memory store.
 *
 * Threading: put() is called on the io lcore that owns the SMTP session. An
 * implementation that writes to disk should copy the item and hand it to
 * another thread (ring), returning 0 once the copy is safely queued —
 * or -EAGAIN/-ENOSPC/-ENOMEM if it cannot take it, and the sender gets 451.
 */
#ifndef SMTPDLP_APP_QUARANTINE_H
#define SMTPDLP_APP_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct dlp_verdict;

/* One message to keep. Every pointer is borrowed for the duration of put(). */
struct quarantine_item {
	const char *queue_id;            /* the proxy's id for the message */
	const char *mail_from;           /* envelope sender, "" for <> */
	const char *const *rcpts;        /* envelope recipients accepted */
	size_t n_rcpts;
	const char *client_helo;         /* HELO/EHLO name of the sender, or "" */
	const struct dlp_verdict *verdict; /* may be NULL (unscannable, no verdict) */
	/* The message exactly as received (after dot-unstuffing), as a list of
	 * contiguous pieces in order; total `size` bytes. */
	const struct iovec *iov;
	size_t n_iov;
	uint64_t size;
	uint64_t received_ms;            /* end of data, ms since the epoch */
};

struct quarantine_ops {
	/* Keep the item. Returns 0 when kept (or safely queued to be kept), or a
	 * negative errno; the proxy then temp-fails the message (451). */
	int (*put)(void *ctx, const struct quarantine_item *item);
};

#endif /* SMTPDLP_APP_QUARANTINE_H */
