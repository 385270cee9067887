/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtp_scan.c — the proxy's scan state and the inline DLP backend
 * (dlp_txn_begin / feed / end on the calling thread).
 */
#include "app/smtp_scan.h"

#include <errno.h>

static void *inline_begin(void *ctx, const struct dlp_envelope *env)
{
	if (ctx == NULL) {
		errno = ENODEV;
		return NULL;
	}
	return dlp_txn_begin(ctx, env);
}

static int inline_feed(void *ctx, void *h, const void *data, size_t len)
{
	return dlp_txn_feed(h, data, len);
}

static int inline_end(void *ctx, void *h, struct dlp_verdict **out)
{
	struct dlp_verdict *v = dlp_txn_end(h);

	if (v == NULL)
		return errno ? -errno : -EIO;
	*out = v;
	return 0;
}

static void inline_abort(void *ctx, void *h)
{
	dlp_txn_abort(h);
}

static void inline_release(void *ctx, struct dlp_verdict *v)
{
	dlp_verdict_free(v);
}

const struct smtp_scan_ops smtp_scan_inline_ops = {
	.begin = inline_begin,
	.feed = inline_feed,
	.end = inline_end,
	.abort = inline_abort,
	.release = inline_release,
};

void smtp_scan_init(struct smtp_scan *s, const struct smtp_scan_ops *ops, void *ctx)
{
	s->ops = ops;
	s->ctx = ctx;
	s->h = NULL;
	s->err = 0;
	s->pending = false;
	s->fed = 0;
}

int smtp_scan_begin(struct smtp_scan *s, const struct dlp_envelope *env)
{
	smtp_scan_abort(s, NULL);
	s->err = 0;
	s->fed = 0;
	if (s->ops == NULL)
		return -ENODEV;
	errno = 0;
	s->h = s->ops->begin(s->ctx, env);
	if (s->h == NULL)
		return errno ? -errno : -ENOMEM;
	return 0;
}

int smtp_scan_feed(struct smtp_scan *s, const void *data, size_t len)
{
	if (s->err)
		return s->err;
	if (s->h == NULL)
		return s->err = -EINVAL;
	int rc = s->ops->feed(s->ctx, s->h, data, len);
	if (rc < 0)
		s->err = rc;
	else
		s->fed += len;
	return rc < 0 ? rc : 0;
}

int smtp_scan_end(struct smtp_scan *s, struct dlp_verdict **out)
{
	*out = NULL;
	if (s->h == NULL)
		return -EINVAL;
	if (s->err) {
		/* A detach() backend gets the handle back together with the
		 * message's chunks when the caller resets the message. */
		if (s->ops->detach == NULL) {
			int e = s->err;
			smtp_scan_abort(s, NULL);
			s->err = e;
		}
		return s->err;
	}
	void *h = s->h;
	s->h = NULL;
	errno = 0;
	int rc = s->ops->end(s->ctx, h, out);
	if (rc == -EINPROGRESS) {
		s->pending = true;
		s->h = h; /* kept until delivered, so it can be cancelled */
	}
	else if (rc < 0)
		s->err = rc;
	return rc;
}

void smtp_scan_abort(struct smtp_scan *s, struct msgbuf *msg)
{
	if (s->h != NULL) {
		if (s->ops->detach != NULL) {
			struct msgbuf chunks = { 0 };
			if (msg != NULL) {
				chunks = *msg;
				msgbuf_init(msg, msg->pool, msg->limit);
			}
			s->ops->detach(s->ctx, s->h, chunks);
		} else {
			s->ops->abort(s->ctx, s->h);
		}
		s->h = NULL;
	}
	s->pending = false;
}

void smtp_scan_delivered(struct smtp_scan *s)
{
	s->h = NULL;
	s->pending = false;
}

void smtp_scan_release(struct smtp_scan *s, struct dlp_verdict *v)
{
	if (v != NULL && s->ops != NULL)
		s->ops->release(s->ctx, v);
}
