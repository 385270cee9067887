/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtp_scan.h — how the SMTP proxy hands a message to the DLP engine.
 *
 * The proxy never calls dlp_txn_*() directly: it talks to a scan backend
 * through struct smtp_scan_ops, so the same session code runs
 *
 *  - inline (tests, the benchmark, a single-lcore daemon): the backend
 *    below, smtp_scan_inline_ops, runs dlp_txn_begin/feed/end on the calling
 *    thread and returns the verdict from end() at once;
 *  - on another lcore (the daemon): a backend that posts the chunks on a
 *    ring to a dlp lcore and returns -EINPROGRESS from end(); the verdict
 *    comes back later as an event, delivered with smtp_proxy_verdict().
 *
 * Memory contract for asynchronous backends: the bytes passed to feed() live
 * in the proxy's msgbuf chunks and stay valid and unchanged until the
 * verdict was delivered or abort() returned — so a ring backend passes
 * pointers, never copies.
 */
#ifndef SMTPDLP_APP_SMTP_SCAN_H
#define SMTPDLP_APP_SMTP_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/msgbuf.h"
#include "dlp/dlp.h"

struct smtp_scan_ops {
	/* Begin one message; `env` is borrowed for the call. Returns a handle
	 * (opaque, non-NULL) or NULL with errno. */
	void *(*begin)(void *ctx, const struct dlp_envelope *env);
	/* Message bytes in order (see the memory contract). 0 or -errno; after
	 * an error the proxy stops feeding and temp-fails the message. */
	int (*feed)(void *ctx, void *h, const void *data, size_t len);
	/* End of message: 0 with *out set when the verdict is ready now,
	 * -EINPROGRESS when it will arrive through smtp_proxy_verdict(), or
	 * -errno (the message is temp-failed). After 0 or -errno the handle is
	 * finished; after -EINPROGRESS it stays valid until the verdict is
	 * delivered, and abort() on it cancels: no verdict may be delivered
	 * for it once abort() returned. */
	int (*end)(void *ctx, void *h, struct dlp_verdict **out);
	/* Abandon a message (session aborted, RSET); the backend must not touch
	 * the fed bytes after this returns. */
	void (*abort)(void *ctx, void *h);
	/* Free a verdict this backend produced. */
	void (*release)(void *ctx, struct dlp_verdict *v);
	/* Optional, for backends whose worker may still be reading fed bytes
	 * (a dlp lcore behind a ring): called instead of abort(), it hands
	 * over the message's chunks by value. The backend cancels the handle
	 * and, once its worker has let go, returns the chunks with
	 * msgbuf_reset() on the lcore that owns the pool. No verdict may be
	 * delivered for the handle afterwards. */
	void (*detach)(void *ctx, void *h, struct msgbuf chunks);
};

/* Inline backend: ctx is a struct dlp_scanner * (one per thread). */
extern const struct smtp_scan_ops smtp_scan_inline_ops;

/*
 * The proxy's per-message scan state over a backend: remembers the handle and
 * the first error, so the proxy's data path has no error plumbing.
 */
struct smtp_scan {
	const struct smtp_scan_ops *ops;
	void *ctx;
	void *h;        /* open handle, or NULL */
	int err;        /* first error, 0 if none */
	bool pending;   /* end() returned -EINPROGRESS */
	uint64_t fed;   /* bytes fed */
};

void smtp_scan_init(struct smtp_scan *s, const struct smtp_scan_ops *ops, void *ctx);
/* 0 or -errno (no scanner, resource failure). */
int smtp_scan_begin(struct smtp_scan *s, const struct dlp_envelope *env);
/* Feed; errors are remembered (returned too). */
int smtp_scan_feed(struct smtp_scan *s, const void *data, size_t len);
/* 0 + *out, -EINPROGRESS, or -errno (including a remembered feed error). */
int smtp_scan_end(struct smtp_scan *s, struct dlp_verdict **out);
/* Abort if open or pending; a no-op on an idle scan. `msg` is the message
 * the bytes were fed from: with a detach() backend its chunks move to the
 * backend and *msg is left empty (same pool and limit). May be NULL when
 * nothing was fed. */
void smtp_scan_abort(struct smtp_scan *s, struct msgbuf *msg);
/* The pending verdict was delivered: forget the handle. */
void smtp_scan_delivered(struct smtp_scan *s);
void smtp_scan_release(struct smtp_scan *s, struct dlp_verdict *v);

#endif /* SMTPDLP_APP_SMTP_SCAN_H */
