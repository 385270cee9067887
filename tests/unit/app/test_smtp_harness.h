/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_smtp_harness.h — in-memory world for whole SMTP proxy sessions:
 * a scripted sender <-> smtp_proxy <-> a scripted upstream MTA, with optional
 * TLS on either side (real mbedTLS handshakes over memory), a DLP config
 * built by hand for the real engine (the seed scenario's dictionary), an
 * in-memory quarantine store and an incident recorder. Header-only; used by
 * the test_smtp_*.c suites and nothing else.
 */
#ifndef SMTPDLP_TESTS_SMTP_HARNESS_H
#define SMTPDLP_TESTS_SMTP_HARNESS_H

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../dlp/tcfg.h"
#include "app/msgbuf.h"
#include "app/quarantine.h"
#include "app/smtp_proxy.h"
#include "app/smtp_reply.h"
#include "app/smtp_scan.h"
#include "app/smtp_server.h"
#include "app/tls.h"

/* ------------------------------------------------------ fake upstream */

enum fstep { F_NONE = 0, F_CONNECT, F_GREETING, F_EHLO, F_STARTTLS, F_MAIL, F_RCPT,
	     F_DATA, F_FINAL };
enum fmode { FM_4XX = 0, FM_5XX, FM_CLOSE, FM_SILENT, FM_421 };

struct fake_up {
	bool pipelining, chunking, dsn, starttls, smtputf8, eightbit, size;
	enum fstep fail_step;
	enum fmode fail_mode;
	int state;          /* 0 commands, 1 DATA, 2 BDAT chunk */
	uint64_t bdat_left;
	bool bdat_last;
	bool closed;        /* it closed the connection */
	bool silent;        /* stopped answering */
	struct iobuf rx;    /* plaintext waiting to be parsed */
	struct iobuf tx;    /* plaintext to send */
	struct iobuf wire_tx; /* wire bytes to the proxy */
	struct iobuf transcript; /* everything received, plaintext */
	struct iobuf msg;   /* the current / last message, unstuffed */
	struct iobuf last_msg;
	int n_msgs, n_accepted, n_mail, n_rcpt, n_rset, n_quit, n_ehlo, n_helo, n_starttls;
	char mail_line[600];
	char rcpt_line[600];
	struct tls_config *tls_cfg;
	struct tls_conn *tls;
};

static inline void fu_reply(struct fake_up *f, const char *s)
{
	iobuf_append(&f->tx, s, strlen(s), 1u << 30);
}

static inline bool fu_fail(struct fake_up *f, enum fstep st)
{
	if (f->fail_step != st)
		return false;
	switch (f->fail_mode) {
	case FM_4XX:
		fu_reply(f, "451 4.3.0 upstream temporary trouble\r\n");
		break;
	case FM_5XX:
		fu_reply(f, "554 5.3.0 upstream says no\r\n");
		break;
	case FM_421:
		fu_reply(f, "421 4.3.2 upstream shutting down\r\n");
		f->closed = true;
		break;
	case FM_CLOSE:
		f->closed = true;
		break;
	case FM_SILENT:
		f->silent = true;
		break;
	}
	return true;
}

static inline void fu_greet(struct fake_up *f)
{
	if (fu_fail(f, F_GREETING))
		return;
	fu_reply(f, "220 mx.upstream.example ESMTP fake\r\n");
}

static inline void fu_command(struct fake_up *f, const char *l, size_t n)
{
	char cmd[16] = "";
	size_t k = 0;
	while (k < n && k < 15 && l[k] != ' ' && l[k] != ':') {
		cmd[k] = l[k];
		k++;
	}
	cmd[k] = '\0';
	if (!strcasecmp(cmd, "EHLO")) {
		f->n_ehlo++;
		if (fu_fail(f, F_EHLO))
			return;
		char b[400];
		snprintf(b, sizeof(b), "250-mx.upstream.example\r\n%s%s%s%s%s%s%s250 ENHANCEDSTATUSCODES\r\n",
			 f->pipelining ? "250-PIPELINING\r\n" : "",
			 f->size ? "250-SIZE 100000000\r\n" : "",
			 f->eightbit ? "250-8BITMIME\r\n" : "",
			 f->smtputf8 ? "250-SMTPUTF8\r\n" : "",
			 f->dsn ? "250-DSN\r\n" : "",
			 f->chunking ? "250-CHUNKING\r\n" : "",
			 (f->starttls && f->tls == NULL) ? "250-STARTTLS\r\n" : "");
		fu_reply(f, b);
	} else if (!strcasecmp(cmd, "HELO")) {
		f->n_helo++;
		fu_reply(f, "250 mx.upstream.example\r\n");
	} else if (!strcasecmp(cmd, "STARTTLS")) {
		f->n_starttls++;
		if (fu_fail(f, F_STARTTLS))
			return;
		fu_reply(f, "220 2.0.0 go ahead\r\n");
		f->tls = tls_conn_create(f->tls_cfg, NULL);
	} else if (!strcasecmp(cmd, "MAIL")) {
		f->n_mail++;
		snprintf(f->mail_line, sizeof(f->mail_line), "%.*s", (int)n, l);
		if (fu_fail(f, F_MAIL))
			return;
		fu_reply(f, "250 2.1.0 Ok\r\n");
	} else if (!strcasecmp(cmd, "RCPT")) {
		f->n_rcpt++;
		snprintf(f->rcpt_line, sizeof(f->rcpt_line), "%.*s", (int)n, l);
		if (fu_fail(f, F_RCPT))
			return;
		if (memmem(l, n, "unknown", 7))
			fu_reply(f, "550 5.1.1 <unknown@external.example>: Recipient address rejected: User unknown\r\n");
		else if (memmem(l, n, "greylist", 8))
			fu_reply(f, "450 4.2.0 <greylist@external.example>: Recipient address rejected: Greylisted\r\n");
		else
			fu_reply(f, "250 2.1.5 Ok\r\n");
	} else if (!strcasecmp(cmd, "DATA")) {
		if (fu_fail(f, F_DATA))
			return;
		fu_reply(f, "354 End data with <CR><LF>.<CR><LF>\r\n");
		f->state = 1;
		f->msg.off = f->msg.len = 0;
	} else if (!strcasecmp(cmd, "BDAT")) {
		unsigned long long sz = strtoull(l + 5, NULL, 10);
		f->bdat_left = sz;
		f->bdat_last = memmem(l, n, "LAST", 4) != NULL;
		f->state = 2;
	} else if (!strcasecmp(cmd, "RSET")) {
		f->n_rset++;
		f->msg.off = f->msg.len = 0;
		fu_reply(f, "250 2.0.0 Ok\r\n");
	} else if (!strcasecmp(cmd, "QUIT")) {
		f->n_quit++;
		fu_reply(f, "221 2.0.0 Bye\r\n");
		f->closed = true;
	} else if (!strcasecmp(cmd, "NOOP")) {
		fu_reply(f, "250 2.0.0 Ok\r\n");
	} else {
		fu_reply(f, "502 5.5.2 Error: command not recognized\r\n");
	}
}

static inline void fu_message_done(struct fake_up *f)
{
	f->state = 0;
	f->n_msgs++;
	f->last_msg.off = f->last_msg.len = 0;
	iobuf_append(&f->last_msg, iobuf_head(&f->msg), iobuf_used(&f->msg), 1u << 30);
	f->msg.off = f->msg.len = 0;
	if (fu_fail(f, F_FINAL))
		return;
	f->n_accepted++;
	fu_reply(f, "250 2.0.0 Ok: queued as UP42\r\n");
}

/* Plaintext from the proxy. */
static inline void fu_input(struct fake_up *f, const uint8_t *d, size_t n)
{
	iobuf_append(&f->transcript, d, n, 1u << 30);
	if (f->closed || f->silent)
		return;
	iobuf_append(&f->rx, d, n, 1u << 30);
	for (;;) {
		if (f->closed || f->silent)
			return;
		const uint8_t *h = iobuf_head(&f->rx);
		size_t u = iobuf_used(&f->rx);
		if (f->state == 2 && f->bdat_left == 0 && f->bdat_last) {
			fu_message_done(f);
			continue;
		}
		if (u == 0)
			return;
		if (f->state == 2 && f->bdat_left == 0 && f->bdat_last) {
			fu_message_done(f);
			continue;
		}
		if (f->state == 2) {
			size_t k = u < f->bdat_left ? u : (size_t)f->bdat_left;
			iobuf_append(&f->msg, h, k, 1u << 30);
			iobuf_consume(&f->rx, k);
			f->bdat_left -= k;
			if (f->bdat_left == 0) {
				if (f->bdat_last) {
					fu_message_done(f);
				} else {
					f->state = 0;
					fu_reply(f, "250 2.0.0 chunk ok\r\n");
				}
			}
			continue;
		}
		const uint8_t *lf = memchr(h, '\n', u);
		if (lf == NULL)
			return;
		size_t ll = (size_t)(lf - h) + 1;
		if (f->state == 1) {
			if (ll == 3 && h[0] == '.' && h[1] == '\r') {
				iobuf_consume(&f->rx, ll);
				fu_message_done(f);
				continue;
			}
			const uint8_t *s = h;
			size_t sl = ll;
			if (s[0] == '.') {
				s++;
				sl--;
			}
			iobuf_append(&f->msg, s, sl, 1u << 30);
			iobuf_consume(&f->rx, ll);
			continue;
		}
		char line[1200];
		size_t cl = ll - 1;
		if (cl > 0 && h[cl - 1] == '\r')
			cl--;
		if (cl >= sizeof(line))
			cl = sizeof(line) - 1;
		memcpy(line, h, cl);
		line[cl] = '\0';
		iobuf_consume(&f->rx, ll);
		fu_command(f, line, cl);
	}
}

static inline void fu_free(struct fake_up *f)
{
	iobuf_free(&f->rx);
	iobuf_free(&f->tx);
	iobuf_free(&f->wire_tx);
	iobuf_free(&f->transcript);
	iobuf_free(&f->msg);
	iobuf_free(&f->last_msg);
	tls_conn_destroy(f->tls);
	f->tls = NULL;
}

/* ------------------------------------------------------------ world */

struct incident_copy {
	enum cfg_action action;
	char policy[64];
	char qid[32];
	unsigned reply_code, upstream_code;
	size_t n_rcpts;
	bool unscannable;
	uint64_t msg_bytes;
};

struct world {
	struct tcfg tc;
	struct cfg *cfg;
	struct dlp_policy_set *ps;
	struct dlp_scanner *sc;
	struct msgbuf_pool *pool;
	struct smtp_proxy *p;
	struct fake_up up;
	uint64_t now;
	bool up_conn;          /* TCP to the upstream is open */
	bool up_close_told;
	bool down_close;       /* proxy asked to close the sender side */
	bool connect_hangs;    /* the upstream TCP connect never completes */
	int n_connect;
	/* sender */
	struct iobuf s_tx;     /* wire to the proxy */
	struct iobuf s_plain;  /* plaintext waiting for the sender's TLS */
	struct iobuf s_rx;     /* plaintext received by the sender */
	struct tls_conn *s_tls;
	struct tls_config *s_tls_cfg;
	struct tls_config *srv_cfg, *cli_cfg; /* the proxy's */
	struct smtp_upool *upool;
	/* records */
	struct incident_copy inc[16];
	int n_inc;
	struct iobuf q_msg;
	int n_quarantined;
	int quarantine_fail;
	char q_from[64];
	size_t q_rcpts;
};

static inline void w_incident(void *ctx, const struct smtp_incident *i)
{
	struct world *w = ctx;
	if (w->n_inc >= 16)
		return;
	struct incident_copy *c = &w->inc[w->n_inc++];
	c->action = i->action;
	snprintf(c->policy, sizeof(c->policy), "%s",
		 (i->verdict && i->verdict->policy) ? i->verdict->policy : "");
	snprintf(c->qid, sizeof(c->qid), "%s", i->queue_id);
	c->reply_code = i->reply_code;
	c->upstream_code = i->upstream_code;
	c->n_rcpts = i->n_rcpts;
	c->unscannable = i->unscannable;
	c->msg_bytes = i->msg_bytes;
}

static inline int w_qput(void *ctx, const struct quarantine_item *it)
{
	struct world *w = ctx;
	if (w->quarantine_fail)
		return -ENOSPC;
	w->q_msg.off = w->q_msg.len = 0;
	for (size_t i = 0; i < it->n_iov; i++)
		iobuf_append(&w->q_msg, it->iov[i].iov_base, it->iov[i].iov_len, 1u << 30);
	ck_assert_uint_eq(iobuf_used(&w->q_msg), it->size);
	snprintf(w->q_from, sizeof(w->q_from), "%s", it->mail_from);
	w->q_rcpts = it->n_rcpts;
	w->n_quarantined++;
	return 0;
}

static const struct quarantine_ops w_qops = { .put = w_qput };

/* The seed scenario: a 4-keyword dictionary, unique matches, low at >= 2;
 * one policy per action, selected by the sender's domain. */
static inline void world_cfg(struct world *w)
{
	struct tcfg *t = &w->tc;
	tcfg_init(t);
	tcfg_dict(t, "customer-entitlement", false, "Customer", "Account Manager",
		  "Sales Engineer", "Purchase date", NULL);
	tcfg_rule(t, "Customer entitlement email", "customer-entitlement", CFG_COUNT_UNIQUE,
		  2, 3, 4, 4, CFG_SCOPE_CONTENT);
	tcfg_profile(t, "Customer data", "Customer entitlement email", NULL);
	struct cfg_policy *pol;
	tcfg_policy(t, "Block customer data", "block.example", true, CFG_SEV_LOW,
		    CFG_ACTION_BLOCK, "Customer data", NULL);
	pol = tcfg_policy(t, "Customer email Hold", "corp.example", true, CFG_SEV_LOW,
			  CFG_ACTION_ADD_HEADER, "Customer data", NULL);
	pol->header_name = (char *)"X-DLP-Hold";
	pol->header_value = (char *)"Customer email Hold";
	tcfg_policy(t, "Quarantine customer data", "q.example", true, CFG_SEV_LOW,
		    CFG_ACTION_QUARANTINE, "Customer data", NULL);
	tcfg_policy(t, "Alert customer data", "alert.example", true, CFG_SEV_LOW,
		    CFG_ACTION_ALERT, "Customer data", NULL);
	w->cfg = &t->c;
	w->cfg->hostname = (char *)"dlp-gw1.corp.example";
	struct cfg_smtp *s = &w->cfg->smtp;
	s->max_message_size = 10u << 20;
	s->max_recipients = 5;
	s->max_line_length = 1000;
	s->bare_lf = CFG_BARE_LF_REJECT;
	s->timeouts.command = 300;
	s->timeouts.data = 600;
	s->timeouts.upstream = 120;
	s->upstream.tls = CFG_UP_TLS_NONE;
	s->upstream.server_name = (char *)"mx.upstream.example";
	w->cfg->dlp.inspected_header = (char *)"X-SMTPDLP-Inspected";
	w->cfg->dlp.on_unscannable = CFG_UNSCANNABLE_TEMPFAIL;
}

static inline void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	world_cfg(w);
	w->up.pipelining = w->up.eightbit = w->up.smtputf8 = w->up.size = true;
	w->now = 1000000;
}

static inline void pump(struct world *w);
static inline void world_session(struct world *w, enum cfg_listen_tls lt);

/* Build the DLP engine and the session (after the test adjusted cfg). */
static inline void world_start_tls(struct world *w, enum cfg_listen_tls lt)
{
	w->ps = tcfg_build(&w->tc);
	w->sc = dlp_scanner_create(w->ps);
	ck_assert_ptr_nonnull(w->sc);
	if (w->pool == NULL) /* a test may bring a smaller pool */
		w->pool = msgbuf_pool_create(4096, 64);
	ck_assert_ptr_nonnull(w->pool);
	world_session(w, lt);
}

/* A new session on the same "lcore" (engine, pools, upstream kept). */
static inline void world_session(struct world *w, enum cfg_listen_tls lt)
{
	struct smtp_proxy_params pp = {
		.cfg = w->cfg,
		.listen_tls = lt,
		.tls_server = w->srv_cfg,
		.tls_client = w->cli_cfg,
		.pool = w->pool,
		.scan_ops = &smtp_scan_inline_ops,
		.scan_ctx = w->sc,
		.quarantine = &w_qops,
		.quarantine_ctx = w,
		.incident = w_incident,
		.incident_ctx = w,
		.session_id = 0x1234,
		.upool = w->upool,
	};
	w->p = smtp_proxy_create(&pp);
	ck_assert_ptr_nonnull(w->p);
	smtp_proxy_start(w->p, w->now);
	pump(w);
}

static inline void world_start(struct world *w)
{
	world_start_tls(w, CFG_LISTEN_PLAIN);
}

static inline void world_free(struct world *w)
{
	smtp_proxy_destroy(w->p);
	smtp_upool_destroy(w->upool);
	ck_assert_uint_eq(msgbuf_pool_in_use(w->pool), 0);
	msgbuf_pool_destroy(w->pool);
	dlp_scanner_destroy(w->sc);
	dlp_policy_set_unref(w->ps);
	tcfg_free_terms(&w->tc);
	fu_free(&w->up);
	iobuf_free(&w->s_tx);
	iobuf_free(&w->s_plain);
	iobuf_free(&w->s_rx);
	iobuf_free(&w->q_msg);
	tls_conn_destroy(w->s_tls);
}

/* Wire bytes the fake upstream received: through its TLS if any. */
static inline void fu_wire_in(struct world *w, const uint8_t *d, size_t n)
{
	struct fake_up *f = &w->up;
	if (f->tls == NULL) {
		fu_input(f, d, n);
		return;
	}
	size_t used = 0;
	while (used < n) {
		ssize_t r = tls_conn_feed(f->tls, d + used, n - used);
		if (r < 0)
			break;
		used += (size_t)r;
		const uint8_t *b;
		size_t l;
		while (tls_conn_output(f->tls, &b, &l) > 0) {
			iobuf_append(&f->wire_tx, b, l, 1u << 30);
			tls_conn_output_consume(f->tls, l);
		}
		while (tls_conn_peek(f->tls, &b, &l) > 0) {
			fu_input(f, b, l);
			tls_conn_peek_consume(f->tls, l);
		}
		if (r == 0)
			break;
	}
}

/* Move the fake upstream's plaintext replies to its wire buffer. */
static inline void fu_flush(struct fake_up *f)
{
	if (iobuf_empty(&f->tx))
		return;
	/* The STARTTLS 220 goes in clear even though tls was just created. */
	if (f->tls == NULL || !tls_conn_established(f->tls)) {
		if (f->tls && tls_conn_handshaking(f->tls)) {
			/* only the 220 can be pending here */
		}
		iobuf_append(&f->wire_tx, iobuf_head(&f->tx), iobuf_used(&f->tx), 1u << 30);
		f->tx.off = f->tx.len = 0;
		return;
	}
	while (!iobuf_empty(&f->tx)) {
		ssize_t k = tls_conn_write(f->tls, iobuf_head(&f->tx), iobuf_used(&f->tx));
		if (k <= 0)
			break;
		iobuf_consume(&f->tx, (size_t)k);
		const uint8_t *b;
		size_t l;
		while (tls_conn_output(f->tls, &b, &l) > 0) {
			iobuf_append(&f->wire_tx, b, l, 1u << 30);
			tls_conn_output_consume(f->tls, l);
		}
	}
}

static inline void sender_wire_in(struct world *w, const uint8_t *d, size_t n)
{
	if (w->s_tls == NULL) {
		iobuf_append(&w->s_rx, d, n, 1u << 30);
		return;
	}
	size_t used = 0;
	while (used < n) {
		ssize_t r = tls_conn_feed(w->s_tls, d + used, n - used);
		if (r < 0)
			break;
		used += (size_t)r;
		const uint8_t *b;
		size_t l;
		while (tls_conn_output(w->s_tls, &b, &l) > 0) {
			iobuf_append(&w->s_tx, b, l, 1u << 30);
			tls_conn_output_consume(w->s_tls, l);
		}
		while (tls_conn_peek(w->s_tls, &b, &l) > 0) {
			iobuf_append(&w->s_rx, b, l, 1u << 30);
			tls_conn_peek_consume(w->s_tls, l);
		}
		if (r == 0)
			break;
	}
}

static inline void sender_flush_tls(struct world *w)
{
	const uint8_t *b;
	size_t l;
	if (w->s_tls == NULL)
		return;
	while (tls_conn_output(w->s_tls, &b, &l) > 0) {
		iobuf_append(&w->s_tx, b, l, 1u << 30);
		tls_conn_output_consume(w->s_tls, l);
	}
	while (!iobuf_empty(&w->s_plain) && tls_conn_established(w->s_tls)) {
		ssize_t k = tls_conn_write(w->s_tls, iobuf_head(&w->s_plain), iobuf_used(&w->s_plain));
		if (k <= 0)
			break;
		iobuf_consume(&w->s_plain, (size_t)k);
		while (tls_conn_output(w->s_tls, &b, &l) > 0) {
			iobuf_append(&w->s_tx, b, l, 1u << 30);
			tls_conn_output_consume(w->s_tls, l);
		}
	}
}

static inline void pump(struct world *w)
{
	for (int it = 0; it < 1000000; it++) {
		bool prog = false;
		const uint8_t *b;
		size_t n;

		while ((n = smtp_proxy_down_pending(w->p, &b)) > 0) {
			sender_wire_in(w, b, n);
			smtp_proxy_down_sent(w->p, n, w->now);
			prog = true;
		}
		uint32_t ev = smtp_proxy_events(w->p);
		if (ev & SMTP_PROXY_EV_DOWN_CLOSE)
			w->down_close = true;
		if (ev & SMTP_PROXY_EV_UP_CLOSE) {
			w->up_conn = false;
			prog = true;
		}
		if (ev & SMTP_PROXY_EV_UP_POOLED)
			w->up_conn = false; /* kept open, parked in the pool */
		if (ev & SMTP_PROXY_EV_UP_ADOPTED) {
			w->up_conn = true;
			prog = true;
		}
		if (ev & SMTP_PROXY_EV_UP_CONNECT) {
			w->n_connect++;
			prog = true;
			if (w->connect_hangs) {
				/* nothing: the proxy's connect timer must fire */
			} else if (w->up.fail_step == F_CONNECT) {
				smtp_proxy_up_connect_failed(w->p, -ECONNREFUSED, w->now);
			} else {
				/* a fresh upstream connection */
				w->up.closed = w->up.silent = false;
				w->up.state = 0;
				tls_conn_destroy(w->up.tls);
				w->up.tls = NULL;
				w->up.rx.off = w->up.rx.len = 0;
				w->up.wire_tx.off = w->up.wire_tx.len = 0;
				w->up_conn = true;
				w->up_close_told = false;
				smtp_proxy_up_connected(w->p, w->now);
				fu_greet(&w->up);
			}
		}
		while (w->up_conn && (n = smtp_proxy_up_pending(w->p, &b)) > 0) {
			fu_wire_in(w, b, n);
			smtp_proxy_up_sent(w->p, n, w->now);
			prog = true;
		}
		if (w->up_conn) {
			fu_flush(&w->up);
			if (!iobuf_empty(&w->up.wire_tx)) {
				size_t k = smtp_proxy_up_recv(w->p, iobuf_head(&w->up.wire_tx),
							      iobuf_used(&w->up.wire_tx), w->now);
				if (w->up_conn) {
					iobuf_consume(&w->up.wire_tx, k);
					if (k)
						prog = true;
				}
			} else if (w->up.closed && !w->up_close_told) {
				w->up_close_told = true;
				w->up_conn = false;
				smtp_proxy_up_closed(w->p, w->now);
				prog = true;
			}
		}
		sender_flush_tls(w);
		if (!iobuf_empty(&w->s_tx) && !w->down_close) {
			size_t k = smtp_proxy_down_recv(w->p, iobuf_head(&w->s_tx), iobuf_used(&w->s_tx),
							w->now);
			iobuf_consume(&w->s_tx, k);
			if (k)
				prog = true;
		}
		if (!prog)
			break;
	}
}

/* The sender writes (plaintext; through its TLS when active). */
static inline void say(struct world *w, const char *s, size_t n)
{
	if (w->s_tls)
		iobuf_append(&w->s_plain, s, n, 1u << 30);
	else
		iobuf_append(&w->s_tx, s, n, 1u << 30);
	pump(w);
}

static inline void says(struct world *w, const char *s)
{
	say(w, s, strlen(s));
}

/* Reply codes the sender received so far, space separated. */
static inline const char *codes(struct world *w, char *buf, size_t cap)
{
	struct smtp_reply_parser rp;
	size_t off = 0, o = 0;
	smtp_reply_parser_init(&rp);
	buf[0] = '\0';
	while (off < iobuf_used(&w->s_rx)) {
		size_t used;
		enum smtp_reply_status st = smtp_reply_parse(&rp, iobuf_head(&w->s_rx) + off,
							     iobuf_used(&w->s_rx) - off, &used);
		off += used;
		if (st == SMTP_REPLY_ERROR) {
			snprintf(buf + o, cap - o, "%sERR", o ? " " : "");
			return buf;
		}
		if (st == SMTP_REPLY_DONE)
			o += (size_t)snprintf(buf + o, cap - o, "%s%u", o ? " " : "", rp.reply.code);
		if (st == SMTP_REPLY_AGAIN)
			break;
	}
	return buf;
}

#define ck_codes(w, expect)                                                  \
	do {                                                                 \
		char _cb[2048];                                              \
		ck_assert_str_eq(codes((w), _cb, sizeof(_cb)), (expect));    \
	} while (0)

/* The last reply's full text as received by the sender (for content checks). */
static inline bool sender_saw(struct world *w, const char *needle)
{
	return memmem(iobuf_head(&w->s_rx), iobuf_used(&w->s_rx), needle, strlen(needle)) != NULL;
}

static inline bool up_saw(struct world *w, const char *needle)
{
	return memmem(iobuf_head(&w->up.transcript), iobuf_used(&w->up.transcript), needle,
		      strlen(needle)) != NULL;
}

#define SEED_BODY                                                            \
	"Hello,\r\n"                                                         \
	"Your Account Manager and Sales Engineer will contact you.\r\n"      \
	"Customer: ACME Corp\r\nPurchase date: 2024-03-01\r\n"

#define CLEAN_BODY "Hello,\r\nlunch on Friday?\r\n"

#endif /* SMTPDLP_TESTS_SMTP_HARNESS_H */
