/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * io_app.c — SMTP proxy sessions over an io lcore's TCP stack (io_app.h).
 *
 * A session joins two TCP connections of the same stack — the sender's
 * ("down") and the upstream MTA's ("up") — through one sans-IO smtp_proxy.
 * After every event (bytes in, send space, connect, close, timer) the
 * session is pumped: proxy output is copied into the TCP send buffers,
 * input the proxy could not take yet is offered again, and the proxy's
 * events (open / close a connection) are carried out.
 *
 * Received bytes are handed to the proxy straight from the mbufs. What the
 * proxy does not accept (its staging is bounded) is copied into a per-side
 * hold buffer and the TCP receive window is only reopened (tcp_recv_done)
 * for bytes the proxy took: flow control pushes back on the sender.
 *
 * DLP: the proxy's scan backend here keeps a pool of dlp_scanner objects
 * per policy snapshot (the engine keeps one open message per scanner). A
 * message takes a scanner at begin and returns it at end or abort; after a
 * reload, new messages take scanners of the new snapshot and the old ones
 * are freed as their messages finish.
 */
#include "app/io_app.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "app/control.h"
#include "app/daemon.h"
#include "app/forensics.h"
#include "app/incident.h"
#include "app/inject.h"
#include "app/notify.h"
#include "app/log.h"
#include "app/msgbuf.h"
#include "app/smtp_proxy.h"
#include "app/smtp_scan.h"
#include "app/smtp_server.h"
#include "app/stats.h"
#include "app/tls.h"
#include "dataplane/dp_loop.h"
#include "dataplane/dp_msg.h"
#include "dlp/dlp.h"
#include "dlp/verdict_json.h"

#define IO_MAX_LISTENERS 16
#define IO_HOLD_MAX (256u * 1024u)     /* held input per side, > rcvbuf */
#define IO_SCANNERS_MAX 512            /* messages scanned at once per lcore */
#define IO_SCANNERS_KEEP 8             /* idle scanners kept for reuse (~2.5 MB each) */
#define IO_MSGBUF_CHUNKS_MIN 4096      /* 16 KiB chunks: 64 MiB per lcore */
#define IO_TIMER_PERIOD_MS 50
#define IO_PUMP_ROUNDS 16
#define IO_UPOOL_IDLE_MS 10000         /* an idle pooled upstream connection */

struct io_app;

struct io_listener {
	struct io_app *app;
	enum cfg_listen_tls tls;
	uint32_t addr;
	uint16_t port;
};

/* Bytes received that the proxy has not taken yet. */
struct io_hold {
	uint8_t *buf;
	uint32_t len;
	uint32_t cap;
};

struct io_session {
	struct io_app *app;
	struct io_session *prev, *next;
	struct smtp_proxy *proxy;
	struct tcp_conn *down, *up;
	struct inject *inj;        /* sender side is the appliance itself (inject.h) */
	struct inject_job *job;
	struct io_hold down_in, up_in;
	bool up_connecting;
	bool down_fin;             /* the sender half-closed: no more input */
	bool inj_closed;           /* injected sender's end reported to the proxy */
	bool down_close, up_close; /* proxy asked: close once output is drained */
	bool in_pump;              /* re-entrancy guard for callbacks from sends */
	bool implicit;             /* accepted on an implicit-TLS listener */
	char client_addr[16];      /* sender MTA's IPv4, dotted quad */
	bool dead;                 /* destroy at the end of the current pump */
	uint32_t rcpts;
};

/* Scanners of one snapshot. */
struct io_scanset {
	struct dlp_policy_set *ps; /* one reference */
	uint64_t generation;
	struct dlp_scanner *free[IO_SCANNERS_KEEP];
	unsigned n_free;
	unsigned in_use;
	struct io_scanset *next_old; /* retired sets waiting for in_use == 0 */
};

struct io_scan_handle {
	struct io_scanset *set;
	struct dlp_scanner *sc;
	struct dlp_txn *txn;
};

struct io_app {
	struct daemon *d;
	const struct cfg *cfg;
	unsigned index;
	struct dp_lcore *lc;
	struct tcp_stack *stack;
	struct stats_block *stats;
	struct tls_config *tls_server;
	struct tls_config *tls_client;
	struct msgbuf_pool *msgpool;
	struct io_scanset *scan;      /* current */
	struct io_scanset *old_scans; /* retired */
	struct io_listener listeners[IO_MAX_LISTENERS];
	unsigned n_listeners;
	struct io_session *sessions;
	unsigned n_sessions;
	struct incident_queue *jobs;  /* struct inject_job *, pushed by any thread */
	struct smtp_upool *upool;     /* idle upstream connections of this lcore */
	uint64_t next_sid;
	uint64_t next_timer_ms;
	uint64_t next_stats_ms;
	bool listening;
	struct tcp_stack_counters last_tcp;
} __rte_cache_aligned;

static const struct tcp_callbacks down_cb;
static const struct tcp_callbacks up_cb;
static const struct tcp_callbacks pooled_cb;
static void sess_pump(struct io_session *s, uint64_t now);

static uint64_t app_now_ms(const struct io_app *a)
{
	return tcp_stack_now(a->stack) / 1000;
}

/* ------------------------------------------------------------- scanning */

static struct io_scanset *scanset_create(struct dlp_policy_set *ps, uint64_t generation)
{
	struct io_scanset *set = calloc(1, sizeof(*set));

	if (set == NULL)
		return NULL;
	dlp_policy_set_ref(ps);
	set->ps = ps;
	set->generation = generation;
	return set;
}

static void scanset_destroy(struct io_scanset *set)
{
	if (set == NULL)
		return;
	for (unsigned i = 0; i < set->n_free; i++)
		dlp_scanner_destroy(set->free[i]);
	dlp_policy_set_unref(set->ps);
	free(set);
}

/* Free retired sets whose messages have all finished. */
static void scanset_reap(struct io_app *a)
{
	struct io_scanset **pp = &a->old_scans;

	while (*pp != NULL) {
		struct io_scanset *set = *pp;
		if (set->in_use == 0) {
			*pp = set->next_old;
			log_msg(LOG_LVL_INFO, "io%u: policy snapshot %" PRIu64 " retired", a->index,
				set->generation);
			scanset_destroy(set);
		} else {
			pp = &set->next_old;
		}
	}
}

static void scan_put(struct io_app *a, struct io_scan_handle *h)
{
	struct io_scanset *set = h->set;

	set->in_use--;
	if (set == a->scan && set->n_free < IO_SCANNERS_KEEP)
		set->free[set->n_free++] = h->sc;
	else
		dlp_scanner_destroy(h->sc);
	free(h);
	if (set != a->scan)
		scanset_reap(a);
}

static void *io_scan_begin(void *ctx, const struct dlp_envelope *env)
{
	struct io_app *a = ctx;
	struct io_scanset *set = a->scan;
	struct io_scan_handle *h;

	if (set->in_use >= IO_SCANNERS_MAX) {
		errno = EBUSY;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->set = set;
	h->sc = set->n_free > 0 ? set->free[--set->n_free] : dlp_scanner_create(set->ps);
	if (h->sc == NULL) {
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	set->in_use++;
	h->txn = dlp_txn_begin(h->sc, env);
	if (h->txn == NULL) {
		int e = errno ? errno : ENOMEM;
		scan_put(a, h);
		errno = e;
		return NULL;
	}
	return h;
}

static int io_scan_feed(void *ctx, void *hp, const void *data, size_t len)
{
	struct io_scan_handle *h = hp;
	(void)ctx;
	return dlp_txn_feed(h->txn, data, len);
}

static int io_scan_end(void *ctx, void *hp, struct dlp_verdict **out)
{
	struct io_app *a = ctx;
	struct io_scan_handle *h = hp;
	struct dlp_verdict *v = dlp_txn_end(h->txn);
	int err = errno;

	h->txn = NULL;
	scan_put(a, h);
	if (v == NULL) {
		stats_inc(a->stats, STATS_DLP_ERRORS);
		return -(err ? err : ENOMEM);
	}
	stats_inc(a->stats, STATS_DLP_MESSAGES);
	stats_add(a->stats, STATS_DLP_BYTES_DECODED, v->decoded_bytes);
	stats_add(a->stats, STATS_DLP_RULES_TRIGGERED, v->n_rules);
	for (size_t i = 0; i < v->n_entities; i++)
		stats_add(a->stats, STATS_DLP_MATCHES, v->entities[i].count);
	if (v->policy != NULL)
		stats_inc(a->stats, STATS_DLP_POLICIES_MATCHED);
	if (v->anomalies != 0)
		stats_inc(a->stats, STATS_DLP_ANOMALIES);
	if (v->unscannable)
		stats_inc(a->stats, STATS_DLP_UNSCANNABLE);
	*out = v;
	return 0;
}

static void io_scan_abort(void *ctx, void *hp)
{
	struct io_scan_handle *h = hp;

	dlp_txn_abort(h->txn);
	h->txn = NULL;
	scan_put(ctx, h);
}

static void io_scan_release(void *ctx, struct dlp_verdict *v)
{
	(void)ctx;
	dlp_verdict_free(v);
}

static const struct smtp_scan_ops io_scan_ops = {
	.begin = io_scan_begin,
	.feed = io_scan_feed,
	.end = io_scan_end,
	.abort = io_scan_abort,
	.release = io_scan_release,
};

/* A new snapshot from the control thread (we own one reference of it). */
static void adopt_snapshot(struct io_app *a, struct dlp_policy_set *ps, uint64_t generation)
{
	struct io_scanset *set = scanset_create(ps, generation);

	dlp_policy_set_unref(ps); /* the set holds its own */
	if (set == NULL) {
		log_msg(LOG_LVL_ERR, "io%u: no memory for policy snapshot %" PRIu64
			"; keeping %" PRIu64, a->index, generation, a->scan->generation);
		return;
	}
	a->scan->next_old = a->old_scans;
	a->old_scans = a->scan;
	a->scan = set;
	log_msg(LOG_LVL_INFO, "io%u: policy snapshot %" PRIu64 " active", a->index, generation);
	scanset_reap(a);
}

/* ------------------------------------------------------------ incidents */

static const char *action_taken(const struct smtp_incident *inc)
{
	if (inc->reply_code >= 400 && inc->reply_code < 500)
		return "tempfail";
	return incident_action_name(inc->action);
}

static void log_message(struct io_app *a, const struct smtp_incident *inc)
{
	const struct dlp_verdict *v = inc->verdict;
	char line[2048];
	size_t n = 0;

	line[0] = '\0';
	n = log_kv_str(line, sizeof(line), n, "qid", inc->queue_id, strlen(inc->queue_id));
	n = log_kv_str(line, sizeof(line), n, "from", inc->mail_from, strlen(inc->mail_from));
	for (size_t i = 0; i < inc->n_rcpts && i < 8; i++)
		n = log_kv_str(line, sizeof(line), n, "to", inc->rcpts[i], strlen(inc->rcpts[i]));
	if (v != NULL && v->policy != NULL)
		n = log_kv_str(line, sizeof(line), n, "policy", v->policy, strlen(v->policy));
	if (v != NULL && v->profile != NULL)
		n = log_kv_str(line, sizeof(line), n, "profile", v->profile, strlen(v->profile));
	if (inc->upstream_text != NULL)
		n = log_kv_str(line, sizeof(line), n, "up_text", inc->upstream_text,
			       inc->upstream_text_len > 200 ? 200 : inc->upstream_text_len);
	log_msg(LOG_LVL_INFO,
		"msg%s rcpts=%zu size=%" PRIu64 " action=%s severity=%s reply=%u up=%u "
		"tls_in=%d tls_out=%d scan_ms=%" PRIu64 " total_ms=%" PRIu64,
		line, inc->n_rcpts, inc->msg_bytes, action_taken(inc),
		incident_severity_name(v != NULL ? v->severity : CFG_SEV_NONE), inc->reply_code,
		inc->upstream_code, inc->tls_in, inc->tls_out,
		inc->t_eod_ms >= inc->t_data_ms ? inc->t_eod_ms - inc->t_data_ms : 0,
		inc->t_done_ms >= inc->t_data_ms ? inc->t_done_ms - inc->t_data_ms : 0);
}

/* md5 of the message and, when forensics is on, a copy of it. */
static uint8_t *message_digest(const struct msgbuf *mb, bool copy, char md5[33])
{
	struct forensics_md5 m;
	uint8_t *buf = NULL;
	size_t off = 0;

	if (copy && (buf = malloc(msgbuf_len(mb) ? msgbuf_len(mb) : 1)) == NULL)
		copy = false;
	forensics_md5_init(&m);
	for (const struct msgbuf_chunk *ch = mb->head; ch != NULL; ch = ch->next) {
		forensics_md5_update(&m, ch->data, ch->len);
		if (copy) {
			memcpy(buf + off, ch->data, ch->len);
			off += ch->len;
		}
	}
	forensics_md5_final(&m, md5);
	return buf;
}

/* Every message: one log line and the action counters. */
static void on_message(void *ctx, const struct smtp_incident *inc)
{
	struct io_session *s = ctx;
	struct io_app *a = s->app;

	log_message(a, inc);
	switch (inc->action) {
	case CFG_ACTION_ALERT:
		stats_inc(a->stats, STATS_ACTION_ALERT);
		break;
	case CFG_ACTION_ADD_HEADER:
		stats_inc(a->stats, STATS_ACTION_ADD_HEADER);
		break;
	case CFG_ACTION_BLOCK:
		stats_inc(a->stats, STATS_ACTION_BLOCK);
		break;
	case CFG_ACTION_QUARANTINE:
		stats_inc(a->stats, STATS_ACTION_QUARANTINE);
		break;
	default:
		stats_inc(a->stats, STATS_ACTION_ALLOW);
		break;
	}
	if (inc->reply_code >= 400 && inc->reply_code < 500)
		stats_inc(a->stats, STATS_ACTION_TEMPFAIL);
}

/* notify_sender: a notice to the sender, sent by this lcore (MAIL FROM:<>). */
static void queue_notice(struct io_app *a, const struct incident *rec)
{
	const struct cfg_notify *nc = &a->cfg->notify;
	struct notify_params np = {
		.from = nc->from,
		.subject_tmpl = nc->subject,
		.body_tmpl = nc->template,
		.hostname = a->cfg->hostname,
	};
	const char *rcpt = rec->from_user;
	struct inject_job *j;
	char *msg = NULL;
	size_t len = 0;

	if (notify_build_for_incident(&np, rec, &msg, &len) < 0) {
		log_msg(LOG_LVL_WARN, "io%u: notice for incident %s not built", a->index, rec->uid);
		return;
	}
	j = inject_job_create(INJECT_NOTICE, "", &rcpt, 1, msg, len, rec->uid);
	free(msg);
	if (j == NULL || incident_queue_push(a->jobs, j) < 0) {
		inject_job_free(j);
		log_msg(LOG_LVL_WARN, "io%u: notice for incident %s dropped", a->index, rec->uid);
	}
}

/* Messages a policy matched (or unscannable ones): the incident record. */
static void on_incident(void *ctx, const struct smtp_incident *inc)
{
	struct io_session *s = ctx;
	struct io_app *a = s->app;
	struct incident_meta meta = { 0 };
	char up[600], md5[33] = "";
	struct incident *rec;
	uint8_t *copy = NULL;
	bool forensics;

	if (inc->verdict == NULL)
		return; /* scan failed: temp-failed, nothing to record */

	forensics = control_forensics_enabled(a->d->control) && inc->msg != NULL;
	if (inc->msg != NULL)
		copy = message_digest(inc->msg, forensics, md5);
	meta.queue_id = inc->queue_id;
	meta.mail_from = inc->mail_from;
	meta.rcpts = inc->rcpts;
	meta.n_rcpts = inc->n_rcpts;
	meta.client_addr = s->client_addr;
	meta.md5 = md5[0] != '\0' ? md5 : NULL;
	meta.action_taken = action_taken(inc);
	if (inc->upstream_code != 0) {
		snprintf(up, sizeof(up), "%u %.*s", inc->upstream_code,
			 (int)(inc->upstream_text_len > 500 ? 500 : inc->upstream_text_len),
			 inc->upstream_text != NULL ? inc->upstream_text : "");
		meta.upstream_reply = up;
	}
	meta.size = inc->msg_bytes;
	meta.cfg = a->cfg;
	rec = incident_create(inc->verdict, &meta);
	if (rec == NULL) {
		free(copy);
		stats_inc(a->stats, STATS_INCIDENTS_DROPPED);
		return;
	}
	if (inc->verdict->notify_sender) {
		if (notify_sender_allowed(a->cfg, inc->mail_from))
			queue_notice(a, rec);
		else if (inc->mail_from[0] != '\0')
			log_msg(LOG_LVL_INFO,
				"io%u: incident %s: no notice to %s (not an internal sender)",
				a->index, rec->uid, rec->from_user);
	}
	if (copy != NULL)
		rec->forensics = control_push_forensics(a->d->control, rec->uid, copy,
							(size_t)msgbuf_len(inc->msg),
							dlp_verdict_json(inc->verdict, NULL, 0)) == 0;
	if (control_push_incident(a->d->control, rec) < 0)
		stats_inc(a->stats, STATS_INCIDENTS_DROPPED);
}

/* ------------------------------------------------------------- sessions */

static int hold_append(struct io_hold *h, const uint8_t *p, size_t n)
{
	if (h->len + n > IO_HOLD_MAX)
		return -ENOBUFS;
	if (h->len + n > h->cap) {
		uint32_t cap = h->cap ? h->cap : 4096;
		while (cap < h->len + n)
			cap *= 2;
		uint8_t *nb = realloc(h->buf, cap);
		if (nb == NULL)
			return -ENOMEM;
		h->buf = nb;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, p, n);
	h->len += (uint32_t)n;
	return 0;
}

static void hold_free(struct io_hold *h)
{
	free(h->buf);
	memset(h, 0, sizeof(*h));
}

static void sess_destroy(struct io_session *s)
{
	struct io_app *a = s->app;

	/* An upstream connection the proxy parked in the pool stays open. */
	if (s->proxy != NULL && s->up != NULL &&
	    (smtp_proxy_events(s->proxy) & SMTP_PROXY_EV_UP_POOLED)) {
		tcp_conn_set_callbacks(s->up, &pooled_cb);
		tcp_conn_set_ctx(s->up, a);
		s->up = NULL;
	}

	if (s->down != NULL) {
		tcp_conn_set_ctx(s->down, NULL);
		tcp_abort(s->down);
	}
	if (s->up != NULL) {
		tcp_conn_set_ctx(s->up, NULL);
		tcp_abort(s->up);
	}
	if (s->proxy != NULL) {
		const struct smtp_proxy_stats *ps = smtp_proxy_stats(s->proxy);
		stats_add(a->stats, STATS_SMTP_MESSAGES, ps->messages);
		stats_add(a->stats, STATS_SMTP_MESSAGES_RELAYED, ps->relayed);
		stats_add(a->stats, STATS_SMTP_BYTES, ps->bytes_in);
		stats_add(a->stats, STATS_SMTP_UPSTREAM_FAILURES, ps->upstream_failures);
		stats_add(a->stats, STATS_TLS_HANDSHAKES, ps->tls_in);
		stats_add(a->stats, STATS_TLS_RESUMED, ps->tls_in_resumed);
		stats_add(a->stats, STATS_TLS_HANDSHAKE_FAILURES, ps->tls_in_failed);
		stats_add(a->stats, STATS_TLS_UPSTREAM_HANDSHAKES, ps->tls_out);
		stats_add(a->stats, STATS_TLS_UPSTREAM_FAILURES, ps->tls_out_failed);
		if (!s->implicit && ps->tls_in > 0)
			stats_add(a->stats, STATS_TLS_STARTTLS, ps->tls_in);
		smtp_proxy_destroy(s->proxy);
	}
	if (s->inj != NULL) {
		if (!inject_finished(s->inj))
			inject_fail(s->inj, "session ended before the message was relayed");
		inject_destroy(s->inj);
		control_inject_done(a->d->control, s->job);
	}
	hold_free(&s->down_in);
	hold_free(&s->up_in);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		a->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	a->n_sessions--;
	stats_sub(a->stats, STATS_SMTP_SESSIONS_ACTIVE, 1);
	free(s);
}

/* Offer held bytes to the proxy; release the window for what it took. */
static bool feed_hold(struct io_session *s, bool down, uint64_t now)
{
	struct io_hold *h = down ? &s->down_in : &s->up_in;
	struct tcp_conn *c = down ? s->down : s->up;
	size_t took;

	if (h->len == 0)
		return false;
	took = down ? smtp_proxy_down_recv(s->proxy, h->buf, h->len, now)
		    : smtp_proxy_up_recv(s->proxy, h->buf, h->len, now);
	if (took == 0)
		return false;
	memmove(h->buf, h->buf + took, h->len - took);
	h->len -= (uint32_t)took;
	if (c != NULL)
		tcp_recv_done(c, (uint32_t)took);
	return true;
}

/* Copy proxy output into a connection's send buffer. */
/* The appliance's own sender: replies in, script bytes out. */
static bool flush_inject(struct io_session *s, uint64_t now)
{
	bool progress = false;
	const uint8_t *buf;
	size_t n;

	while ((n = smtp_proxy_down_pending(s->proxy, &buf)) > 0) {
		inject_input(s->inj, buf, n);
		smtp_proxy_down_sent(s->proxy, n, now);
		progress = true;
	}
	while ((n = inject_pending(s->inj, &buf)) > 0) {
		size_t took = smtp_proxy_down_recv(s->proxy, buf, n, now);
		if (took == 0)
			break;
		inject_sent(s->inj, took);
		progress = true;
	}
	return progress;
}

static bool flush_side(struct io_session *s, bool down, uint64_t now)
{
	struct tcp_conn *c = down ? s->down : s->up;
	bool progress = false;

	if (down && s->inj != NULL)
		return flush_inject(s, now);
	if (c == NULL || (!down && s->up_connecting))
		return false;
	for (;;) {
		const uint8_t *buf;
		size_t n = down ? smtp_proxy_down_pending(s->proxy, &buf)
				: smtp_proxy_up_pending(s->proxy, &buf);
		ssize_t sent;

		if (n == 0)
			break;
		sent = tcp_send_copy(c, buf, n);
		if (sent <= 0)
			break;
		if (down)
			smtp_proxy_down_sent(s->proxy, (size_t)sent, now);
		else
			smtp_proxy_up_sent(s->proxy, (size_t)sent, now);
		progress = true;
		if ((size_t)sent < n)
			break;
	}
	return progress;
}

static void start_upstream(struct io_session *s, uint64_t now)
{
	struct io_app *a = s->app;
	const struct cfg_upstream *u = &a->cfg->smtp.upstream;
	struct tcp_conn *c;

	if (s->up != NULL) {
		/* A connection the proxy gave up on earlier and then wants again. */
		tcp_conn_set_ctx(s->up, NULL);
		tcp_abort(s->up);
		s->up = NULL;
	}
	hold_free(&s->up_in);
	c = tcp_connect(a->stack, 0, u->address, u->tcp_port, &up_cb, s);
	if (c == NULL) {
		int err = errno ? errno : ENETUNREACH;
		stats_inc(a->stats, STATS_TCP_CONNECT_FAILED);
		smtp_proxy_up_connect_failed(s->proxy, err, now);
		return;
	}
	s->up = c;
	s->up_connecting = true;
	smtp_proxy_set_up_handle(s->proxy, c);
}

static void close_side(struct io_session *s, bool down)
{
	struct tcp_conn *c = down ? s->down : s->up;

	if (c == NULL)
		return;
	tcp_conn_set_ctx(c, NULL); /* callbacks for it are ignored from now on */
	if (down || s->up_connecting)
		tcp_close(c);
	else
		tcp_shutdown(c); /* the upstream answers QUIT; its close ends it */
	if (down)
		s->down = NULL;
	else
		s->up = NULL;
	if (!down)
		s->up_connecting = false;
}

/* Carry out what the proxy's events ask of the transport. Returns true when
 * something changed (so the pump goes round again). */
static bool sess_events(struct io_session *s, uint64_t now)
{
	uint32_t ev = smtp_proxy_events(s->proxy);
	bool progress = ev != 0;

	if (ev & SMTP_PROXY_EV_UP_CONNECT)
		start_upstream(s, now);
	if ((ev & SMTP_PROXY_EV_UP_ADOPTED) && smtp_proxy_up_handle(s->proxy) != NULL) {
		/* An idle connection from the pool: it is ours now. (No handle:
		 * it was adopted and parked again before these events were
		 * read, as with "EHLO x\r\nQUIT\r\n" in one segment; it never
		 * left the pool's callbacks. Taking the NULL handle crashed
		 * the daemon.) */
		s->up = smtp_proxy_up_handle(s->proxy);
		s->up_connecting = false;
		hold_free(&s->up_in);
		tcp_conn_set_callbacks(s->up, &up_cb);
		tcp_conn_set_ctx(s->up, s);
	}
	if ((ev & SMTP_PROXY_EV_UP_POOLED) && s->up != NULL) {
		/* Parked with its SMTP state in the pool: events go there. */
		tcp_conn_set_callbacks(s->up, &pooled_cb);
		tcp_conn_set_ctx(s->up, s->app);
		s->up = NULL;
		s->up_close = false;
	}
	if (ev & SMTP_PROXY_EV_UP_CLOSE)
		s->up_close = true;
	if (ev & SMTP_PROXY_EV_DOWN_CLOSE)
		s->down_close = true;
	return progress;
}

/* Close the sides whose end has come. Returns true when the proxy was told
 * something (new events may follow). */
static bool sess_close_sides(struct io_session *s, uint64_t now)
{
	const uint8_t *b;

	if (s->up_close && s->up != NULL &&
	    (s->up_connecting || smtp_proxy_up_pending(s->proxy, &b) == 0)) {
		close_side(s, false);
		s->up_close = false;
	}
	if (s->down_close && s->down != NULL && smtp_proxy_down_pending(s->proxy, &b) == 0) {
		close_side(s, true);
		s->down_close = false;
	}
	if (s->down_fin && s->down != NULL && s->down_in.len == 0 &&
	    smtp_server_deferred_count(smtp_proxy_server(s->proxy)) == 0 &&
	    smtp_proxy_down_pending(s->proxy, &b) == 0) {
		/* The sender half-closed and nothing more is owed to it. */
		close_side(s, true);
		smtp_proxy_down_closed(s->proxy, now);
		return true;
	}
	if (s->inj != NULL && inject_finished(s->inj) && !s->inj_closed) {
		s->inj_closed = true;
		smtp_proxy_down_closed(s->proxy, now);
		return true;
	}
	return false;
}

static void sess_pump(struct io_session *s, uint64_t now)
{
	if (s->in_pump)
		return;
	s->in_pump = true;
	for (int round = 0; round < IO_PUMP_ROUNDS; round++) {
		bool progress = false;

		progress |= flush_side(s, true, now);
		progress |= flush_side(s, false, now);
		progress |= feed_hold(s, true, now);
		progress |= feed_hold(s, false, now);
		progress |= sess_events(s, now);
		progress |= sess_close_sides(s, now);
		if (!progress)
			break;
	}
	s->in_pump = false;
	if (smtp_proxy_done(s->proxy) || s->dead)
		sess_destroy(s);
}

/* Receive a chain for one side: straight to the proxy unless bytes are held. */
static void sess_recv(struct io_session *s, bool down, struct tcp_conn *c, struct rte_mbuf *m,
		      uint32_t len)
{
	struct io_hold *h = down ? &s->down_in : &s->up_in;
	uint64_t now = app_now_ms(s->app);
	uint32_t took_total = 0;

	for (struct rte_mbuf *seg = m; seg != NULL && len > 0; seg = seg->next) {
		const uint8_t *p = rte_pktmbuf_mtod(seg, const uint8_t *);
		size_t n = seg->data_len < len ? seg->data_len : len;
		size_t took = 0;

		len -= (uint32_t)n;
		if (h->len == 0)
			took = down ? smtp_proxy_down_recv(s->proxy, p, n, now)
				    : smtp_proxy_up_recv(s->proxy, p, n, now);
		took_total += (uint32_t)took;
		if (took < n && hold_append(h, p + took, n - took) < 0) {
			/* More than the hold bound: the peer ignores our window. */
			s->dead = true;
			break;
		}
	}
	rte_pktmbuf_free(m);
	if (took_total > 0)
		tcp_recv_done(c, took_total);
	sess_pump(s, now);
}

/* ------------------------------------------------- TCP callbacks: down */

static struct io_session *sess_create(struct io_app *a, enum cfg_listen_tls tls,
				      const struct smtp_scan_ops *scan_ops, void *scan_ctx)
{
	struct smtp_proxy_params pp = { 0 };
	struct io_session *s = calloc(1, sizeof(*s));
	void *qctx = NULL;

	if (s == NULL)
		return NULL;
	s->app = a;
	pp.cfg = a->cfg;
	pp.listen_tls = tls;
	pp.tls_server = tls != CFG_LISTEN_PLAIN ? a->tls_server : NULL;
	pp.tls_client = a->cfg->smtp.upstream.tls != CFG_UP_TLS_NONE ? a->tls_client : NULL;
	pp.pool = a->msgpool;
	pp.scan_ops = scan_ops;
	pp.scan_ctx = scan_ctx;
	pp.quarantine = control_quarantine_ops(a->d->control, &qctx);
	pp.quarantine_ctx = qctx;
	pp.incident = on_incident;
	pp.incident_ctx = s;
	pp.message = on_message;
	pp.message_ctx = s;
	pp.session_id = ((uint64_t)a->index << 56) | a->next_sid++;
	pp.upool = a->upool;
	s->proxy = smtp_proxy_create(&pp);
	if (s->proxy == NULL) {
		free(s);
		return NULL;
	}
	s->next = a->sessions;
	if (a->sessions != NULL)
		a->sessions->prev = s;
	a->sessions = s;
	a->n_sessions++;
	stats_inc(a->stats, STATS_SMTP_SESSIONS);
	stats_add(a->stats, STATS_SMTP_SESSIONS_ACTIVE, 1);
	return s;
}

static int down_accepted(struct tcp_conn *c, void *listen_ctx)
{
	struct io_listener *l = listen_ctx;
	struct io_app *a = l->app;
	struct tcp_conn_info ci;
	struct io_session *s;

	stats_inc(a->stats, STATS_TCP_ACCEPTED);
	if (!a->listening)
		return -ESHUTDOWN;
	s = sess_create(a, l->tls, &io_scan_ops, a);
	if (s == NULL)
		return -ENOMEM;
	s->down = c;
	if (tcp_conn_info(c, &ci) == 0)
		snprintf(s->client_addr, sizeof(s->client_addr), "%u.%u.%u.%u", ci.rip >> 24,
			 (ci.rip >> 16) & 255, (ci.rip >> 8) & 255, ci.rip & 255);
	if (l->tls == CFG_LISTEN_IMPLICIT) {
		stats_inc(a->stats, STATS_TLS_IMPLICIT);
		s->implicit = true;
	}
	tcp_conn_set_ctx(c, s);
	tcp_conn_set_callbacks(c, &down_cb);
	smtp_proxy_start(s->proxy, app_now_ms(a));
	sess_pump(s, app_now_ms(a));
	return 0;
}

/* Start a session for a message the appliance sends itself. Consumes j. */
static void inject_start(struct io_app *a, struct inject_job *j)
{
	struct io_session *s = NULL;
	struct inject *in = inject_create(j, a->cfg->hostname);

	if (in != NULL)
		s = sess_create(a, CFG_LISTEN_PLAIN, &inject_scan_ops, NULL);
	if (s == NULL) {
		inject_destroy(in);
		j->code = 0;
		snprintf(j->text, sizeof(j->text), "no memory for the session");
		control_inject_done(a->d->control, j);
		return;
	}
	s->inj = in;
	s->job = j;
	snprintf(s->client_addr, sizeof(s->client_addr), "local");
	smtp_proxy_start(s->proxy, app_now_ms(a));
	sess_pump(s, app_now_ms(a));
}

static void down_recv(struct tcp_conn *c, void *ctx, struct rte_mbuf *m, uint32_t len)
{
	if (ctx == NULL) { /* session gone: discard */
		tcp_recv_done(c, len);
		rte_pktmbuf_free(m);
		return;
	}
	sess_recv(ctx, true, c, m, len);
}

static void down_writable(struct tcp_conn *c, void *ctx, uint32_t space)
{
	(void)c;
	(void)space;
	if (ctx != NULL) {
		struct io_session *s = ctx;
		sess_pump(s, app_now_ms(s->app));
	}
}

static void down_peer_fin(struct tcp_conn *c, void *ctx)
{
	struct io_session *s = ctx;

	if (s == NULL) {
		tcp_close(c);
		return;
	}
	/* The sender is done sending. Its commands already received are still
	 * answered (the connection is half-open); sess_pump() ends the session
	 * once nothing is owed to it any more. */
	s->down_fin = true;
	sess_pump(s, app_now_ms(s->app));
}

static void down_closed(struct tcp_conn *c, void *ctx, enum tcp_close_reason reason)
{
	struct io_session *s = ctx;

	(void)c;
	(void)reason;
	if (s == NULL)
		return;
	s->down = NULL;
	smtp_proxy_down_closed(s->proxy, app_now_ms(s->app));
	sess_pump(s, app_now_ms(s->app));
}

static const struct tcp_callbacks down_cb = {
	.accepted = down_accepted,
	.recv = down_recv,
	.writable = down_writable,
	.peer_fin = down_peer_fin,
	.closed = down_closed,
};

/* --------------------------------------------------- TCP callbacks: up */

static void up_connected(struct tcp_conn *c, void *ctx)
{
	struct io_session *s = ctx;

	if (s == NULL) {
		tcp_close(c);
		return;
	}
	stats_inc(s->app->stats, STATS_TCP_CONNECTED);
	s->up_connecting = false;
	smtp_proxy_up_connected(s->proxy, app_now_ms(s->app));
	sess_pump(s, app_now_ms(s->app));
}

static void up_recv(struct tcp_conn *c, void *ctx, struct rte_mbuf *m, uint32_t len)
{
	if (ctx == NULL) {
		tcp_recv_done(c, len);
		rte_pktmbuf_free(m);
		return;
	}
	sess_recv(ctx, false, c, m, len);
}

static void up_peer_fin(struct tcp_conn *c, void *ctx)
{
	struct io_session *s = ctx;

	tcp_conn_set_ctx(c, NULL);
	tcp_close(c);
	if (s == NULL)
		return;
	s->up = NULL;
	smtp_proxy_up_closed(s->proxy, app_now_ms(s->app));
	sess_pump(s, app_now_ms(s->app));
}

static void up_closed(struct tcp_conn *c, void *ctx, enum tcp_close_reason reason)
{
	struct io_session *s = ctx;
	uint64_t now;

	(void)c;
	if (s == NULL)
		return;
	now = app_now_ms(s->app);
	s->up = NULL;
	if (s->up_connecting) {
		s->up_connecting = false;
		stats_inc(s->app->stats, STATS_TCP_CONNECT_FAILED);
		smtp_proxy_up_connect_failed(s->proxy,
					     reason == TCP_CLOSE_REFUSED ? ECONNREFUSED
					     : reason == TCP_CLOSE_UNREACHABLE ? EHOSTUNREACH
									       : ETIMEDOUT,
					     now);
	} else {
		smtp_proxy_up_closed(s->proxy, now);
	}
	sess_pump(s, now);
}

static const struct tcp_callbacks up_cb = {
	.connected = up_connected,
	.recv = up_recv,
	.writable = down_writable,
	.peer_fin = up_peer_fin,
	.closed = up_closed,
};

/* --------------------------------------- TCP callbacks: pooled upstream */

/* An idle pooled connection that hears from its peer is no longer usable:
 * the pool forgets it and we close it. */
static void pooled_gone(struct tcp_conn *c, void *ctx, bool abort)
{
	struct io_app *a = ctx;

	if (a != NULL && a->upool != NULL)
		smtp_upool_drop(a->upool, c);
	tcp_conn_set_ctx(c, NULL);
	if (abort)
		tcp_abort(c);
	else
		tcp_close(c);
}

static void pooled_recv(struct tcp_conn *c, void *ctx, struct rte_mbuf *m, uint32_t len)
{
	tcp_recv_done(c, len);
	rte_pktmbuf_free(m);
	if (ctx != NULL)
		pooled_gone(c, ctx, true);
}

static void pooled_peer_fin(struct tcp_conn *c, void *ctx)
{
	pooled_gone(c, ctx, false);
}

static void pooled_closed(struct tcp_conn *c, void *ctx, enum tcp_close_reason reason)
{
	struct io_app *a = ctx;

	(void)reason;
	if (a != NULL && a->upool != NULL)
		smtp_upool_drop(a->upool, c);
}

static const struct tcp_callbacks pooled_cb = {
	.recv = pooled_recv,
	.peer_fin = pooled_peer_fin,
	.closed = pooled_closed,
};

/* Close pooled connections idle for too long (or all, at shutdown). */
static void upool_expire(struct io_app *a, uint64_t now)
{
	void *h;

	if (a->upool == NULL)
		return;
	while (smtp_upool_expire(a->upool, now, &h)) {
		tcp_conn_set_ctx(h, NULL);
		tcp_close(h);
	}
}

/* ---------------------------------------------------------- lcore hooks */

static int app_start(void *app, struct dp_lcore *lc)
{
	struct io_app *a = app;
	const struct cfg_smtp *smtp = &a->cfg->smtp;

	a->lc = lc;
	a->stack = dp_lcore_stack(lc);
	for (size_t i = 0; i < smtp->n_listen && i < IO_MAX_LISTENERS; i++) {
		struct io_listener *l = &a->listeners[a->n_listeners];
		int rc;

		l->app = a;
		l->tls = smtp->listen[i].tls;
		l->addr = smtp->listen[i].address;
		l->port = smtp->listen[i].tcp_port;
		if (l->tls != CFG_LISTEN_PLAIN && a->tls_server == NULL) {
			if (l->tls == CFG_LISTEN_IMPLICIT) {
				log_msg(LOG_LVL_ERR, "io%u: listener on port %u is implicit TLS but "
					"tls.certificate is not set", a->index, l->port);
				return -EINVAL;
			}
			if (a->index == 0)
				log_msg(LOG_LVL_WARN, "listener on port %u: no tls.certificate, "
					"STARTTLS is not offered", l->port);
			l->tls = CFG_LISTEN_PLAIN;
		}
		rc = tcp_listen(a->stack, l->addr, l->port, &down_cb, l);
		if (rc < 0) {
			log_msg(LOG_LVL_ERR, "io%u: listen %u.%u.%u.%u:%u: %s", a->index,
				l->addr >> 24, (l->addr >> 16) & 255, (l->addr >> 8) & 255,
				l->addr & 255, l->port, strerror(-rc));
			return rc;
		}
		a->n_listeners++;
	}
	a->listening = true;
	return 0;
}

static void app_msg(void *app, struct dp_lcore *lc, struct dp_msg *m)
{
	struct io_app *a = app;

	(void)lc;
	if (m->type == DP_MSG_RELOAD)
		adopt_snapshot(a, m->u.reload.snapshot, m->u.reload.generation);
	dp_msg_free(m);
}

/* Copy the stack's counters into our stats block (monotonic counters). */
static void sync_tcp_stats(struct io_app *a)
{
	const struct tcp_stack_counters *t = tcp_stack_counters(a->stack);
	struct tcp_stack_counters *l = &a->last_tcp;

	stats_add(a->stats, STATS_TCP_CLOSED, t->tcp_closed - l->tcp_closed);
	stats_add(a->stats, STATS_TCP_RESET_SENT, t->tcp_rst_tx - l->tcp_rst_tx);
	stats_add(a->stats, STATS_TCP_RESET_RECEIVED, t->tcp_rst_rx - l->tcp_rst_rx);
	stats_add(a->stats, STATS_TCP_RETRANSMITS, t->tcp_retransmits - l->tcp_retransmits);
	stats_add(a->stats, STATS_TCP_SYN_COOKIES_SENT, t->syncookies_sent - l->syncookies_sent);
	stats_add(a->stats, STATS_TCP_SYN_COOKIES_VALID, t->syncookies_ok - l->syncookies_ok);
	stats_add(a->stats, STATS_TCP_BAD_SEGMENTS,
		  (t->drop_tcp_cksum - l->drop_tcp_cksum) +
			  (t->tcp_challenge_acks - l->tcp_challenge_acks));
	stats_add(a->stats, STATS_TCP_SOURCE_LIMITED,
		  t->drop_syn_per_source - l->drop_syn_per_source);
	/* A gauge: this lcore's open connections (the reader sums lcores). */
	__atomic_store_n(&a->stats->c[STATS_TCP_ACTIVE], (uint64_t)tcp_stack_conn_count(a->stack),
			 __ATOMIC_RELAXED);
	*l = *t;
}

static void app_poll(void *app, struct dp_lcore *lc, uint64_t now_us)
{
	struct io_app *a = app;
	uint64_t now = now_us / 1000;

	(void)lc;
	if (now < a->next_timer_ms)
		return;
	a->next_timer_ms = now + IO_TIMER_PERIOD_MS;
	for (unsigned i = 0; i < 16 && a->listening; i++) {
		struct inject_job *j = incident_queue_pop(a->jobs);
		if (j == NULL)
			break;
		inject_start(a, j);
	}
	for (struct io_session *s = a->sessions, *next; s != NULL; s = next) {
		next = s->next;
		if (smtp_proxy_next_timeout(s->proxy) <= now) {
			smtp_proxy_timer(s->proxy, now);
			sess_pump(s, now);
		}
	}
	if (now >= a->next_stats_ms) {
		a->next_stats_ms = now + 1000;
		sync_tcp_stats(a);
		upool_expire(a, now);
	}
}

static bool app_drain(void *app, struct dp_lcore *lc, bool force)
{
	struct io_app *a = app;

	(void)lc;
	if (a->listening) {
		a->listening = false;
		for (unsigned i = 0; i < a->n_listeners; i++)
			tcp_unlisten(a->stack, a->listeners[i].addr, a->listeners[i].port);
		log_msg(LOG_LVL_INFO, "io%u: draining %u sessions", a->index, a->n_sessions);
	}
	upool_expire(a, UINT64_MAX);
	if (force)
		while (a->sessions != NULL)
			sess_destroy(a->sessions);
	return a->n_sessions == 0;
}

static const struct dp_app_ops io_app_ops = {
	.start = app_start,
	.msg = app_msg,
	.poll = app_poll,
	.drain = app_drain,
};

/* ------------------------------------------------------- create / start */

static void io_app_destroy(struct io_app *a)
{
	if (a == NULL)
		return;
	while (a->sessions != NULL)
		sess_destroy(a->sessions);
	upool_expire(a, UINT64_MAX); /* no pooled connection may point at us */
	while (a->old_scans != NULL) {
		struct io_scanset *set = a->old_scans;
		a->old_scans = set->next_old;
		scanset_destroy(set);
	}
	scanset_destroy(a->scan);
	if (a->jobs != NULL) {
		struct inject_job *j;
		while ((j = incident_queue_pop(a->jobs)) != NULL) {
			snprintf(j->text, sizeof(j->text), "appliance shutting down");
			control_inject_done(a->d->control, j);
		}
		incident_queue_destroy(a->jobs);
	}
	smtp_upool_destroy(a->upool); /* connections were closed by drain */
	msgbuf_pool_destroy(a->msgpool);
	tls_config_destroy(a->tls_server);
	tls_config_destroy(a->tls_client);
	rte_free(a);
}

static struct io_app *io_app_create(struct daemon *d, unsigned index)
{
	const struct cfg *cfg = d->cfg;
	struct io_app *a;
	char err[256];
	size_t chunks;

	a = rte_zmalloc("io_app", sizeof(*a), RTE_CACHE_LINE_SIZE);
	if (a == NULL)
		return NULL;
	a->d = d;
	a->cfg = cfg;
	a->index = index;
	a->stats = control_stats_block(d->control, index);
	if (cfg->tls.certificate != NULL) {
		a->tls_server = tls_config_create_server(&cfg->tls, err, sizeof(err));
		if (a->tls_server == NULL) {
			log_msg(LOG_LVL_ERR, "%s: tls: %s", cfg->path, err);
			goto fail;
		}
	}
	if (cfg->smtp.upstream.tls != CFG_UP_TLS_NONE) {
		a->tls_client = tls_config_create_client(&cfg->smtp.upstream, err, sizeof(err));
		if (a->tls_client == NULL) {
			log_msg(LOG_LVL_ERR, "%s: smtp.upstream tls: %s", cfg->path, err);
			goto fail;
		}
	}
	/* Room for a few maximum-size messages, at least 64 MiB per lcore. */
	chunks = (size_t)(cfg->smtp.max_message_size / MSGBUF_CHUNK_DATA + 1) * 4;
	if (chunks < IO_MSGBUF_CHUNKS_MIN)
		chunks = IO_MSGBUF_CHUNKS_MIN;
	a->msgpool = msgbuf_pool_create(chunks, 256);
	a->scan = scanset_create(d->ps, d->generation);
	a->jobs = incident_queue_create(1024);
	if (cfg->smtp.upstream.pool_idle > 0)
		a->upool = smtp_upool_create(cfg->smtp.upstream.pool_idle, IO_UPOOL_IDLE_MS);
	if (a->msgpool == NULL || a->scan == NULL || a->jobs == NULL ||
	    (cfg->smtp.upstream.pool_idle > 0 && a->upool == NULL))
		goto fail;
	return a;
fail:
	io_app_destroy(a);
	return NULL;
}

static void fill_stack_params(const struct cfg *cfg, struct tcp_stack_params *sp)
{
	sp->max_conns = cfg->tcp.max_connections;
	sp->max_per_source = cfg->tcp.max_per_source;
	sp->syn_backlog = cfg->tcp.syn_backlog;
	sp->syn_cookies = cfg->tcp.syn_cookies == CFG_SYN_COOKIES_ALWAYS ? TCP_SYN_COOKIES_ALWAYS
			  : cfg->tcp.syn_cookies == CFG_SYN_COOKIES_NEVER ? TCP_SYN_COOKIES_NEVER
									  : TCP_SYN_COOKIES_AUTO;
	sp->sndbuf = 256 * 1024;
	sp->rcvbuf = 128 * 1024;
	for (size_t i = 0; i < sizeof(sp->secret); i += 8) {
		uint64_t r = rte_rand();
		memcpy(sp->secret + i, &r, 8);
	}
}

int io_app_start_all(struct daemon *d)
{
	const struct cfg *cfg = d->cfg;
	struct dp_steer_params stp = { 0 };
	struct dp_fabric_params fp = { 0 };
	unsigned launched = 0;

	stp.n_io = d->n_io;
	stp.socket_id = (int)rte_socket_id();
	stp.name = "smtpdlp";
	for (unsigned i = 0; i < d->n_ports; i++)
		if (d->ports[i].rss)
			stp.rss_key = dp_steer_sym_rss_key;
	d->steer = dp_steer_create(&stp);
	fp.n_io = d->n_io;
	fp.n_dlp = 0;
	fp.socket_id = (int)rte_socket_id();
	fp.name = "smtpdlp";
	d->fabric = dp_fabric_create(&fp);
	if (d->steer == NULL || d->fabric == NULL) {
		log_msg(LOG_LVL_ERR, "steering rings / message fabric: %s", strerror(errno));
		return -ENOMEM;
	}

	for (unsigned i = 0; i < d->n_io; i++) {
		struct dp_lcore_params lp = { 0 };

		d->apps[i] = io_app_create(d, i);
		if (d->apps[i] == NULL) {
			log_msg(LOG_LVL_ERR, "io%u: set-up failed", i);
			goto fail;
		}
		lp.index = i;
		lp.lcore_id = cfg->dataplane.io_lcores[i];
		lp.socket_id = (int)rte_lcore_to_socket_id(lp.lcore_id);
		for (unsigned p = 0; p < d->n_ports; p++) {
			const struct cfg_port *cp = &cfg->dataplane.ports[p];
			lp.port[p] = d->ports[p];
			lp.iface[p].port_id = d->ports[p].port_id;
			lp.iface[p].ipv4 = cp->ipv4;
			lp.iface[p].prefix_len = cp->prefix_len;
			lp.iface[p].gateway = cp->gateway;
			lp.iface[p].mtu = cp->mtu;
		}
		lp.n_ports = d->n_ports;
		lp.pool = d->pool;
		lp.steer = d->steer;
		lp.fabric = d->fabric;
		lp.fault.drop = cfg->dataplane.fault.drop;
		lp.fault.duplicate = cfg->dataplane.fault.duplicate;
		lp.fault.reorder = cfg->dataplane.fault.reorder;
		lp.fault_dir = DP_FAULT_RX;
		lp.idle_sleep_us = cfg->dataplane.idle_sleep_us;
		fill_stack_params(cfg, &lp.stack);
		lp.stack.name = "smtpdlp";
		lp.app = &io_app_ops;
		lp.app_ctx = d->apps[i];
		d->lcores[i] = dp_lcore_create(&lp);
		if (d->lcores[i] == NULL) {
			log_msg(LOG_LVL_ERR, "io%u: lcore set-up failed: %s", i, strerror(errno));
			goto fail;
		}
	}
	for (unsigned i = 0; i < d->n_io; i++) {
		int rc = rte_eal_remote_launch(dp_lcore_main, d->lcores[i],
					       cfg->dataplane.io_lcores[i]);
		if (rc != 0) {
			log_msg(LOG_LVL_ERR, "io%u: launch on lcore %u: %s", i,
				cfg->dataplane.io_lcores[i], strerror(-rc));
			goto fail;
		}
		launched++;
	}
	return 0;
fail:
	if (launched > 0) {
		dp_loop_quit(false);
		rte_eal_mp_wait_lcore();
	}
	io_app_stop_all(d);
	return -EINVAL;
}

void io_app_stop_all(struct daemon *d)
{
	dp_loop_quit(true);
	rte_eal_mp_wait_lcore();
	for (unsigned i = 0; i < DAEMON_MAX_IO; i++) {
		/* the app first: its sessions reference stack connections */
		if (d->apps[i] != NULL) {
			io_app_destroy(d->apps[i]);
			d->apps[i] = NULL;
		}
		dp_lcore_destroy(d->lcores[i]);
		d->lcores[i] = NULL;
	}
	dp_fabric_destroy(d->fabric);
	d->fabric = NULL;
	dp_steer_destroy(d->steer);
	d->steer = NULL;
}

int io_app_publish(struct daemon *d, struct dlp_policy_set *ps, uint64_t generation)
{
	struct rte_mempool *pool = dp_fabric_pool(d->fabric);
	int rc = 0;

	for (unsigned i = 0; i < d->n_io; i++) {
		struct dp_msg *m = dp_msg_alloc(pool, DP_MSG_RELOAD, DP_EP_CTRL);
		struct rte_ring *inbox = dp_fabric_inbox(d->fabric, dp_ep_io(i));

		if (m == NULL || inbox == NULL) {
			dp_msg_free(m);
			rc = -ENOBUFS;
			continue;
		}
		dlp_policy_set_ref(ps);
		m->u.reload.snapshot = ps;
		m->u.reload.generation = generation;
		if (dp_msg_send(inbox, m) < 0) {
			dlp_policy_set_unref(ps);
			dp_msg_free(m);
			rc = -ENOBUFS;
		}
	}
	return rc;
}

int io_app_submit(struct daemon *d, struct inject_job *j)
{
	static unsigned next;
	struct io_app *a;

	if (d->n_io == 0)
		return -ENODEV;
	a = d->apps[__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % d->n_io];
	if (a == NULL || incident_queue_push(a->jobs, j) < 0)
		return -ENOBUFS;
	return 0;
}
