/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtpdlp-bench-proxy: sessions/s and MB/s through the in-memory SMTP proxy
 * (app/smtp_proxy: server + client + msgbuf + the real DLP engine with the
 * seed scenario's dictionary), no network. For 4 KB, 100 KB and 5 MB
 * messages, plain and with TLS on both sides (implicit TLS from the sender,
 * STARTTLS to the upstream; session resumption as a relay would see it),
 * next to raw TLS record throughput (one hop: encrypt + decrypt through
 * app/tls) measured in the same run. Also heap per idle session (mallinfo2
 * deltas), plain and with TLS.
 *
 * A session is: connect, EHLO, MAIL, RCPT, DATA + message, QUIT, with the
 * upstream an in-memory SMTP sink. Two figures per row: the whole loop
 * (sender, proxy and sink on this core) and the proxy's share alone (CPU
 * time inside smtp_proxy_* calls), which is what an io lcore would spend.
 * Times are thread CPU time (the machine is shared).
 *
 * Usage: smtpdlp-bench-proxy [-s seconds per row] [-c idle sessions]
 *                            [-n: null scan backend, the relay alone]
 *                            [-p: upstream connections reused through the
 *                                 idle pool, as the daemon does]
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/msgbuf.h"
#include "app/smtp_proxy.h"
#include "app/smtp_reply.h"
#include "app/smtp_scan.h"
#include "app/tls.h"
#include "testcerts.h"

static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "smtpdlp-bench-proxy: %s\n", what);
	exit(1);
}

static double t_proxy; /* CPU seconds inside smtp_proxy_* */
#define PX(call)                                                             \
	({                                                                   \
		double _t0 = cpu();                                          \
		__typeof__(call) _r = (call);                                \
		t_proxy += cpu() - _t0;                                      \
		_r;                                                          \
	})
#define PXV(call)                                                            \
	do {                                                                 \
		double _t0 = cpu();                                          \
		call;                                                        \
		t_proxy += cpu() - _t0;                                      \
	} while (0)

/* ---------------------------------------------------------- config */

static struct cfg cfg;
static struct cfg_entity ent;
static struct cfg_term terms[4];
static struct cfg_rule rule;
static struct cfg_profile prof;
static char *prof_rules[1] = { "Customer entitlement email" };
static struct cfg_policy pol;
static char *pol_profiles[1] = { "Customer data" };
static char *internal[1] = { "corp.example" };
static char *from_dom[1] = { "corp.example" };

static void build_cfg(void)
{
	static const char *t[4] = { "Customer", "Account Manager", "Sales Engineer", "Purchase date" };
	cfg.path = "bench.conf";
	cfg.hostname = "dlp-gw1.corp.example";
	cfg.smtp.max_message_size = 50u << 20;
	cfg.smtp.max_recipients = 1000;
	cfg.smtp.max_line_length = 1000;
	cfg.smtp.timeouts = (struct cfg_timeouts){ 300, 600, 120, 30, 3600 };
	cfg.smtp.upstream.server_name = "mx.upstream.example";
	cfg.dlp.internal_domains = internal;
	cfg.dlp.n_internal_domains = 1;
	cfg.dlp.scan_limit = 64u << 20;
	cfg.dlp.inspected_header = "X-SMTPDLP-Inspected";
	for (int i = 0; i < 4; i++)
		terms[i] = (struct cfg_term){ (char *)t[i], 1, i + 1 };
	ent = (struct cfg_entity){ .name = "customer-entitlement", .type = CFG_ENTITY_DICTIONARY,
				   .terms = terms, .n_terms = 4 };
	cfg.dlp.entities = &ent;
	cfg.dlp.n_entities = 1;
	rule = (struct cfg_rule){ .name = "Customer entitlement email",
				  .match = "customer-entitlement", .count = CFG_COUNT_UNIQUE,
				  .scope = CFG_SCOPE_CONTENT };
	rule.severity[CFG_SEV_LOW] = 2;
	rule.severity[CFG_SEV_MEDIUM] = 3;
	rule.severity[CFG_SEV_HIGH] = 4;
	rule.severity[CFG_SEV_CRITICAL] = 4;
	cfg.dlp.rules = &rule;
	cfg.dlp.n_rules = 1;
	prof = (struct cfg_profile){ .name = "Customer data", .rules = prof_rules, .n_rules = 1 };
	cfg.dlp.profiles = &prof;
	cfg.dlp.n_profiles = 1;
	pol = (struct cfg_policy){ .name = "Customer email Hold", .enabled = true,
				   .profiles = pol_profiles, .n_profiles = 1,
				   .min_severity = CFG_SEV_LOW, .action = CFG_ACTION_ADD_HEADER,
				   .header_name = "X-DLP-Hold", .header_value = "Customer email Hold" };
	pol.from.domains = from_dom;
	pol.from.n_domains = 1;
	pol.to.external = true;
	cfg.policies = &pol;
	cfg.n_policies = 1;
}

/* ------------------------------------------------------------- sink */

struct sink {
	int state;           /* 0 commands, 1 data */
	bool closed;
	struct tls_conn *tls;
	struct tls_config *tls_cfg;
	struct iobuf rx, tx, wire_tx;
	char tail[8];
	size_t tl;
	uint64_t bytes;
	int msgs;
};

static void sk_reply(struct sink *s, const char *r)
{
	iobuf_append(&s->tx, r, strlen(r), 1u << 30);
}

static int sink_msgs_total; /* messages every sink accepted */

/* DATA: find CRLF "." CRLF across calls. Returns bytes used, or n. */
static size_t sk_data(struct sink *s, const uint8_t *d, size_t n)
{
	char win[16];
	size_t a = s->tl, b = n < 4 ? n : 4;
	memcpy(win, s->tail, a);
	memcpy(win + a, d, b);
	char *m = memmem(win, a + b, "\r\n.\r\n", 5);
	size_t end = 0;
	if (m) {
		end = (size_t)(m - win) + 5 - a;
	} else {
		const uint8_t *f = memmem(d, n, "\r\n.\r\n", 5);
		if (f)
			end = (size_t)(f - d) + 5;
	}
	if (end) {
		s->bytes += end;
		s->state = 0;
		s->msgs++;
		sink_msgs_total++;
		s->tl = 0;
		sk_reply(s, "250 2.0.0 Ok: queued\r\n");
		return end;
	}
	s->bytes += n;
	/* keep the last 4 bytes seen */
	if (n >= 4) {
		memcpy(s->tail, d + n - 4, 4);
		s->tl = 4;
	} else {
		char t[12];
		memcpy(t, s->tail, s->tl);
		memcpy(t + s->tl, d, n);
		size_t k = s->tl + n;
		size_t keep = k < 4 ? k : 4;
		memcpy(s->tail, t + k - keep, keep);
		s->tl = keep;
	}
	return n;
}

static void sk_input(struct sink *s, const uint8_t *d, size_t n)
{
	while (n > 0 && !s->closed) {
		if (s->state == 1) {
			size_t k = sk_data(s, d, n);
			d += k;
			n -= k;
			continue;
		}
		iobuf_append(&s->rx, d, n, 1u << 20);
		n = 0;
		for (;;) {
			const uint8_t *h = iobuf_head(&s->rx);
			const uint8_t *lf = memchr(h, '\n', iobuf_used(&s->rx));
			if (lf == NULL)
				break;
			size_t ll = (size_t)(lf - h) + 1;
			if (!strncasecmp((const char *)h, "EHLO", 4)) {
				sk_reply(s, s->tls_cfg && !s->tls
					 ? "250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-STARTTLS\r\n250 SIZE 100000000\r\n"
					 : "250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000000\r\n");
			} else if (!strncasecmp((const char *)h, "STARTTLS", 8)) {
				sk_reply(s, "220 2.0.0 go\r\n");
				s->tls = tls_conn_create(s->tls_cfg, NULL);
			} else if (!strncasecmp((const char *)h, "DATA", 4)) {
				sk_reply(s, "354 go\r\n");
				s->state = 1;
				memcpy(s->tail, "\r\n", 2);
				s->tl = 2;
				iobuf_consume(&s->rx, ll);
				/* the rest of rx is message data */
				size_t rest = iobuf_used(&s->rx);
				if (rest) {
					uint8_t *tmp = malloc(rest);
					memcpy(tmp, iobuf_head(&s->rx), rest);
					iobuf_consume(&s->rx, rest);
					sk_input(s, tmp, rest);
					free(tmp);
				}
				break;
			} else if (!strncasecmp((const char *)h, "QUIT", 4)) {
				sk_reply(s, "221 bye\r\n");
				s->closed = true;
			} else {
				sk_reply(s, "250 2.0.0 ok\r\n");
			}
			iobuf_consume(&s->rx, ll);
		}
	}
}

static void sk_wire_in(struct sink *s, const uint8_t *d, size_t n)
{
	if (s->tls == NULL) {
		sk_input(s, d, n);
		return;
	}
	size_t used = 0;
	while (used < n) {
		ssize_t r = tls_conn_feed(s->tls, d + used, n - used);
		if (r < 0)
			die("sink tls");
		used += (size_t)r;
		const uint8_t *b;
		size_t l;
		while (tls_conn_output(s->tls, &b, &l) > 0) {
			iobuf_append(&s->wire_tx, b, l, 1u << 30);
			tls_conn_output_consume(s->tls, l);
		}
		while (tls_conn_peek(s->tls, &b, &l) > 0) {
			sk_input(s, b, l);
			tls_conn_peek_consume(s->tls, l);
		}
		if (r == 0)
			break;
	}
}

static void sk_flush(struct sink *s)
{
	if (iobuf_empty(&s->tx))
		return;
	if (s->tls == NULL || !tls_conn_established(s->tls)) {
		iobuf_append(&s->wire_tx, iobuf_head(&s->tx), iobuf_used(&s->tx), 1u << 30);
		s->tx.off = s->tx.len = 0;
		return;
	}
	while (!iobuf_empty(&s->tx)) {
		ssize_t k = tls_conn_write(s->tls, iobuf_head(&s->tx), iobuf_used(&s->tx));
		if (k <= 0)
			die("sink write");
		iobuf_consume(&s->tx, (size_t)k);
		const uint8_t *b;
		size_t l;
		while (tls_conn_output(s->tls, &b, &l) > 0) {
			iobuf_append(&s->wire_tx, b, l, 1u << 30);
			tls_conn_output_consume(s->tls, l);
		}
	}
}

/* ---------------------------------------------------------- session */

struct bench {
	struct dlp_policy_set *ps;
	struct dlp_scanner *sc;
	struct msgbuf_pool *pool;
	struct smtp_upool *upool; /* -p: idle upstream pool */
	struct sink parked;       /* the sink side of the parked connection */
	bool has_parked;
	struct tls_config *px_srv, *px_cli, *snd_cli, *sink_srv;
};

struct sess {
	struct smtp_proxy *p;
	struct sink sk;
	bool up_conn;
	bool up_closed_told;
	struct tls_conn *s_tls;
	const uint8_t *script;
	size_t script_len, script_off;
	struct iobuf s_tx;
	struct smtp_reply_parser rp;
	int replies;
	unsigned codes[16];
};

static void s_rx(struct sess *s, const uint8_t *d, size_t n)
{
	/* the sender reads replies (plaintext) */
	size_t off = 0, used;
	while (off < n) {
		enum smtp_reply_status st = smtp_reply_parse(&s->rp, d + off, n - off, &used);
		off += used;
		if (st == SMTP_REPLY_ERROR)
			die("sender: bad reply");
		if (st == SMTP_REPLY_DONE && s->replies < 16)
			s->codes[s->replies++] = s->rp.reply.code;
	}
}

static void s_wire_in(struct sess *s, const uint8_t *d, size_t n)
{
	if (s->s_tls == NULL) {
		s_rx(s, d, n);
		return;
	}
	size_t used = 0;
	while (used < n) {
		ssize_t r = tls_conn_feed(s->s_tls, d + used, n - used);
		if (r < 0)
			die("sender tls");
		used += (size_t)r;
		const uint8_t *b;
		size_t l;
		while (tls_conn_output(s->s_tls, &b, &l) > 0) {
			iobuf_append(&s->s_tx, b, l, 1u << 30);
			tls_conn_output_consume(s->s_tls, l);
		}
		while (tls_conn_peek(s->s_tls, &b, &l) > 0) {
			s_rx(s, b, l);
			tls_conn_peek_consume(s->s_tls, l);
		}
		if (r == 0)
			break;
	}
}

/* The sender keeps up to 256 KiB in flight. */
static void s_produce(struct sess *s)
{
	if (s->s_tls) {
		const uint8_t *b;
		size_t l;
		while (tls_conn_output(s->s_tls, &b, &l) > 0) {
			iobuf_append(&s->s_tx, b, l, 1u << 30);
			tls_conn_output_consume(s->s_tls, l);
		}
	}
	while (iobuf_used(&s->s_tx) < 256 * 1024 && s->script_off < s->script_len) {
		size_t n = s->script_len - s->script_off;
		if (s->s_tls == NULL) {
			if (n > 64 * 1024)
				n = 64 * 1024;
			iobuf_append(&s->s_tx, s->script + s->script_off, n, 1u << 30);
			s->script_off += n;
			continue;
		}
		if (!tls_conn_established(s->s_tls))
			return;
		ssize_t k = tls_conn_write(s->s_tls, s->script + s->script_off, n);
		if (k <= 0)
			return;
		s->script_off += (size_t)k;
		const uint8_t *b;
		size_t l;
		while (tls_conn_output(s->s_tls, &b, &l) > 0) {
			iobuf_append(&s->s_tx, b, l, 1u << 30);
			tls_conn_output_consume(s->s_tls, l);
		}
	}
	if (s->s_tls) {
		const uint8_t *b;
		size_t l;
		while (tls_conn_output(s->s_tls, &b, &l) > 0) {
			iobuf_append(&s->s_tx, b, l, 1u << 30);
			tls_conn_output_consume(s->s_tls, l);
		}
	}
}

static uint64_t clock_ms = 1000;
static struct bench *the_bench;

static void pump(struct sess *s)
{
	for (;;) {
		bool prog = false;
		const uint8_t *b;
		size_t n;
		while ((n = PX(smtp_proxy_down_pending(s->p, &b))) > 0) {
			s_wire_in(s, b, n);
			PXV(smtp_proxy_down_sent(s->p, n, clock_ms));
			prog = true;
		}
		uint32_t ev = PX(smtp_proxy_events(s->p));
		if (ev & SMTP_PROXY_EV_UP_CONNECT) {
			s->up_conn = true;
			PXV(smtp_proxy_up_connected(s->p, clock_ms));
			sk_reply(&s->sk, "220 sink ESMTP\r\n");
			prog = true;
		}
		if (ev & SMTP_PROXY_EV_UP_CLOSE)
			s->up_conn = false;
		if (ev & SMTP_PROXY_EV_UP_POOLED) {
			/* the connection (and the sink's end of it) stays open */
			the_bench->parked = s->sk;
			the_bench->has_parked = true;
			memset(&s->sk, 0, sizeof(s->sk));
			s->up_conn = false;
		}
		if (ev & SMTP_PROXY_EV_UP_ADOPTED) {
			if (!the_bench->has_parked)
				die("adopted a connection nobody parked");
			s->sk = the_bench->parked;
			the_bench->has_parked = false;
			s->up_conn = true;
			prog = true;
		}
		while (s->up_conn && (n = PX(smtp_proxy_up_pending(s->p, &b))) > 0) {
			sk_wire_in(&s->sk, b, n);
			PXV(smtp_proxy_up_sent(s->p, n, clock_ms));
			prog = true;
		}
		if (s->up_conn) {
			sk_flush(&s->sk);
			if (!iobuf_empty(&s->sk.wire_tx)) {
				size_t k = PX(smtp_proxy_up_recv(s->p, iobuf_head(&s->sk.wire_tx),
								 iobuf_used(&s->sk.wire_tx), clock_ms));
				iobuf_consume(&s->sk.wire_tx, k);
				prog = prog || k > 0;
			} else if (s->sk.closed && !s->up_closed_told) {
				s->up_closed_told = true;
				s->up_conn = false;
				PXV(smtp_proxy_up_closed(s->p, clock_ms));
				prog = true;
			}
		}
		s_produce(s);
		if (!iobuf_empty(&s->s_tx)) {
			size_t k = PX(smtp_proxy_down_recv(s->p, iobuf_head(&s->s_tx),
							   iobuf_used(&s->s_tx), clock_ms));
			iobuf_consume(&s->s_tx, k);
			prog = prog || k > 0;
		}
		if (!prog)
			break;
	}
}

/* -n: a scan backend that looks at nothing (relay cost without DLP). */
static void *null_begin(void *ctx, const struct dlp_envelope *env)
{
	return ctx;
}
static int null_feed(void *ctx, void *h, const void *d, size_t n)
{
	return 0;
}
static int null_end(void *ctx, void *h, struct dlp_verdict **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}
static void null_abort(void *ctx, void *h)
{
}
static void null_release(void *ctx, struct dlp_verdict *v)
{
	free(v);
}
static const struct smtp_scan_ops null_ops = { null_begin, null_feed, null_end, null_abort,
					       null_release, NULL };
static bool no_dlp;

static struct smtp_proxy *new_proxy(struct bench *b, bool tls)
{
	struct smtp_proxy_params pp = {
		.cfg = &cfg,
		.listen_tls = tls ? CFG_LISTEN_IMPLICIT : CFG_LISTEN_PLAIN,
		.tls_server = tls ? b->px_srv : NULL,
		.tls_client = tls ? b->px_cli : NULL,
		.pool = b->pool,
		.scan_ops = no_dlp ? &null_ops : &smtp_scan_inline_ops,
		.scan_ctx = no_dlp ? (void *)b : (void *)b->sc,
		.session_id = 1,
		.upool = b->upool,
	};
	struct smtp_proxy *p = smtp_proxy_create(&pp);
	if (p == NULL)
		die("smtp_proxy_create");
	return p;
}

static void sess_init(struct bench *b, struct sess *s, bool tls)
{
	memset(s, 0, sizeof(*s));
	smtp_reply_parser_init(&s->rp);
	s->sk.tls_cfg = tls ? b->sink_srv : NULL;
	s->p = PX(new_proxy(b, tls));
	PXV(smtp_proxy_start(s->p, clock_ms));
	if (tls) {
		s->s_tls = tls_conn_create(b->snd_cli, "dlp-gw1.corp.example");
		if (s->s_tls == NULL)
			die("sender tls_conn_create");
	}
}

static void sess_free(struct sess *s)
{
	PXV(smtp_proxy_destroy(s->p));
	tls_conn_destroy(s->s_tls);
	tls_conn_destroy(s->sk.tls);
	iobuf_free(&s->sk.rx);
	iobuf_free(&s->sk.tx);
	iobuf_free(&s->sk.wire_tx);
	iobuf_free(&s->s_tx);
}

static int run_session(struct bench *b, const uint8_t *script, size_t len, bool tls)
{
	struct sess s;
	int before = sink_msgs_total;
	sess_init(b, &s, tls);
	s.script = script;
	s.script_len = len;
	pump(&s);
	static const unsigned want[] = { 220, 250, 250, 250, 354, 250, 221 };
	bool ok = s.replies == 7 && sink_msgs_total == before + 1;
	for (int i = 0; ok && i < 7; i++)
		ok = s.codes[i] == want[i];
	if (!ok) {
		fprintf(stderr, "session failed: %d replies:", s.replies);
		for (int i = 0; i < s.replies; i++)
			fprintf(stderr, " %u", s.codes[i]);
		fprintf(stderr, "\n");
	}
	sess_free(&s);
	return ok ? 0 : -1;
}

/* The message: headers + text lines of 76 characters (some starting with a
 * dot, to exercise stuffing), no dictionary terms (allow + inspected header). */
static uint8_t *make_script(size_t size, size_t *out_len, size_t *msg_len)
{
	static const char *words[] = { "lorem", "ipsum", "dolor", "sit", "amet", "quarterly",
				       "report", "meeting", "budget", "review", "notes", "draft" };
	struct iobuf m = { 0 };
	const char *hdr = "From: alice@corp.example\r\nTo: bob@external.example\r\n"
			  "Subject: benchmark\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n";
	iobuf_append(&m, hdr, strlen(hdr), 1u << 30);
	unsigned r = 12345;
	while (iobuf_used(&m) < size) {
		char line[100];
		size_t o = 0;
		if ((r = r * 1103515245 + 12345) % 50 == 0)
			line[o++] = '.';
		while (o < 74) {
			r = r * 1103515245 + 12345;
			const char *w = words[(r >> 16) % 12];
			size_t wl = strlen(w);
			if (o + wl + 1 > 74)
				break;
			memcpy(line + o, w, wl);
			o += wl;
			line[o++] = ' ';
		}
		line[o++] = '\r';
		line[o++] = '\n';
		iobuf_append(&m, line, o, 1u << 30);
	}
	*msg_len = iobuf_used(&m);
	struct iobuf s = { 0 };
	const char *pre = "EHLO sender.example\r\nMAIL FROM:<alice@corp.example>\r\n"
			  "RCPT TO:<bob@external.example>\r\nDATA\r\n";
	iobuf_append(&s, pre, strlen(pre), 1u << 30);
	const uint8_t *d = iobuf_head(&m);
	bool bol = true;
	for (size_t i = 0; i < iobuf_used(&m); i++) {
		if (bol && d[i] == '.')
			iobuf_append(&s, ".", 1, 1u << 30);
		iobuf_append(&s, d + i, 1, 1u << 30);
		bol = d[i] == '\n';
	}
	iobuf_append(&s, ".\r\nQUIT\r\n", 9, 1u << 30);
	iobuf_free(&m);
	*out_len = iobuf_used(&s);
	return s.data;
}

/* --------------------------------------------------- raw TLS records */

static double raw_records(struct bench *b, size_t total)
{
	struct tls_conn *c = tls_conn_create(b->px_cli, "mx.upstream.example");
	struct tls_conn *s = tls_conn_create(b->sink_srv, NULL);
	const uint8_t *p;
	size_t n;
	/* handshake */
	for (int i = 0; i < 100 && !(tls_conn_established(c) && tls_conn_established(s)); i++) {
		while (tls_conn_output(c, &p, &n) > 0) {
			if (tls_conn_feed(s, p, n) < 0)
				die("raw hs");
			tls_conn_output_consume(c, n);
		}
		while (tls_conn_output(s, &p, &n) > 0) {
			if (tls_conn_feed(c, p, n) < 0)
				die("raw hs");
			tls_conn_output_consume(s, n);
		}
	}
	static uint8_t buf[16384];
	memset(buf, 'a', sizeof(buf));
	size_t done = 0;
	double t0 = cpu();
	while (done < total) {
		ssize_t k = tls_conn_write(c, buf, sizeof(buf));
		if (k <= 0)
			die("raw write");
		while (tls_conn_output(c, &p, &n) > 0) {
			size_t used = 0;
			while (used < n) {
				ssize_t r = tls_conn_feed(s, p + used, n - used);
				if (r < 0)
					die("raw feed");
				used += (size_t)r;
				const uint8_t *pt;
				size_t l;
				while (tls_conn_peek(s, &pt, &l) > 0)
					tls_conn_peek_consume(s, l);
			}
			tls_conn_output_consume(c, n);
		}
		done += (size_t)k;
	}
	double t = cpu() - t0;
	tls_conn_destroy(c);
	tls_conn_destroy(s);
	return (double)done / t / 1e6;
}

/* ------------------------------------------------------ idle memory */

static size_t heap(void)
{
	return mallinfo2().uordblks;
}

static double idle_memory(struct bench *b, int count, bool tls, double *tls_part)
{
	struct sess *ss = calloc((size_t)count, sizeof(*ss));
	static const char ehlo[] = "EHLO sender.example\r\n";
	size_t h0 = heap();
	size_t tls_sum = 0;
	for (int i = 0; i < count; i++) {
		sess_init(b, &ss[i], tls);
		ss[i].script = (const uint8_t *)ehlo;
		ss[i].script_len = sizeof(ehlo) - 1;
		pump(&ss[i]);
		tls_sum += smtp_proxy_tls_memory(ss[i].p);
		if (ss[i].replies != 2)
			die("idle session did not get its EHLO reply");
	}
	/* what the sessions hold, without the harness's own buffers */
	size_t harness = 0;
	for (int i = 0; i < count; i++) {
		harness += ss[i].s_tx.cap + ss[i].sk.rx.cap + ss[i].sk.tx.cap + ss[i].sk.wire_tx.cap;
		if (ss[i].s_tls)
			harness += tls_conn_memory(ss[i].s_tls);
		if (ss[i].sk.tls)
			harness += tls_conn_memory(ss[i].sk.tls);
	}
	size_t h1 = heap();
	for (int i = 0; i < count; i++)
		sess_free(&ss[i]);
	free(ss);
	*tls_part = (double)tls_sum / count;
	return ((double)(h1 - h0) - (double)harness) / count;
}

/* Close the parked upstream connection (the pool forgets it). */
static void drop_parked(struct bench *b)
{
	void *h;
	while (b->upool && smtp_upool_expire(b->upool, UINT64_MAX, &h))
		;
	if (b->has_parked) {
		tls_conn_destroy(b->parked.tls);
		iobuf_free(&b->parked.rx);
		iobuf_free(&b->parked.tx);
		iobuf_free(&b->parked.wire_tx);
		b->has_parked = false;
	}
}

int main(int argc, char **argv)
{
	double secs = 1.0;
	int idle = 1000;
	int o;
	bool pooled = false;
	while ((o = getopt(argc, argv, "s:c:np")) != -1) {
		if (o == 'p') {
			pooled = true;
			continue;
		}
		if (o == 's')
			secs = atof(optarg);
		else if (o == 'c')
			idle = atoi(optarg);
		else if (o == 'n')
			no_dlp = true;
		else {
			fprintf(stderr, "usage: smtpdlp-bench-proxy [-s seconds] [-c idle sessions] [-n (no DLP scan)] [-p (idle upstream pool)]\n");
			return 2;
		}
	}
	build_cfg();
	struct bench b = { 0 };
	char err[256];
	b.ps = dlp_policy_set_build(&cfg, err, sizeof(err));
	if (b.ps == NULL)
		die(err);
	b.sc = dlp_scanner_create(b.ps);
	b.pool = msgbuf_pool_create(8192, 512);
	the_bench = &b;
	if (pooled)
		b.upool = smtp_upool_create(4, 3600 * 1000);
	struct testcerts px, up;
	if (testcerts_generate(&px, "dlp-gw1.corp.example", false) ||
	    testcerts_generate(&up, "mx.upstream.example", false))
		die("testcerts");
	struct tls_config_params p;
	memset(&p, 0, sizeof(p));
	p.role = TLS_SERVER;
	p.cert_pem = px.ec_cert_pem, p.cert_pem_len = strlen(px.ec_cert_pem);
	p.key_pem = px.ec_key_pem, p.key_pem_len = strlen(px.ec_key_pem);
	b.px_srv = tls_config_create(&p, err, sizeof(err));
	p.cert_pem = up.ec_cert_pem, p.cert_pem_len = strlen(up.ec_cert_pem);
	p.key_pem = up.ec_key_pem, p.key_pem_len = strlen(up.ec_key_pem);
	b.sink_srv = tls_config_create(&p, err, sizeof(err));
	memset(&p, 0, sizeof(p));
	p.role = TLS_CLIENT;
	p.verify = TLS_VERIFY_REQUIRED;
	p.ca_pem = up.ca_pem, p.ca_pem_len = strlen(up.ca_pem);
	p.server_name = "mx.upstream.example";
	b.px_cli = tls_config_create(&p, err, sizeof(err));
	p.ca_pem = px.ca_pem, p.ca_pem_len = strlen(px.ca_pem);
	p.server_name = "dlp-gw1.corp.example";
	b.snd_cli = tls_config_create(&p, err, sizeof(err));
	if (!b.px_srv || !b.sink_srv || !b.px_cli || !b.snd_cli)
		die(err);
	cfg.smtp.upstream.tls = CFG_UP_TLS_NONE;

	printf("# smtpdlp-bench-proxy: in-memory SMTP proxy (server + client + msgbuf + DLP scan)\n");
	printf("# one core, thread CPU time; 'proxy' = time inside smtp_proxy_* only; DLP %s; "
	       "upstream %s\n\n", no_dlp ? "off (-n)" : "on (seed dictionary, real engine)",
	       pooled ? "connections reused via the idle pool (-p)" : "connection per session");
	double raw = raw_records(&b, 256u << 20);
	printf("raw TLS records (app/tls, AES-GCM, 16 KiB, encrypt+decrypt one hop): %.1f MB/s\n\n",
	       raw);
	printf("| message | TLS | sessions/s (loop) | MB/s (loop) | sessions/s (proxy) | MB/s (proxy) | proxy MB/s / raw TLS |\n");
	printf("|---|---|---|---|---|---|---|\n");
	static const size_t sizes[] = { 4096, 100 * 1024, 5 * 1024 * 1024 };
	static const char *names[] = { "4 KB", "100 KB", "5 MB" };
	for (int tls = 0; tls < 2; tls++) {
		cfg.smtp.upstream.tls = tls ? CFG_UP_TLS_REQUIRED : CFG_UP_TLS_NONE;
		drop_parked(&b);
		for (int i = 0; i < 3; i++) {
			size_t sl, ml;
			uint8_t *script = make_script(sizes[i], &sl, &ml);
			/* warm-up (also primes TLS session resumption) */
			if (run_session(&b, script, sl, tls) < 0)
				die("warm-up session failed");
			int n = 0;
			t_proxy = 0;
			double t0 = cpu(), t;
			do {
				if (run_session(&b, script, sl, tls) < 0)
					die("session failed");
				n++;
				t = cpu() - t0;
			} while (t < secs || n < 3);
			double mb = (double)ml * n / 1e6;
			printf("| %s | %s | %.0f | %.1f | %.0f | %.1f | %s |\n", names[i],
			       tls ? "both sides" : "none", n / t, mb / t, n / t_proxy, mb / t_proxy,
			       tls ? ({ static char r[32]; snprintf(r, sizeof(r), "%.2f", mb / t_proxy / raw); r; }) : "-");
			fflush(stdout);
			free(script);
		}
	}
	drop_parked(&b);
	smtp_upool_destroy(b.upool);
	b.upool = NULL;
	double tp;
	double m0 = idle_memory(&b, idle, false, &tp);
	cfg.smtp.upstream.tls = CFG_UP_TLS_REQUIRED;
	double tpt;
	double m1 = idle_memory(&b, idle, true, &tpt);
	printf("\nidle session after EHLO (upstream connected), heap per session, %d sessions:\n", idle);
	printf("  plain: %.0f bytes\n", m0);
	printf("  TLS both sides: %.0f bytes, of which TLS contexts %.0f bytes (tls_conn_memory), "
	       "SMTP state %.0f bytes\n", m1, tpt, m1 - tpt);

	tls_config_destroy(b.px_srv);
	tls_config_destroy(b.px_cli);
	tls_config_destroy(b.snd_cli);
	tls_config_destroy(b.sink_srv);
	testcerts_free(&px);
	testcerts_free(&up);
	msgbuf_pool_destroy(b.pool);
	dlp_scanner_destroy(b.sc);
	dlp_policy_set_unref(b.ps);
	return 0;
}
