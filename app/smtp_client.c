/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtp_client.c — sans-IO SMTP client towards the upstream MTA.
 *
 * Set-up is an explicit sequence of states, each expecting one reply class;
 * transaction commands are paired with their replies through a FIFO of
 * command kinds (RFC 2920 pipelining), as in nginx's mail proxy.
 */
#include "app/smtp_client.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg.h"

enum cl_state {
	CL_INIT = 0,  /* not connected */
	CL_GREETING,  /* expect 220 */
	CL_EHLO,      /* expect 250 (5xx: HELO) */
	CL_HELO,      /* expect 250 */
	CL_STARTTLS,  /* expect 220 */
	CL_TLS,       /* handshake run by the owner */
	CL_EHLO_TLS,  /* expect 250 */
	CL_READY,     /* transactions */
	CL_QUIT,      /* expect 221 */
	CL_DONE,
	CL_FAILED,
};

/* In-flight kinds beyond enum smtp_cmd. */
enum { K_DATA = 100, K_BDAT, K_BDAT_LAST, K_RSET };

struct smtp_client {
	const struct cfg *cfg;
	const struct smtp_client_ops *ops;
	void *ctx;
	struct iobuf *out;
	bool tls_available;
	bool tls;
	uint8_t state;
	bool txn;        /* MAIL sent, message not finished */
	bool body_open;  /* writing message bytes */
	bool bdat;       /* body goes as BDAT chunks */
	bool data_sent;  /* DATA/BDAT started for this transaction */
	bool bol;        /* DATA: at the start of a line (dot-stuffing) */
	bool last_cr;    /* DATA: last body byte was CR */
	bool bdat_err;   /* a BDAT chunk was refused */
	bool data_wait;  /* DATA sent, its 354 (or refusal) not yet received */
	uint8_t fq[SMTP_CLIENT_INFLIGHT_MAX];
	uint8_t fq_head, fq_n;
	uint64_t deadline;
	uint64_t t_reply;
	struct smtp_client_caps caps;
	struct smtp_reply_parser rp;
	struct smtp_reply first_err; /* first refused BDAT chunk */
};

static void fail(struct smtp_client *c, int err, const struct smtp_reply *r)
{
	if (c->state == CL_FAILED || c->state == CL_DONE)
		return;
	c->state = CL_FAILED;
	c->deadline = UINT64_MAX;
	c->body_open = false;
	c->data_wait = false;
	c->ops->failed(c->ctx, err, r);
}

static int out(struct smtp_client *c, const void *p, size_t n)
{
	int rc = iobuf_append(c->out, p, n, SMTP_CLIENT_OUT_MAX);
	return rc;
}

static void arm(struct smtp_client *c, uint64_t now)
{
	c->deadline = now + c->t_reply;
}

static int cmd(struct smtp_client *c, uint64_t now, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cmd(struct smtp_client *c, uint64_t now, const char *fmt, ...)
{
	char buf[SMTP_CMD_LINE_MAX + 8];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > SMTP_CMD_LINE_MAX - 2)
		return -EINVAL;
	buf[n++] = '\r';
	buf[n++] = '\n';
	int rc = out(c, buf, (size_t)n);
	if (rc == 0)
		arm(c, now);
	return rc;
}

static bool fq_push(struct smtp_client *c, uint8_t k)
{
	if (c->fq_n >= SMTP_CLIENT_INFLIGHT_MAX)
		return false;
	c->fq[(c->fq_head + c->fq_n) % SMTP_CLIENT_INFLIGHT_MAX] = k;
	c->fq_n++;
	return true;
}

static const char *ehlo_name(const struct smtp_client *c)
{
	return (c->cfg->hostname && c->cfg->hostname[0]) ? c->cfg->hostname : "smtpdlp";
}

static void parse_caps(struct smtp_client *c, const struct smtp_reply *r)
{
	const char *t = r->text;
	size_t n = r->text_len, i = 0;
	bool first = true;

	memset(&c->caps, 0, sizeof(c->caps));
	c->caps.esmtp = true;
	while (i <= n) {
		size_t e = i;
		while (e < n && t[e] != '\n')
			e++;
		if (!first) {
			const char *k = t + i;
			size_t kl = 0;
			while (i + kl < e && k[kl] != ' ' && k[kl] != '=')
				kl++;
#define KW(s) (kl == sizeof(s) - 1 && strncasecmp(k, s, kl) == 0)
			if (KW("PIPELINING"))
				c->caps.pipelining = true;
			else if (KW("8BITMIME"))
				c->caps.eightbitmime = true;
			else if (KW("SMTPUTF8"))
				c->caps.smtputf8 = true;
			else if (KW("DSN"))
				c->caps.dsn = true;
			else if (KW("CHUNKING"))
				c->caps.chunking = true;
			else if (KW("STARTTLS"))
				c->caps.starttls = true;
			else if (KW("ENHANCEDSTATUSCODES"))
				c->caps.enhanced = true;
			else if (KW("SIZE")) {
				c->caps.size = true;
				uint64_t v = 0;
				for (size_t j = i + kl + 1; j < e && t[j] >= '0' && t[j] <= '9'; j++)
					v = v * 10 + (uint64_t)(t[j] - '0');
				c->caps.size_max = v;
			}
#undef KW
		}
		first = false;
		i = e + 1;
	}
}

static void become_ready(struct smtp_client *c)
{
	c->state = CL_READY;
	c->deadline = UINT64_MAX;
	c->ops->ready(c->ctx);
}

/* After EHLO/HELO: decide about STARTTLS. */
static void after_helo(struct smtp_client *c, uint64_t now)
{
	enum cfg_upstream_tls mode = c->cfg->smtp.upstream.tls;

	if (c->tls || mode == CFG_UP_TLS_NONE) {
		become_ready(c);
		return;
	}
	if (c->caps.starttls && c->tls_available) {
		if (cmd(c, now, "STARTTLS") < 0) {
			fail(c, -ENOBUFS, NULL);
			return;
		}
		c->state = CL_STARTTLS;
		return;
	}
	if (mode == CFG_UP_TLS_REQUIRED) {
		fail(c, -ENOTSUP, NULL);
		return;
	}
	become_ready(c);
}

/* A transaction reply, paired with the oldest in-flight command. */
static void txn_reply(struct smtp_client *c, const struct smtp_reply *r, uint64_t now)
{
	if (c->fq_n == 0) {
		fail(c, -EPROTO, r); /* a reply nobody asked for */
		return;
	}
	uint8_t k = c->fq[c->fq_head];
	unsigned cls = r->code / 100;
	c->fq_head = (uint8_t)((c->fq_head + 1) % SMTP_CLIENT_INFLIGHT_MAX);
	c->fq_n--;
	/* A reply of a class the command cannot have (RFC 5321 4.2.1, 4.3.2;
	 * as Postfix's smtp client judges it): 1xx anywhere, 3xx to anything
	 * but DATA, 2xx to DATA. Passing it on would desynchronise the sender
	 * (a 354 to MAIL) or guess at delivery (a 3xx after the message):
	 * the connection is failed and the sender gets a 4xx. */
	if (cls < 2 || cls > 5 || (cls == 3 && k != K_DATA) || (cls == 2 && k == K_DATA)) {
		fail(c, -EPROTO, r);
		return;
	}
	if (c->fq_n == 0 && !(k == K_DATA && cls == 3))
		c->deadline = UINT64_MAX;
	else
		arm(c, now);

	if (r->code == 421 && k != K_RSET) {
		/* The upstream is closing: report this reply, then fail. */
		if (k == SMTP_CMD_MAIL || k == SMTP_CMD_RCPT)
			c->ops->reply(c->ctx, (enum smtp_cmd)k, r);
		else if (k == K_DATA || k == K_BDAT_LAST || k == SMTP_CMD_EOD)
			c->ops->reply(c->ctx, SMTP_CMD_EOD, r);
		fail(c, -ECONNABORTED, r);
		return;
	}
	switch (k) {
	case SMTP_CMD_MAIL:
		if (!smtp_reply_ok(r->code))
			c->txn = false; /* pipelined RCPTs will get 503s */
		c->ops->reply(c->ctx, (enum smtp_cmd)k, r);
		break;
	case SMTP_CMD_RCPT:
		c->ops->reply(c->ctx, (enum smtp_cmd)k, r);
		break;
	case K_DATA:
		c->data_wait = false;
		if (cls == 3) { /* 354, or another 3xx: go ahead */
			c->body_open = true;
			c->bol = true;
			c->last_cr = false;
		} else {
			c->txn = false;
			c->data_sent = false;
			c->ops->reply(c->ctx, SMTP_CMD_EOD, r);
		}
		break;
	case SMTP_CMD_EOD:
		c->txn = false;
		c->data_sent = false;
		c->ops->reply(c->ctx, SMTP_CMD_EOD, r);
		break;
	case K_BDAT:
		if (!smtp_reply_ok(r->code) && !c->bdat_err) {
			c->bdat_err = true;
			c->first_err = *r;
		}
		break;
	case K_BDAT_LAST:
		c->txn = false;
		c->data_sent = false;
		c->ops->reply(c->ctx, SMTP_CMD_EOD, c->bdat_err ? &c->first_err : r);
		c->bdat_err = false;
		break;
	case K_RSET:
		if (!smtp_reply_ok(r->code))
			fail(c, -EPROTO, r);
		break;
	default:
		fail(c, -EPROTO, r);
		break;
	}
}

static void on_reply(struct smtp_client *c, const struct smtp_reply *r, uint64_t now)
{
	switch (c->state) {
	case CL_GREETING:
		if (r->code != 220) {
			fail(c, r->code == 421 ? -ECONNABORTED : -ECONNREFUSED, r);
			return;
		}
		if (cmd(c, now, "EHLO %s", ehlo_name(c)) < 0)
			fail(c, -ENOBUFS, NULL);
		else
			c->state = CL_EHLO;
		break;
	case CL_EHLO:
		if (smtp_reply_ok(r->code)) {
			parse_caps(c, r);
			after_helo(c, now);
		} else if (smtp_reply_perm(r->code)) {
			if (cmd(c, now, "HELO %s", ehlo_name(c)) < 0)
				fail(c, -ENOBUFS, NULL);
			else
				c->state = CL_HELO;
		} else {
			fail(c, r->code == 421 ? -ECONNABORTED : -ECONNREFUSED, r);
		}
		break;
	case CL_HELO:
		if (!smtp_reply_ok(r->code)) {
			fail(c, -ECONNREFUSED, r);
			return;
		}
		memset(&c->caps, 0, sizeof(c->caps));
		after_helo(c, now);
		break;
	case CL_STARTTLS:
		if (r->code == 220) {
			c->state = CL_TLS;
			c->deadline = now + c->t_reply;
			c->ops->starttls(c->ctx);
		} else if (c->cfg->smtp.upstream.tls == CFG_UP_TLS_REQUIRED) {
			fail(c, -ENOTSUP, r);
		} else {
			become_ready(c); /* opportunistic: carry on in plaintext */
		}
		break;
	case CL_EHLO_TLS:
		if (!smtp_reply_ok(r->code)) {
			fail(c, -ECONNREFUSED, r);
			return;
		}
		parse_caps(c, r);
		c->caps.starttls = false;
		become_ready(c);
		break;
	case CL_READY:
		txn_reply(c, r, now);
		break;
	case CL_QUIT:
		c->state = CL_DONE;
		c->deadline = UINT64_MAX;
		break;
	default:
		fail(c, -EPROTO, r);
		break;
	}
}

struct smtp_client *smtp_client_create(const struct smtp_client_params *p)
{
	if (p == NULL || p->cfg == NULL || p->ops == NULL || p->out == NULL) {
		errno = EINVAL;
		return NULL;
	}
	struct smtp_client *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->cfg = p->cfg;
	c->ops = p->ops;
	c->ctx = p->ctx;
	c->out = p->out;
	c->tls_available = p->tls_available;
	unsigned t = p->cfg->smtp.timeouts.upstream;
	c->t_reply = (uint64_t)(t ? t : 120) * 1000u;
	c->deadline = UINT64_MAX;
	smtp_reply_parser_init(&c->rp);
	return c;
}

void smtp_client_destroy(struct smtp_client *c)
{
	free(c);
}

void smtp_client_rebind(struct smtp_client *c, void *ctx, struct iobuf *out)
{
	c->ctx = ctx;
	c->out = out;
}

void smtp_client_connected(struct smtp_client *c, uint64_t now)
{
	if (c->state != CL_INIT)
		return;
	c->state = CL_GREETING;
	arm(c, now);
}

int smtp_client_input(struct smtp_client *c, const uint8_t *data, size_t len, uint64_t now)
{
	size_t i = 0;

	while (i < len) {
		if (c->state == CL_FAILED)
			return -EPROTO;
		if (c->state == CL_TLS || c->state == CL_DONE || c->state == CL_INIT)
			return 0; /* nothing expected: discarded (no injection after 220) */
		size_t used;
		enum smtp_reply_status st = smtp_reply_parse(&c->rp, data + i, len - i, &used);
		i += used;
		if (st == SMTP_REPLY_ERROR) {
			fail(c, -EPROTO, NULL);
			return -EPROTO;
		}
		if (st == SMTP_REPLY_DONE) {
			struct smtp_reply r = c->rp.reply;
			on_reply(c, &r, now);
		}
	}
	return c->state == CL_FAILED ? -EPROTO : 0;
}

void smtp_client_closed(struct smtp_client *c, uint64_t now)
{
	if (c->state == CL_QUIT || c->state == CL_DONE) {
		c->state = CL_DONE;
		c->deadline = UINT64_MAX;
		return;
	}
	fail(c, -ECONNRESET, NULL);
}

void smtp_client_tls_ready(struct smtp_client *c, uint64_t now)
{
	if (c->state != CL_TLS)
		return;
	c->tls = true;
	smtp_reply_parser_init(&c->rp);
	if (cmd(c, now, "EHLO %s", ehlo_name(c)) < 0)
		fail(c, -ENOBUFS, NULL);
	else
		c->state = CL_EHLO_TLS;
}

void smtp_client_tls_failed(struct smtp_client *c, uint64_t now)
{
	fail(c, -EPROTO, NULL);
}

size_t smtp_client_memory(const struct smtp_client *c)
{
	return sizeof(*c);
}

bool smtp_client_ready(const struct smtp_client *c)
{
	return c->state == CL_READY;
}

bool smtp_client_failed(const struct smtp_client *c)
{
	return c->state == CL_FAILED;
}

bool smtp_client_in_tls(const struct smtp_client *c)
{
	return c->tls;
}

const struct smtp_client_caps *smtp_client_caps(const struct smtp_client *c)
{
	return &c->caps;
}

bool smtp_client_can_send(const struct smtp_client *c)
{
	if (c->state != CL_READY || c->body_open || c->data_sent)
		return false;
	if (c->caps.pipelining)
		return c->fq_n < SMTP_CLIENT_INFLIGHT_MAX - 2;
	return c->fq_n == 0;
}

bool smtp_client_idle(const struct smtp_client *c)
{
	return c->state == CL_READY && c->fq_n == 0 && !c->txn;
}

bool smtp_client_in_txn(const struct smtp_client *c)
{
	return c->txn;
}

static int path_cmd(struct smtp_client *c, bool mail, const char *addr, size_t al,
		    const char *params, size_t pl, uint64_t now)
{
	if (c->state != CL_READY)
		return -EINVAL;
	if (!smtp_client_can_send(c))
		return -EAGAIN;
	if (al > SMTP_PATH_MAX || pl > SMTP_CMD_LINE_MAX)
		return -EINVAL;
	int rc = cmd(c, now, "%s:<%.*s>%s%.*s", mail ? "MAIL FROM" : "RCPT TO", (int)al, addr,
		     pl ? " " : "", (int)pl, params ? params : "");
	if (rc < 0)
		return rc;
	fq_push(c, mail ? SMTP_CMD_MAIL : SMTP_CMD_RCPT);
	if (mail) {
		c->txn = true;
		c->data_sent = false;
	}
	return 0;
}

int smtp_client_mail(struct smtp_client *c, const char *addr, size_t al,
		     const char *params, size_t pl, uint64_t now)
{
	if (c->txn)
		return -EINVAL;
	return path_cmd(c, true, addr, al, params, pl, now);
}

int smtp_client_rcpt(struct smtp_client *c, const char *addr, size_t al,
		     const char *params, size_t pl, uint64_t now)
{
	if (!c->txn)
		return -EINVAL;
	return path_cmd(c, false, addr, al, params, pl, now);
}

int smtp_client_data(struct smtp_client *c, bool allow_bdat, uint64_t now)
{
	if (c->state != CL_READY || !c->txn || c->data_sent)
		return -EINVAL;
	if (!c->caps.pipelining && c->fq_n > 0)
		return -EAGAIN;
	c->data_sent = true;
	c->bdat_err = false;
	if (allow_bdat && c->caps.chunking && c->caps.pipelining) {
		c->bdat = true;
		c->body_open = true;
		return 0;
	}
	c->bdat = false;
	int rc = cmd(c, now, "DATA");
	if (rc < 0)
		return rc;
	fq_push(c, K_DATA);
	c->data_wait = true;
	return 0;
}

bool smtp_client_body_open(const struct smtp_client *c)
{
	return c->body_open;
}

int smtp_client_body(struct smtp_client *c, const uint8_t *data, size_t len, uint64_t now)
{
	if (!c->body_open)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (c->bdat) {
		if (c->fq_n >= SMTP_CLIENT_INFLIGHT_MAX - 1)
			return -ENOBUFS;
		char h[40];
		int n = snprintf(h, sizeof(h), "BDAT %zu\r\n", len);
		uint8_t *p = iobuf_reserve(c->out, (size_t)n + len, SMTP_CLIENT_OUT_MAX);
		if (p == NULL)
			return -ENOBUFS;
		memcpy(p, h, (size_t)n);
		memcpy(p + n, data, len);
		iobuf_commit(c->out, (size_t)n + len);
		fq_push(c, K_BDAT);
		arm(c, now);
		return 0;
	}
	/* DATA: dot-stuff. Worst case doubles the size. */
	uint8_t *p = iobuf_reserve(c->out, len * 2, SMTP_CLIENT_OUT_MAX);
	if (p == NULL)
		return -ENOBUFS;
	size_t o = 0, i = 0;
	bool bol = c->bol, cr = c->last_cr;
	while (i < len) {
		if (bol && data[i] == '.')
			p[o++] = '.';
		/* copy through the next LF (or to the end) in one go */
		const uint8_t *lf = memchr(data + i, '\n', len - i);
		size_t e = lf ? (size_t)(lf - data) + 1 : len;
		memcpy(p + o, data + i, e - i);
		o += e - i;
		if (lf) {
			/* a line start only after CRLF (bare LF never reaches here
			 * from the server, but BDAT input may carry one) */
			bol = (e - i >= 2) ? data[e - 2] == '\r' : cr;
			cr = false;
		} else {
			bol = false;
			cr = data[len - 1] == '\r';
		}
		i = e;
	}
	c->bol = bol;
	c->last_cr = cr;
	iobuf_commit(c->out, o);
	arm(c, now);
	return 0;
}

int smtp_client_body_end(struct smtp_client *c, uint64_t now)
{
	if (!c->body_open)
		return -EINVAL;
	c->body_open = false;
	if (c->bdat) {
		if (cmd(c, now, "BDAT 0 LAST") < 0)
			return -ENOBUFS;
		fq_push(c, K_BDAT_LAST);
		return 0;
	}
	if (!c->bol && out(c, "\r\n", 2) < 0)
		return -ENOBUFS;
	if (cmd(c, now, ".") < 0)
		return -ENOBUFS;
	fq_push(c, SMTP_CMD_EOD);
	return 0;
}

/* Between DATA and its 354, or while message bytes are being written, a
 * command line would be read by the upstream as message text (or, with
 * BDAT, the chunk sequence would be cut): RSET and QUIT are refused then;
 * the owner ends the message or drops the connection. */
static bool in_message(const struct smtp_client *c)
{
	return c->body_open || c->data_wait;
}

int smtp_client_rset(struct smtp_client *c, uint64_t now)
{
	if (c->state != CL_READY || in_message(c))
		return -EINVAL;
	if (!c->caps.pipelining && c->fq_n > 0)
		return -EAGAIN;
	int rc = cmd(c, now, "RSET");
	if (rc < 0)
		return rc;
	fq_push(c, K_RSET);
	c->txn = false;
	c->data_sent = false;
	return 0;
}

int smtp_client_quit(struct smtp_client *c, uint64_t now)
{
	if (c->state == CL_DONE || c->state == CL_FAILED || c->state == CL_QUIT)
		return 0;
	if (c->state == CL_INIT) {
		c->state = CL_DONE;
		return 0;
	}
	if (in_message(c))
		return -EINVAL;
	int rc = cmd(c, now, "QUIT");
	if (rc < 0)
		return rc;
	c->state = CL_QUIT;
	c->fq_n = 0;
	return 0;
}

bool smtp_client_done(const struct smtp_client *c)
{
	return c->state == CL_DONE || c->state == CL_FAILED;
}

uint64_t smtp_client_next_timeout(const struct smtp_client *c)
{
	return c->deadline;
}

void smtp_client_timer(struct smtp_client *c, uint64_t now)
{
	if (c->deadline == UINT64_MAX || now < c->deadline)
		return;
	if (c->state == CL_QUIT) {
		c->state = CL_DONE;
		c->deadline = UINT64_MAX;
		return;
	}
	fail(c, -ETIMEDOUT, NULL);
}
