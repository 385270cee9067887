/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtp_proxy.c — the proxied SMTP session: server + client + TLS layers +
 * message buffer + DLP scan + policy action + incident, with the no-loss
 * rule.
 *
 * Structure: every public entry point records what happened (callbacks from
 * the server and client only set state; neither is re-entered from its own
 * callback) and ends with run(), which advances the session until nothing
 * moves: act on a verdict, pump the relay, issue an upstream RSET, resume a
 * held command, feed staged input.
 *
 * Message path: the server hands dot-unstuffed bytes; they are appended to a
 * msgbuf (chain of pool chunks, bounded by max_message_size) and the same
 * stable bytes are fed to the scan backend. At end of data the verdict picks
 * the action. For a relay the upstream receives the added headers (the
 * inspected header, and the policy header for add-header), then the message
 * as received with any existing header of those names removed, including its
 * folded continuation lines. The sender's final reply is the upstream's.
 */
#include "app/smtp_proxy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/smtp_client.h"
#include "app/smtp_server.h"
#include "app/tls.h"

enum up_status { UP_NONE = 0, UP_CONNECTING, UP_READY, UP_FAILED };

#define SKIP_MAX 64u        /* header lines removed per message */
#define HDR_NAME_MAX 128u
#define HDR_SECTION_MAX (1u << 20) /* header section searched for owned headers */

struct rcpt {
	char *addr;
	bool ok;
};

struct range {
	uint64_t start, end;
};

struct txn {
	char *mail_from;
	struct rcpt *rcpts;
	size_t n_rcpts, cap_rcpts;
	size_t replied;          /* RCPT replies received */
	bool data;               /* DATA/BDAT started */
	bool eod;                /* end of data reached, final reply owed */
	bool up_lost;            /* upstream failed during the transaction */
	bool verdict_ready;
	bool relaying;           /* streaming to the upstream */
	bool body_done;          /* everything handed to the client */
	struct dlp_verdict *verdict;
	int scan_err;
	enum cfg_action action;
	bool unscannable;
	uint64_t t_data, t_eod;
	uint64_t verdict_deadline;
	struct msgbuf msg;
	struct smtp_scan scan;
	/* relay */
	char *prefix;            /* headers to prepend */
	size_t prefix_len, prefix_off;
	struct range skip[SKIP_MAX];
	size_t n_skip;
	uint64_t rpos;           /* next message byte to relay */
	uint64_t relayed;
	char qid[32];
	const char **acc;        /* accepted recipients, for envelopes */
};

struct smtp_proxy {
	const struct cfg *cfg;
	struct smtp_proxy_params prm;
	uint64_t now;

	/* sender side */
	struct smtp_server *srv;
	struct iobuf down_out;   /* plaintext replies */
	size_t down_raw;         /* head bytes of down_out to send in clear */
	struct iobuf down_in;    /* staged plaintext */
	struct tls_conn *down_tls;
	bool down_handshaking;
	uint64_t down_hs_deadline; /* the sender's TLS handshake must end by then */
	bool implicit_tls;
	bool down_closed;        /* transport closed it */
	bool drop_staged;
	bool down_peeking;       /* down_recv() holds a TLS peek pointer */

	/* upstream side */
	uint8_t up_status;
	struct smtp_client *client;
	struct tls_conn *up_tls;
	bool up_handshaking;
	bool up_dead;            /* destroy client at the next run() */
	bool up_need_rset;
	bool up_quit;
	bool up_tcp;             /* a TCP connection exists (transport side) */
	bool up_fail_setup;      /* the last failure was during set-up */
	struct iobuf up_out;     /* plaintext from the client */
	uint64_t up_deadline;    /* connect */
	void *up_handle;         /* the transport's name for the connection */

	uint32_t events;
	uint32_t msg_seq;
	bool in_run;
	struct txn t;
	struct smtp_proxy_stats st;
};

static void run(struct smtp_proxy *p);

/* -------------------------------------------------------- envelope */

static void txn_free_envelope(struct txn *t)
{
	free(t->mail_from);
	t->mail_from = NULL;
	for (size_t i = 0; i < t->n_rcpts; i++)
		free(t->rcpts[i].addr);
	free(t->rcpts);
	t->rcpts = NULL;
	t->n_rcpts = t->cap_rcpts = t->replied = 0;
	free(t->acc);
	t->acc = NULL;
}

static void txn_reset(struct smtp_proxy *p)
{
	struct txn *t = &p->t;

	smtp_scan_abort(&t->scan, &t->msg);
	if (t->verdict)
		smtp_scan_release(&t->scan, t->verdict);
	t->verdict = NULL;
	msgbuf_reset(&t->msg);
	txn_free_envelope(t);
	free(t->prefix);
	t->prefix = NULL;
	t->prefix_len = t->prefix_off = 0;
	t->n_skip = 0;
	t->rpos = t->relayed = 0;
	t->data = t->eod = t->up_lost = t->verdict_ready = false;
	t->relaying = t->body_done = false;
	t->scan_err = 0;
	t->unscannable = false;
	t->action = CFG_ACTION_ALLOW;
	t->verdict_deadline = UINT64_MAX;
	t->qid[0] = '\0';
}

static size_t accepted(struct smtp_proxy *p)
{
	struct txn *t = &p->t;
	size_t n = 0;

	free(t->acc);
	t->acc = calloc(t->n_rcpts + 1, sizeof(*t->acc));
	if (t->acc == NULL)
		return 0;
	for (size_t i = 0; i < t->n_rcpts; i++)
		if (t->rcpts[i].ok)
			t->acc[n++] = t->rcpts[i].addr;
	return n;
}

/* ---------------------------------------------------------- replies */

static void finish(struct smtp_proxy *p, unsigned code, const char *enh, const char *text,
		   const struct smtp_reply *up);

static void emit_incident(struct smtp_proxy *p, unsigned code, const struct smtp_reply *up)
{
	struct txn *t = &p->t;
	const struct dlp_verdict *v = t->verdict;
	bool is_incident = t->unscannable || t->action != CFG_ACTION_ALLOW ||
			   (v != NULL && v->policy != NULL);

	if (p->prm.message == NULL && (p->prm.incident == NULL || !is_incident))
		return;
	size_t n = 0;
	if (t->acc == NULL)
		accepted(p);
	while (t->acc && t->acc[n])
		n++;
	struct smtp_incident inc = {
		.queue_id = t->qid,
		.client_helo = smtp_server_helo_name(p->srv),
		.mail_from = t->mail_from ? t->mail_from : "",
		.rcpts = t->acc,
		.n_rcpts = n,
		.verdict = v,
		.action = t->action,
		.unscannable = t->unscannable,
		.msg_bytes = msgbuf_len(&t->msg),
		.msg = &t->msg,
		.relayed_bytes = t->relayed,
		.reply_code = (uint16_t)code,
		.upstream_code = up ? up->code : 0,
		.upstream_text = up ? up->text : NULL,
		.upstream_text_len = up ? up->text_len : 0,
		.t_data_ms = t->t_data,
		.t_eod_ms = t->t_eod,
		.t_done_ms = p->now,
		.tls_in = p->down_tls != NULL,
		.tls_out = p->up_tls != NULL,
	};
	if (p->prm.message != NULL)
		p->prm.message(p->prm.message_ctx, &inc);
	if (p->prm.incident == NULL || !is_incident)
		return;
	p->st.incidents++;
	p->prm.incident(p->prm.incident_ctx, &inc);
}

/* The final reply for the message: to the sender, incident, transaction over. */
static void finish(struct smtp_proxy *p, unsigned code, const char *enh, const char *text,
		   const struct smtp_reply *up)
{
	if (smtp_reply_temp(code))
		p->st.tempfailed++;
	emit_incident(p, code, up);
	if (up != NULL) {
		smtp_server_complete(p->srv, up, p->now);
	} else {
		struct smtp_rsp r = { (uint16_t)code, enh, text };
		smtp_server_complete_rsp(p->srv, &r, p->now);
	}
	if (p->client && smtp_client_in_txn(p->client))
		p->up_need_rset = true;
	txn_reset(p);
}

/* ------------------------------------------------------------ pool */

struct upool_entry {
	struct smtp_client *client;
	struct tls_conn *tls;
	void *handle;
	uint64_t since;
};

struct smtp_upool {
	unsigned max, n;
	uint64_t idle_ms;
	struct upool_entry e[];
};

struct smtp_upool *smtp_upool_create(unsigned max_idle, uint64_t idle_ms)
{
	struct smtp_upool *u = calloc(1, sizeof(*u) + (size_t)max_idle * sizeof(u->e[0]));
	if (u == NULL)
		return NULL;
	u->max = max_idle;
	u->idle_ms = idle_ms;
	return u;
}

static void upool_remove(struct smtp_upool *u, unsigned i)
{
	smtp_client_destroy(u->e[i].client);
	tls_conn_destroy(u->e[i].tls);
	u->e[i] = u->e[--u->n];
}

void smtp_upool_destroy(struct smtp_upool *u)
{
	if (u == NULL)
		return;
	while (u->n > 0)
		upool_remove(u, u->n - 1);
	free(u);
}

unsigned smtp_upool_count(const struct smtp_upool *u)
{
	return u->n;
}

bool smtp_upool_expire(struct smtp_upool *u, uint64_t now, void **handle)
{
	for (unsigned i = 0; i < u->n; i++) {
		if (now == UINT64_MAX || now - u->e[i].since >= u->idle_ms) {
			*handle = u->e[i].handle;
			upool_remove(u, i);
			return true;
		}
	}
	return false;
}

int smtp_upool_drop(struct smtp_upool *u, void *handle)
{
	for (unsigned i = 0; i < u->n; i++) {
		if (u->e[i].handle == handle) {
			upool_remove(u, i);
			return 0;
		}
	}
	return -ENOENT;
}

static const struct smtp_client_ops client_ops;

/* Park the idle upstream connection; true if the pool took it. */
static bool upool_park(struct smtp_proxy *p)
{
	struct smtp_upool *u = p->prm.upool;
	const uint8_t *b;
	size_t n;

	if (u == NULL || u->n >= u->max || p->client == NULL || !p->up_tcp ||
	    !smtp_client_idle(p->client) || p->up_need_rset || !iobuf_empty(&p->up_out) ||
	    p->up_handshaking || (p->up_tls && tls_conn_output(p->up_tls, &b, &n) > 0))
		return false;
	smtp_client_rebind(p->client, NULL, NULL);
	u->e[u->n++] = (struct upool_entry){ p->client, p->up_tls, p->up_handle, p->now };
	p->client = NULL;
	p->up_tls = NULL;
	p->up_handle = NULL;
	p->up_tcp = false;
	p->up_status = UP_NONE;
	p->up_quit = true;
	iobuf_free(&p->up_out);
	p->events |= SMTP_PROXY_EV_UP_POOLED;
	return true;
}

/* Announce to the sender what the upstream offers (DSN, 8BITMIME,
 * SMTPUTF8). */
static void next_hop_caps(struct smtp_proxy *p)
{
	const struct smtp_client_caps *c = smtp_client_caps(p->client);
	smtp_server_set_next_hop(p->srv, c->dsn, c->eightbitmime, c->smtputf8);
}

/* Take the most recently parked connection; true if one was adopted. */
static bool upool_adopt(struct smtp_proxy *p)
{
	struct smtp_upool *u = p->prm.upool;

	if (u == NULL)
		return false;
	for (unsigned i = u->n; i-- > 0;) {
		/* expired ones are left for smtp_upool_expire(), which hands
		 * their handles back to the transport to close */
		if (p->now - u->e[i].since >= u->idle_ms || !smtp_client_idle(u->e[i].client))
			continue;
		struct upool_entry e = u->e[i];
		u->e[i] = u->e[--u->n];
		p->client = e.client;
		p->up_tls = e.tls;
		p->up_handle = e.handle;
		smtp_client_rebind(p->client, p, &p->up_out);
		p->up_tcp = true;
		p->up_status = UP_READY;
		next_hop_caps(p);
		p->events |= SMTP_PROXY_EV_UP_ADOPTED;
		return true;
	}
	return false;
}

/* ----------------------------------------------------- upstream life */

static void up_request(struct smtp_proxy *p)
{
	if (p->up_status != UP_NONE)
		return;
	if (upool_adopt(p))
		return;
	p->up_status = UP_CONNECTING;
	p->events |= SMTP_PROXY_EV_UP_CONNECT;
	/* the TCP connect; the greeting and each command then have the
	 * client's own (upstream) timeout */
	unsigned t = p->cfg->smtp.timeouts.connect;
	p->up_deadline = p->now + (uint64_t)(t ? t : 30) * 1000u;
}

static const struct smtp_rsp rsp_up_lost = { 451, "4.4.2",
	"Error: upstream connection lost, try again later" };

/* The upstream connection is gone or unusable. Called from client callbacks
 * too: the client itself is destroyed later, in run(). */
static void up_failure(struct smtp_proxy *p, int err)
{
	struct txn *t = &p->t;

	if (p->up_status == UP_FAILED || p->up_status == UP_NONE) {
		if (p->client)
			p->up_dead = true;
		return;
	}
	p->st.upstream_failures++;
	bool was_connecting = p->up_status == UP_CONNECTING;
	p->up_status = UP_FAILED;
	p->up_fail_setup = was_connecting;
	p->up_dead = p->client != NULL;
	p->up_deadline = UINT64_MAX;
	p->up_need_rset = false;
	if (p->up_tcp) {
		p->events |= SMTP_PROXY_EV_UP_CLOSE;
		p->up_tcp = false;
	}
	/* Replies owed to the sender for commands already forwarded. */
	while (smtp_server_deferred_count(p->srv) > 0) {
		enum smtp_cmd k = smtp_server_deferred_head(p->srv);
		if (k == SMTP_CMD_MAIL || k == SMTP_CMD_RCPT) {
			smtp_server_complete_rsp(p->srv, &rsp_up_lost, p->now);
			continue;
		}
		break;
	}
	if (t->mail_from != NULL || t->data)
		t->up_lost = true;
	if (t->relaying || t->body_done) {
		/* mid-relay: nothing was confirmed, the sender retries */
		finish(p, rsp_up_lost.code, rsp_up_lost.enh, rsp_up_lost.text, NULL);
	}
	if (!was_connecting && t->mail_from == NULL && !t->data)
		p->up_status = UP_NONE; /* idle connection lost: reconnect on demand */
}

static void up_destroy(struct smtp_proxy *p)
{
	smtp_client_destroy(p->client);
	p->client = NULL;
	tls_conn_destroy(p->up_tls);
	p->up_tls = NULL;
	p->up_handshaking = false;
	iobuf_free(&p->up_out);
	p->up_dead = false;
	p->up_quit = false;
}

/* ---------------------------------------------------- client events */

static void cl_ready(void *ctx)
{
	struct smtp_proxy *p = ctx;

	p->up_status = UP_READY;
	p->up_deadline = UINT64_MAX;
	next_hop_caps(p);
}

static void cl_reply(void *ctx, enum smtp_cmd kind, const struct smtp_reply *r)
{
	struct smtp_proxy *p = ctx;
	struct txn *t = &p->t;
	struct smtp_reply tmp;

	/* The upstream's 421 closes *its* channel, not the sender's: the
	 * sender gets a 451 with the same text and may carry on. */
	if (r->code == 421) {
		tmp = *r;
		tmp.code = 451;
		r = &tmp;
	}
	switch (kind) {
	case SMTP_CMD_MAIL:
		if (smtp_server_deferred_head(p->srv) == SMTP_CMD_MAIL)
			smtp_server_complete(p->srv, r, p->now);
		if (!smtp_reply_ok(r->code)) {
			free(t->mail_from);
			t->mail_from = NULL;
		}
		break;
	case SMTP_CMD_RCPT:
		if (t->replied < t->n_rcpts)
			t->rcpts[t->replied++].ok = smtp_reply_ok(r->code);
		if (smtp_server_deferred_head(p->srv) == SMTP_CMD_RCPT)
			smtp_server_complete(p->srv, r, p->now);
		break;
	case SMTP_CMD_EOD:
		if (!t->eod)
			break; /* e.g. a late reply after an abort */
		if (smtp_reply_ok(r->code))
			p->st.relayed++;
		p->st.bytes_out += t->relayed;
		finish(p, r->code, NULL, NULL, r);
		break;
	default:
		break;
	}
}

static void cl_starttls(void *ctx)
{
	struct smtp_proxy *p = ctx;
	const struct cfg_upstream *u = &p->cfg->smtp.upstream;

	p->up_tls = tls_conn_create(p->prm.tls_client, u->server_name);
	if (p->up_tls == NULL) {
		smtp_client_tls_failed(p->client, p->now);
		return;
	}
	p->up_handshaking = true;
}

static void cl_failed(void *ctx, int err, const struct smtp_reply *r)
{
	up_failure(ctx, err);
}

static const struct smtp_client_ops client_ops = {
	.ready = cl_ready,
	.reply = cl_reply,
	.starttls = cl_starttls,
	.failed = cl_failed,
};

/* ---------------------------------------------------- server events */

static enum smtp_act sv_helo(void *ctx, bool ehlo, const char *name, size_t len,
			     struct smtp_rsp *rsp)
{
	struct smtp_proxy *p = ctx;

	switch (p->up_status) {
	case UP_READY:
		return SMTP_ACT_OK;
	case UP_NONE:
		up_request(p);
		return SMTP_ACT_HOLD;
	case UP_CONNECTING:
		return SMTP_ACT_HOLD;
	default:
		/* upstream unreachable: answer anyway (no DSN); MAIL retries */
		p->up_status = UP_NONE;
		smtp_server_set_dsn(p->srv, false);
		return SMTP_ACT_OK;
	}
}

/* Keep the parameters the upstream understands. */
static size_t filter_params(const struct smtp_client_caps *caps, bool mail,
			    const char *in, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < n) {
		while (i < n && in[i] == ' ')
			i++;
		size_t s = i;
		while (i < n && in[i] != ' ')
			i++;
		if (i == s)
			break;
		const char *k = in + s;
		size_t kl = 0;
		while (s + kl < i && k[kl] != '=')
			kl++;
#define KW(x) (kl == sizeof(x) - 1 && strncasecmp(k, x, kl) == 0)
		bool keep;
		if (mail)
			keep = (KW("SIZE") && caps->size) || (KW("BODY") && caps->eightbitmime) ||
			       (KW("SMTPUTF8") && caps->smtputf8) ||
			       ((KW("RET") || KW("ENVID")) && caps->dsn);
		else
			keep = (KW("NOTIFY") || KW("ORCPT")) && caps->dsn;
#undef KW
		if (keep && o + (i - s) + 1 < cap) {
			if (o)
				out[o++] = ' ';
			memcpy(out + o, in + s, i - s);
			o += i - s;
		}
	}
	return o;
}

static enum smtp_act sv_mail(void *ctx, const struct smtp_path_cmd *m, struct smtp_rsp *rsp)
{
	struct smtp_proxy *p = ctx;
	struct txn *t = &p->t;

	switch (p->up_status) {
	case UP_NONE:
		up_request(p);
		return SMTP_ACT_HOLD;
	case UP_CONNECTING:
		return SMTP_ACT_HOLD;
	case UP_FAILED:
		if (p->client || p->up_dead)
			return SMTP_ACT_HOLD; /* let run() clean up first */
		p->up_status = UP_NONE;
		if (!p->up_fail_setup) {
			/* an established connection broke earlier: try anew */
			up_request(p);
			return SMTP_ACT_HOLD;
		}
		*rsp = (struct smtp_rsp){ 451, "4.4.1", "Error: upstream MTA unavailable, try again later" };
		return SMTP_ACT_REPLY;
	default:
		break;
	}
	const struct smtp_client_caps *caps = smtp_client_caps(p->client);
	if (m->smtputf8 && !caps->smtputf8) {
		*rsp = (struct smtp_rsp){ 553, "5.6.7", "Error: SMTPUTF8 not supported by the next hop" };
		return SMTP_ACT_REPLY;
	}
	if (p->up_need_rset || !smtp_client_can_send(p->client))
		return SMTP_ACT_HOLD;
	char params[SMTP_CMD_LINE_MAX];
	size_t pl = filter_params(caps, true, m->params, m->params_len, params, sizeof(params));
	char *from = strndup(m->addr, m->addr_len);
	if (from == NULL) {
		*rsp = (struct smtp_rsp){ 451, "4.3.0", "Error: out of memory" };
		return SMTP_ACT_REPLY;
	}
	int rc = smtp_client_mail(p->client, m->addr, m->addr_len, params, pl, p->now);
	if (rc == -EAGAIN) {
		free(from);
		return SMTP_ACT_HOLD;
	}
	if (rc < 0) {
		free(from);
		*rsp = (struct smtp_rsp){ 451, "4.3.0", "Error: internal error, try again later" };
		return SMTP_ACT_REPLY;
	}
	txn_reset(p);
	t->mail_from = from;
	return SMTP_ACT_DEFER;
}

static enum smtp_act sv_rcpt(void *ctx, const struct smtp_path_cmd *r, struct smtp_rsp *rsp)
{
	struct smtp_proxy *p = ctx;
	struct txn *t = &p->t;

	if (p->up_status != UP_READY || t->up_lost || p->client == NULL ||
	    !smtp_client_in_txn(p->client)) {
		if (p->up_status == UP_READY && p->client && !smtp_client_in_txn(p->client) &&
		    !t->up_lost) {
			*rsp = (struct smtp_rsp){ 503, "5.5.1", "Error: need MAIL command" };
			return SMTP_ACT_REPLY;
		}
		*rsp = rsp_up_lost;
		return SMTP_ACT_REPLY;
	}
	if (!smtp_client_can_send(p->client))
		return SMTP_ACT_HOLD;
	if (t->n_rcpts == t->cap_rcpts) {
		size_t nc = t->cap_rcpts ? t->cap_rcpts * 2 : 8;
		struct rcpt *nr = realloc(t->rcpts, nc * sizeof(*nr));
		if (nr == NULL)
			goto oom;
		t->rcpts = nr;
		t->cap_rcpts = nc;
	}
	char *a = strndup(r->addr, r->addr_len);
	if (a == NULL)
		goto oom;
	char params[SMTP_CMD_LINE_MAX];
	size_t pl = filter_params(smtp_client_caps(p->client), false, r->params, r->params_len,
				  params, sizeof(params));
	int rc = smtp_client_rcpt(p->client, r->addr, r->addr_len, params, pl, p->now);
	if (rc == -EAGAIN) {
		free(a);
		return SMTP_ACT_HOLD;
	}
	if (rc < 0) {
		free(a);
		goto oom;
	}
	t->rcpts[t->n_rcpts++] = (struct rcpt){ a, false };
	return SMTP_ACT_DEFER;
oom:
	*rsp = (struct smtp_rsp){ 451, "4.3.0", "Error: internal resource failure, try again later" };
	return SMTP_ACT_REPLY;
}

static enum smtp_act sv_data_begin(void *ctx, bool bdat, struct smtp_rsp *rsp)
{
	struct smtp_proxy *p = ctx;
	struct txn *t = &p->t;

	if (t->up_lost || p->up_status != UP_READY) {
		*rsp = rsp_up_lost;
		return SMTP_ACT_REPLY;
	}
	size_t n = accepted(p);
	if (t->acc == NULL)
		goto fail;
	struct dlp_envelope env = { t->mail_from, t->acc, n };
	msgbuf_reset(&t->msg);
	uint64_t lim = p->cfg->smtp.max_message_size ? p->cfg->smtp.max_message_size : 52428800u;
	msgbuf_init(&t->msg, p->prm.pool, lim);
	smtp_scan_init(&t->scan, p->prm.scan_ops, p->prm.scan_ctx);
	if (smtp_scan_begin(&t->scan, &env) < 0)
		goto fail;
	t->data = true;
	t->t_data = p->now;
	snprintf(t->qid, sizeof(t->qid), "%010" PRIX64 "%06" PRIX32, (uint64_t)(p->prm.session_id & 0xffffffffffu),
		 ++p->msg_seq & 0xffffffu);
	return SMTP_ACT_OK;
fail:
	*rsp = (struct smtp_rsp){ 451, "4.3.0", "Error: internal resource failure, try again later" };
	return SMTP_ACT_REPLY;
}

static int sv_data(void *ctx, const uint8_t *d, size_t n)
{
	struct smtp_proxy *p = ctx;
	struct txn *t = &p->t;

	p->st.bytes_in += n;
	while (n > 0) {
		struct iovec where[2];
		size_t nw = 0, k = n > MSGBUF_CHUNK_DATA ? MSGBUF_CHUNK_DATA : n;
		int rc = msgbuf_append(&t->msg, d, k, where, &nw);
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < nw; i++)
			smtp_scan_feed(&t->scan, where[i].iov_base, where[i].iov_len);
		d += k;
		n -= k;
	}
	return 0;
}

static enum smtp_act sv_data_end(void *ctx, int status, struct smtp_rsp *rsp)
{
	struct smtp_proxy *p = ctx;
	struct txn *t = &p->t;

	p->st.messages++;
	if (status < 0) {
		if (status != -EFBIG && status != -EMSGSIZE && status != -EBADMSG)
			p->st.tempfailed++;
		txn_reset(p);
		if (p->client && smtp_client_in_txn(p->client))
			p->up_need_rset = true;
		return SMTP_ACT_OK;
	}
	t->eod = true;
	t->t_eod = p->now;
	struct dlp_verdict *v = NULL;
	int rc = smtp_scan_end(&t->scan, &v);
	if (rc == -EINPROGRESS) {
		unsigned to = p->cfg->smtp.timeouts.upstream;
		t->verdict_deadline = p->now + (uint64_t)(to ? to : 120) * 1000u;
		return SMTP_ACT_DEFER;
	}
	t->verdict = v;
	t->scan_err = rc < 0 ? rc : 0;
	t->verdict_ready = true;
	return SMTP_ACT_DEFER;
}

static void sv_rset(void *ctx)
{
	struct smtp_proxy *p = ctx;

	txn_reset(p);
	if (p->client && smtp_client_in_txn(p->client))
		p->up_need_rset = true;
}

/* The sender's TLS handshake gets the command timeout: the server's own
 * timer does not run while it waits for the handshake, so without this a
 * sender that connects to the implicit-TLS port and says nothing (or stops
 * half way through a handshake) would hold its session forever. */
static void down_hs_arm(struct smtp_proxy *p)
{
	unsigned to = p->cfg->smtp.timeouts.command;

	p->down_hs_deadline = p->now + (uint64_t)(to ? to : 300) * 1000u;
}

static void sv_starttls(void *ctx)
{
	struct smtp_proxy *p = ctx;

	p->down_raw = iobuf_used(&p->down_out); /* the 220 goes out in clear */
	p->down_tls = tls_conn_create(p->prm.tls_server, NULL);
	if (p->down_tls == NULL) {
		smtp_server_shutdown(p->srv, "4.3.0", "Error: TLS not available");
		return;
	}
	p->down_handshaking = true;
	down_hs_arm(p);
	p->drop_staged = true;
}

static void sv_close(void *ctx)
{
	struct smtp_proxy *p = ctx;

	p->events |= SMTP_PROXY_EV_DOWN_CLOSE;
}

static const struct smtp_server_ops server_ops = {
	.helo = sv_helo,
	.mail = sv_mail,
	.rcpt = sv_rcpt,
	.data_begin = sv_data_begin,
	.data = sv_data,
	.data_end = sv_data_end,
	.rset = sv_rset,
	.starttls = sv_starttls,
	.close = sv_close,
};

/* ---------------------------------------------------- header filter */

struct mcur {
	const struct msgbuf_chunk *c;
	uint32_t i;
	uint64_t pos;
};

static int mget(struct mcur *m)
{
	while (m->c && m->i >= m->c->len) {
		m->c = m->c->next;
		m->i = 0;
	}
	if (m->c == NULL)
		return -1;
	m->pos++;
	return m->c->data[m->i++];
}

static bool name_is(const char *line, size_t n, const char *name)
{
	size_t l = strlen(name);
	if (l == 0 || n < l + 1 || strncasecmp(line, name, l) != 0)
		return false;
	size_t i = l;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i < n && line[i] == ':';
}

/* Header names the appliance owns: the inspected header, the header being
 * added, and every policy's header. A sender's copy of any of them is
 * removed, so the downstream gateway can trust them (a sender must not be
 * able to forge a hold header, or one a policy would have added). */
static bool owned_header(const struct smtp_proxy *p, const char *line, size_t n, const char *ih,
			 const char *ph)
{
	if (name_is(line, n, ih) || (ph != NULL && name_is(line, n, ph)))
		return true;
	for (size_t i = 0; i < p->cfg->n_policies; i++) {
		const char *h = p->cfg->policies[i].header_name;
		if (h != NULL && h[0] != '\0' && name_is(line, n, h))
			return true;
	}
	return false;
}

/* Find the header lines (with continuations) the appliance owns in the
 * header section (up to the first empty line); fills t->skip. Returns 0 or
 * -E2BIG. */
static int find_headers(struct smtp_proxy *p, const char *ih, const char *ph)
{
	struct txn *t = &p->t;
	struct mcur m = { t->msg.head, 0, 0 };
	char lb[HDR_NAME_MAX + 4];
	bool skipping = false;

	t->n_skip = 0;
	for (;;) {
		uint64_t start = m.pos;
		size_t ll = 0, name = 0;
		int c;
		bool any = false;
		/* The field name is judged on the whole line, not on what fits
		 * in lb: a name longer than lb is still a header to the next
		 * hop, and the owned headers after it must still be found. */
		enum { N_NAME, N_WS, N_COLON, N_BAD } ns = N_NAME;
		while ((c = mget(&m)) >= 0) {
			any = true;
			if (ll < sizeof(lb))
				lb[ll++] = (char)c;
			if (ns == N_NAME) {
				if (c == ':')
					ns = name ? N_COLON : N_BAD;
				else if (c == ' ' || c == '\t')
					ns = name ? N_WS : N_BAD;
				else if (c > 32 && c < 127)
					name++;
				else
					ns = N_BAD;
			} else if (ns == N_WS) {
				if (c == ':')
					ns = N_COLON;
				else if (c != ' ' && c != '\t')
					ns = N_BAD;
			}
			if (c == '\n')
				break;
		}
		if (!any || start >= HDR_SECTION_MAX)
			return 0; /* past any reader's header limit (Postfix: 100 KB) */
		/* empty line: end of the header section */
		if ((ll == 1 && lb[0] == '\n') || (ll == 2 && lb[0] == '\r' && lb[1] == '\n'))
			return 0;
		if (lb[0] == ' ' || lb[0] == '\t') {
			if (skipping)
				t->skip[t->n_skip - 1].end = m.pos;
			continue;
		}
		/* A line that is not a header ("Foo bar", a "From " line) ends
		 * the header section for a strict reader (Postfix), not for a
		 * lenient one: the owned headers after it go too, so no reader
		 * downstream sees a forged one. Only the empty line ends it. */
		skipping = ns == N_COLON && name <= HDR_NAME_MAX && owned_header(p, lb, ll, ih, ph);
		if (skipping) {
			if (t->n_skip == SKIP_MAX)
				return -E2BIG;
			t->skip[t->n_skip++] = (struct range){ start, m.pos };
		}
		if (c < 0)
			return 0;
	}
}

static int append_header(char **buf, size_t *len, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = value ? strlen(value) : 0;
	char *b = realloc(*buf, *len + nl + vl + 5);
	if (b == NULL)
		return -ENOMEM;
	size_t o = *len;
	memcpy(b + o, name, nl);
	o += nl;
	b[o++] = ':';
	b[o++] = ' ';
	for (size_t i = 0; i < vl; i++)
		b[o++] = (value[i] == '\r' || value[i] == '\n') ? ' ' : value[i];
	b[o++] = '\r';
	b[o++] = '\n';
	*buf = b;
	*len = o;
	return 0;
}

/* ------------------------------------------------------------ relay */

static int relay_start(struct smtp_proxy *p)
{
	struct txn *t = &p->t;
	const struct dlp_verdict *v = t->verdict;
	const char *ih = p->cfg->dlp.inspected_header;
	const char *ph = NULL;
	char val[200];

	if (ih == NULL || ih[0] == '\0')
		ih = "X-SMTPDLP-Inspected";
	snprintf(val, sizeof(val), "%s; id=%s",
		 (p->cfg->hostname && p->cfg->hostname[0]) ? p->cfg->hostname : "smtpdlp", t->qid);
	if (append_header(&t->prefix, &t->prefix_len, ih, val) < 0)
		return -ENOMEM;
	if (t->action == CFG_ACTION_ADD_HEADER && v && v->header_name && v->header_name[0]) {
		ph = v->header_name;
		if (append_header(&t->prefix, &t->prefix_len, ph, v->header_value) < 0)
			return -ENOMEM;
	}
	int rc = find_headers(p, ih, ph);
	if (rc < 0)
		return rc;
	rc = smtp_client_data(p->client, true, p->now);
	if (rc < 0)
		return rc;
	t->relaying = true;
	return 0;
}

/* Next contiguous piece of the message to relay, skipping removed ranges. */
static size_t next_piece(struct txn *t, const uint8_t **out)
{
	for (;;) {
		if (t->rpos >= msgbuf_len(&t->msg))
			return 0;
		uint64_t limit = msgbuf_len(&t->msg);
		bool moved = false;
		for (size_t i = 0; i < t->n_skip; i++) {
			if (t->rpos >= t->skip[i].start && t->rpos < t->skip[i].end) {
				t->rpos = t->skip[i].end;
				moved = true;
				break;
			}
			if (t->skip[i].start > t->rpos && t->skip[i].start < limit)
				limit = t->skip[i].start;
		}
		if (moved)
			continue;
		/* locate the chunk holding rpos */
		uint64_t off = t->rpos;
		const struct msgbuf_chunk *c = t->msg.head;
		while (c && off >= c->len) {
			off -= c->len;
			c = c->next;
		}
		if (c == NULL)
			return 0;
		size_t n = c->len - (size_t)off;
		if (n > limit - t->rpos)
			n = (size_t)(limit - t->rpos);
		if (n > SMTP_PROXY_RELAY_PIECE)
			n = SMTP_PROXY_RELAY_PIECE;
		*out = c->data + off;
		return n;
	}
}

static bool relay_pump(struct smtp_proxy *p)
{
	struct txn *t = &p->t;
	bool progress = false;

	if (p->client == NULL || !smtp_client_body_open(p->client))
		return false;
	while (iobuf_used(&p->up_out) < SMTP_PROXY_RELAY_HIGH) {
		const uint8_t *d;
		size_t n;
		if (t->prefix_off < t->prefix_len) {
			d = (const uint8_t *)t->prefix + t->prefix_off;
			n = t->prefix_len - t->prefix_off;
		} else {
			n = next_piece(t, &d);
		}
		if (n == 0) {
			if (smtp_client_body_end(p->client, p->now) < 0)
				return progress;
			t->relaying = false;
			t->body_done = true;
			return true;
		}
		if (smtp_client_body(p->client, d, n, p->now) < 0)
			return progress;
		if (t->prefix_off < t->prefix_len)
			t->prefix_off += n;
		else
			t->rpos += n;
		t->relayed += n;
		progress = true;
	}
	return progress;
}

/* ----------------------------------------------------------- action */

static void block_text(struct smtp_proxy *p, char *buf, size_t cap)
{
	const char *fmt = p->cfg->smtp.block_reply;
	const char *pol = (p->t.verdict && p->t.verdict->policy) ? p->t.verdict->policy : "DLP";
	size_t o = 0;

	if (fmt == NULL || fmt[0] == '\0')
		fmt = "Message refused by data-loss-prevention policy \"%p\"";
	for (size_t i = 0; fmt[i] && o + 1 < cap; i++) {
		if (fmt[i] == '%' && fmt[i + 1] == 'p') {
			for (size_t j = 0; pol[j] && o + 1 < cap; j++)
				buf[o++] = pol[j];
			i++;
		} else {
			buf[o++] = fmt[i];
		}
	}
	buf[o] = '\0';
}

static int quarantine(struct smtp_proxy *p)
{
	struct txn *t = &p->t;

	if (p->prm.quarantine == NULL || p->prm.quarantine->put == NULL)
		return -ENOSYS;
	size_t niov = msgbuf_iov(&t->msg, NULL, 0);
	struct iovec *iov = calloc(niov ? niov : 1, sizeof(*iov));
	if (iov == NULL)
		return -ENOMEM;
	msgbuf_iov(&t->msg, iov, niov);
	size_t n = 0;
	while (t->acc && t->acc[n])
		n++;
	struct quarantine_item it = {
		.queue_id = t->qid,
		.mail_from = t->mail_from ? t->mail_from : "",
		.rcpts = t->acc,
		.n_rcpts = n,
		.client_helo = smtp_server_helo_name(p->srv),
		.verdict = t->verdict,
		.iov = iov,
		.n_iov = niov,
		.size = msgbuf_len(&t->msg),
		.received_ms = t->t_eod,
	};
	int rc = p->prm.quarantine->put(p->prm.quarantine_ctx, &it);
	free(iov);
	return rc;
}

static void act(struct smtp_proxy *p)
{
	struct txn *t = &p->t;
	const struct dlp_verdict *v = t->verdict;
	char text[SMTP_REPLY_LINE_MAX];

	t->verdict_ready = false;
	t->verdict_deadline = UINT64_MAX;
	t->action = v ? v->action : CFG_ACTION_ALLOW;
	t->unscannable = (v == NULL) || v->unscannable;
	if (t->unscannable && t->action != CFG_ACTION_BLOCK) {
		enum cfg_unscannable u = p->cfg->dlp.on_unscannable;
		if (u == CFG_UNSCANNABLE_TEMPFAIL) {
			finish(p, 451, "4.7.0", "Error: message could not be scanned, try again later", NULL);
			return;
		}
		if (u == CFG_UNSCANNABLE_HOLD)
			t->action = CFG_ACTION_QUARANTINE;
	} else {
		t->unscannable = false;
	}
	switch (t->action) {
	case CFG_ACTION_BLOCK:
		p->st.blocked++;
		block_text(p, text, sizeof(text));
		finish(p, 550, "5.7.1", text, NULL);
		return;
	case CFG_ACTION_QUARANTINE: {
		int rc = quarantine(p);
		if (rc < 0) {
			finish(p, 451, "4.3.0", "Error: message could not be stored, try again later", NULL);
			return;
		}
		p->st.quarantined++;
		snprintf(text, sizeof(text), "Ok: queued as %s", t->qid);
		finish(p, 250, "2.0.0", text, NULL);
		return;
	}
	default:
		break;
	}
	if (t->up_lost || p->up_status != UP_READY || p->client == NULL) {
		finish(p, rsp_up_lost.code, rsp_up_lost.enh, rsp_up_lost.text, NULL);
		return;
	}
	if (relay_start(p) < 0)
		finish(p, 451, "4.3.0", "Error: internal resource failure, try again later", NULL);
}

/* ------------------------------------------------------------- run */

static void up_housekeeping(struct smtp_proxy *p)
{
	/* A failed client is destroyed here, never inside its own callback;
	 * the status stays FAILED until a command consumes the failure. */
	if (p->up_dead)
		up_destroy(p);
	if (p->client == NULL)
		return;
	if (p->up_need_rset && smtp_client_ready(p->client) && !smtp_client_body_open(p->client)) {
		if (smtp_client_rset(p->client, p->now) == 0)
			p->up_need_rset = false;
	}
	/* The sender is gone: park the connection, or say goodbye upstream
	 * once nothing is in flight. */
	if (smtp_server_closing(p->srv) && !p->up_quit && !p->t.eod && upool_park(p))
		return;
	if (smtp_server_closing(p->srv) && !p->up_quit && !p->t.eod) {
		if (smtp_client_ready(p->client) || smtp_client_failed(p->client) ||
		    p->up_status != UP_READY) {
			if (smtp_client_ready(p->client) &&
			    smtp_client_quit(p->client, p->now) == -EINVAL) {
				/* A message is open upstream (the sender's side
				 * ended mid-relay, e.g. its TLS failed): QUIT
				 * would be message text, and ending the message
				 * would deliver it half-told. Drop the
				 * connection: nothing is delivered. */
				if (p->up_tcp)
					p->events |= SMTP_PROXY_EV_UP_CLOSE;
				p->up_tcp = false;
				p->up_status = UP_NONE;
				up_destroy(p);
				return;
			}
			p->up_quit = true;
		}
	}
	if (p->up_quit && smtp_client_done(p->client) && iobuf_empty(&p->up_out) &&
	    (p->up_tls == NULL || tls_conn_output(p->up_tls, &(const uint8_t *){ NULL },
						  &(size_t){ 0 }) == 0)) {
		if (p->up_tcp)
			p->events |= SMTP_PROXY_EV_UP_CLOSE;
		p->up_tcp = false;
		up_destroy(p);
		p->up_status = UP_NONE;
	}
}

static void run(struct smtp_proxy *p)
{
	if (p->in_run)
		return;
	p->in_run = true;
	for (int guard = 0; guard < 10000; guard++) {
		bool progress = false;

		up_housekeeping(p);
		if (p->t.verdict_ready) {
			act(p);
			progress = true;
		}
		if (p->t.relaying && relay_pump(p))
			progress = true;
		if (p->drop_staged) {
			p->drop_staged = false;
			iobuf_free(&p->down_in);
		}
		if (smtp_server_held(p->srv) && !smtp_server_closing(p->srv)) {
			if (smtp_server_resume(p->srv, p->now) && !smtp_server_held(p->srv))
				progress = true;
		}
		/* Plaintext TLS decrypted but the server could not take yet:
		 * no more ciphertext may come to push it, so pull it here. */
		if (p->down_tls && !p->down_handshaking && !p->drop_staged && !p->down_peeking &&
		    !smtp_server_closing(p->srv) && !p->down_closed) {
			const uint8_t *pt;
			size_t n;
			size_t room = SMTP_PROXY_DOWN_IN_MAX - iobuf_used(&p->down_in);
			if (room > 0 && tls_conn_peek(p->down_tls, &pt, &n) > 0) {
				size_t k = n < room ? n : room;
				if (iobuf_append(&p->down_in, pt, k, SMTP_PROXY_DOWN_IN_MAX) == 0) {
					tls_conn_peek_consume(p->down_tls, k);
					progress = true;
				}
			}
		}
		if (!iobuf_empty(&p->down_in) && !smtp_server_held(p->srv) && !p->down_handshaking) {
			size_t n = smtp_server_feed(p->srv, iobuf_head(&p->down_in),
						    iobuf_used(&p->down_in), p->now);
			if (n > 0) {
				iobuf_consume(&p->down_in, n);
				progress = true;
			}
			if (p->drop_staged)
				continue;
		}
		if (!progress)
			break;
	}
	iobuf_trim(&p->down_in);
	iobuf_trim(&p->down_out);
	iobuf_trim(&p->up_out);
	p->in_run = false;
}

/* ------------------------------------------------------------- API */

struct smtp_proxy *smtp_proxy_create(const struct smtp_proxy_params *prm)
{
	if (prm == NULL || prm->cfg == NULL || prm->pool == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((prm->listen_tls != CFG_LISTEN_PLAIN) && prm->tls_server == NULL) {
		errno = EINVAL;
		return NULL;
	}
	struct smtp_proxy *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->cfg = prm->cfg;
	p->prm = *prm;
	p->implicit_tls = prm->listen_tls == CFG_LISTEN_IMPLICIT;
	struct smtp_server_params sp = {
		.cfg = prm->cfg,
		.ops = &server_ops,
		.ctx = p,
		.out = &p->down_out,
		.starttls_offered = prm->listen_tls == CFG_LISTEN_STARTTLS,
		.tls_active = p->implicit_tls,
	};
	p->srv = smtp_server_create(&sp);
	if (p->srv == NULL) {
		free(p);
		return NULL;
	}
	msgbuf_init(&p->t.msg, prm->pool, 0);
	smtp_scan_init(&p->t.scan, prm->scan_ops, prm->scan_ctx);
	p->t.verdict_deadline = UINT64_MAX;
	p->up_deadline = UINT64_MAX;
	p->down_hs_deadline = UINT64_MAX;
	if (p->implicit_tls) {
		p->down_tls = tls_conn_create(prm->tls_server, NULL);
		if (p->down_tls == NULL) {
			int e = errno;
			smtp_server_destroy(p->srv);
			free(p);
			errno = e;
			return NULL;
		}
		p->down_handshaking = true;
	}
	return p;
}

void smtp_proxy_destroy(struct smtp_proxy *p)
{
	if (p == NULL)
		return;
	txn_reset(p);
	up_destroy(p);
	tls_conn_destroy(p->down_tls);
	smtp_server_destroy(p->srv);
	iobuf_free(&p->down_out);
	iobuf_free(&p->down_in);
	free(p);
}

void smtp_proxy_start(struct smtp_proxy *p, uint64_t now)
{
	p->now = now;
	if (!p->implicit_tls)
		smtp_server_greet(p->srv, now);
	else
		down_hs_arm(p);
	run(p);
}

/* Plaintext from the sender: feed directly when possible, stage the rest. */
static size_t down_plain(struct smtp_proxy *p, const uint8_t *d, size_t len)
{
	size_t used = 0;

	if (iobuf_empty(&p->down_in) && !smtp_server_held(p->srv)) {
		used = smtp_server_feed(p->srv, d, len, p->now);
		run(p);
	}
	if (used < len) {
		if (p->drop_staged || smtp_server_closing(p->srv))
			return len;
		size_t room = SMTP_PROXY_DOWN_IN_MAX - iobuf_used(&p->down_in);
		size_t k = len - used < room ? len - used : room;
		if (k > 0 && iobuf_append(&p->down_in, d + used, k, SMTP_PROXY_DOWN_IN_MAX) == 0)
			used += k;
		run(p);
	}
	return used;
}

static void down_tls_check(struct smtp_proxy *p)
{
	if (p->down_tls == NULL)
		return;
	enum tls_state s = tls_conn_state(p->down_tls);
	if (p->down_handshaking && s == TLS_STATE_ESTABLISHED) {
		p->down_handshaking = false;
		p->st.tls_in++;
		if (tls_conn_resumed(p->down_tls))
			p->st.tls_in_resumed++;
		if (p->implicit_tls)
			smtp_server_greet(p->srv, p->now);
		else
			smtp_server_tls_started(p->srv, p->now);
	} else if (s == TLS_STATE_FAILED || s == TLS_STATE_CLOSED) {
		if (p->down_handshaking && s == TLS_STATE_FAILED) {
			p->down_handshaking = false;
			p->st.tls_in_failed++;
		}
		if (!smtp_server_closing(p->srv)) {
			/* nothing can be said in the clear any more */
			smtp_server_shutdown(p->srv, "4.7.0", "Error: TLS failed");
			iobuf_free(&p->down_out);
			p->down_raw = 0;
		}
		p->events |= SMTP_PROXY_EV_DOWN_CLOSE;
	}
}

size_t smtp_proxy_down_recv(struct smtp_proxy *p, const void *data, size_t len, uint64_t now)
{
	const uint8_t *d = data;
	size_t used = 0;

	p->now = now;
	if (p->down_closed)
		return len;
	if (p->down_tls == NULL || p->down_raw > 0) {
		if (p->down_tls != NULL) {
			/* bytes before our 220 went out: injection, discarded */
			return len;
		}
		used = down_plain(p, d, len);
		run(p);
		return used;
	}
	while (used < len) {
		ssize_t r = tls_conn_feed(p->down_tls, d + used, len - used);
		if (r < 0) {
			down_tls_check(p);
			used = len;
			break;
		}
		used += (size_t)r;
		down_tls_check(p);
		const uint8_t *pt;
		size_t n;
		bool stuck = false;
		while (tls_conn_peek(p->down_tls, &pt, &n) > 0) {
			p->down_peeking = true;
			size_t k = down_plain(p, pt, n);
			p->down_peeking = false;
			if (p->down_tls == NULL)
				break;
			tls_conn_peek_consume(p->down_tls, k);
			if (k < n) {
				stuck = true;
				break;
			}
		}
		if (r == 0 || stuck)
			break;
	}
	run(p);
	return used;
}

size_t smtp_proxy_down_pending(struct smtp_proxy *p, const uint8_t **buf)
{
	size_t n;

	if (p->down_raw > 0) {
		*buf = iobuf_head(&p->down_out);
		return p->down_raw;
	}
	if (p->down_tls == NULL) {
		*buf = iobuf_head(&p->down_out);
		return iobuf_used(&p->down_out);
	}
	if (tls_conn_output(p->down_tls, buf, &n) > 0)
		return n;
	if (!iobuf_empty(&p->down_out) && tls_conn_established(p->down_tls)) {
		ssize_t w = tls_conn_write(p->down_tls, iobuf_head(&p->down_out),
					   iobuf_used(&p->down_out));
		if (w > 0)
			iobuf_consume(&p->down_out, (size_t)w);
		if (tls_conn_output(p->down_tls, buf, &n) > 0)
			return n;
	}
	return 0;
}

void smtp_proxy_down_sent(struct smtp_proxy *p, size_t n, uint64_t now)
{
	p->now = now;
	if (p->down_raw > 0) {
		iobuf_consume(&p->down_out, n);
		p->down_raw -= n;
	} else if (p->down_tls) {
		if (tls_conn_output_consume(p->down_tls, n) < 0)
			down_tls_check(p);
		down_tls_check(p);
	} else {
		iobuf_consume(&p->down_out, n);
	}
	run(p);
}

void smtp_proxy_down_closed(struct smtp_proxy *p, uint64_t now)
{
	p->now = now;
	p->down_closed = true;
	if (p->t.relaying || p->t.body_done) {
		/* no 250 can reach the sender: abort the upstream transaction by
		 * dropping the connection mid-message, so nothing is delivered
		 * that the sender will send again */
		if (p->up_tcp)
			p->events |= SMTP_PROXY_EV_UP_CLOSE;
		p->up_tcp = false;
		p->up_status = UP_NONE;
		up_destroy(p);
	}
	txn_reset(p);
	if (!smtp_server_closing(p->srv)) {
		smtp_server_shutdown(p->srv, "4.4.2", "Error: connection closed");
	}
	iobuf_free(&p->down_out);
	p->down_raw = 0;
	run(p);
}

void smtp_proxy_up_connected(struct smtp_proxy *p, uint64_t now)
{
	p->now = now;
	if (p->up_status != UP_CONNECTING) {
		/* not wanted any more: let the transport close it */
		p->events |= SMTP_PROXY_EV_UP_CLOSE;
		return;
	}
	p->up_tcp = true;
	struct smtp_client_params cp = {
		.cfg = p->cfg,
		.ops = &client_ops,
		.ctx = p,
		.out = &p->up_out,
		.tls_available = p->prm.tls_client != NULL,
	};
	p->client = smtp_client_create(&cp);
	if (p->client == NULL) {
		up_failure(p, -ENOMEM);
	} else {
		smtp_client_connected(p->client, now);
	}
	run(p);
}

void smtp_proxy_up_connect_failed(struct smtp_proxy *p, int err, uint64_t now)
{
	p->now = now;
	p->up_tcp = false;
	up_failure(p, err);
	run(p);
}

static void up_tls_check(struct smtp_proxy *p)
{
	if (p->up_tls == NULL || p->client == NULL)
		return;
	enum tls_state s = tls_conn_state(p->up_tls);
	if (p->up_handshaking && s == TLS_STATE_ESTABLISHED) {
		p->up_handshaking = false;
		p->st.tls_out++;
		smtp_client_tls_ready(p->client, p->now);
	} else if (s == TLS_STATE_FAILED || s == TLS_STATE_CLOSED) {
		if (p->up_handshaking)
			p->st.tls_out_failed++;
		if (p->up_handshaking)
			smtp_client_tls_failed(p->client, p->now);
		else
			up_failure(p, -ECONNRESET);
	}
}

size_t smtp_proxy_up_recv(struct smtp_proxy *p, const void *data, size_t len, uint64_t now)
{
	const uint8_t *d = data;
	size_t used = 0;

	p->now = now;
	if (p->client == NULL || p->up_dead) {
		run(p);
		return len;
	}
	if (p->up_tls == NULL) {
		smtp_client_input(p->client, d, len, now);
		run(p);
		return len;
	}
	while (used < len && p->up_tls && !p->up_dead) {
		ssize_t r = tls_conn_feed(p->up_tls, d + used, len - used);
		if (r < 0) {
			up_tls_check(p);
			used = len;
			break;
		}
		used += (size_t)r;
		up_tls_check(p);
		const uint8_t *pt;
		size_t n;
		while (p->up_tls && !p->up_dead && tls_conn_peek(p->up_tls, &pt, &n) > 0) {
			smtp_client_input(p->client, pt, n, now);
			if (p->up_tls)
				tls_conn_peek_consume(p->up_tls, n);
		}
		if (r == 0)
			break;
	}
	run(p);
	return p->up_dead ? len : used;
}

size_t smtp_proxy_up_pending(struct smtp_proxy *p, const uint8_t **buf)
{
	size_t n;

	if (p->up_tls == NULL) {
		*buf = iobuf_head(&p->up_out);
		return iobuf_used(&p->up_out);
	}
	if (tls_conn_output(p->up_tls, buf, &n) > 0)
		return n;
	if (!iobuf_empty(&p->up_out) && tls_conn_established(p->up_tls)) {
		ssize_t w = tls_conn_write(p->up_tls, iobuf_head(&p->up_out), iobuf_used(&p->up_out));
		if (w > 0)
			iobuf_consume(&p->up_out, (size_t)w);
		if (tls_conn_output(p->up_tls, buf, &n) > 0)
			return n;
	}
	return 0;
}

void smtp_proxy_up_sent(struct smtp_proxy *p, size_t n, uint64_t now)
{
	p->now = now;
	if (p->up_tls) {
		tls_conn_output_consume(p->up_tls, n);
		up_tls_check(p);
	} else {
		iobuf_consume(&p->up_out, n);
	}
	run(p);
}

void smtp_proxy_up_closed(struct smtp_proxy *p, uint64_t now)
{
	p->now = now;
	p->up_tcp = false;
	if (p->client)
		smtp_client_closed(p->client, now); /* may report a failure */
	if (p->client && smtp_client_done(p->client) && p->up_status != UP_FAILED) {
		up_destroy(p);
		p->up_status = UP_NONE;
	}
	run(p);
}

void smtp_proxy_set_up_handle(struct smtp_proxy *p, void *handle)
{
	p->up_handle = handle;
}

void *smtp_proxy_up_handle(const struct smtp_proxy *p)
{
	return p->up_handle;
}

uint32_t smtp_proxy_events(struct smtp_proxy *p)
{
	uint32_t e = p->events;
	p->events = 0;
	return e;
}

bool smtp_proxy_done(const struct smtp_proxy *p)
{
	return smtp_server_closing(p->srv) && p->client == NULL && !p->up_tcp &&
	       p->up_status != UP_CONNECTING;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t smtp_proxy_next_timeout(const struct smtp_proxy *p)
{
	uint64_t t = smtp_server_next_timeout(p->srv);
	if (p->client)
		t = min64(t, smtp_client_next_timeout(p->client));
	if (p->up_status == UP_CONNECTING)
		t = min64(t, p->up_deadline);
	if (p->down_handshaking)
		t = min64(t, p->down_hs_deadline);
	return min64(t, p->t.verdict_deadline);
}

void smtp_proxy_timer(struct smtp_proxy *p, uint64_t now)
{
	p->now = now;
	if (p->up_status == UP_CONNECTING && p->client == NULL && now >= p->up_deadline) {
		p->up_tcp = false;
		p->events |= SMTP_PROXY_EV_UP_CLOSE;
		up_failure(p, -ETIMEDOUT);
	}
	if (p->client)
		smtp_client_timer(p->client, now);
	if (p->t.eod && !p->t.verdict_ready && p->t.verdict == NULL && !p->t.relaying &&
	    !p->t.body_done && now >= p->t.verdict_deadline) {
		/* A detach() backend keeps its handle until the message is
		 * reset (its worker may still read the chunks we relay or
		 * quarantine now); others are cancelled at once. */
		if (p->t.scan.ops && p->t.scan.ops->detach == NULL)
			smtp_scan_abort(&p->t.scan, NULL);
		p->t.scan_err = -ETIMEDOUT;
		p->t.verdict_ready = true;
		p->t.verdict_deadline = UINT64_MAX;
	}
	if (p->down_handshaking && now >= p->down_hs_deadline) {
		/* nothing can be said: the sender is neither in clear nor in TLS */
		p->down_handshaking = false;
		p->down_hs_deadline = UINT64_MAX;
		p->st.tls_in_failed++;
		if (!smtp_server_closing(p->srv)) {
			smtp_server_shutdown(p->srv, "4.4.2", "Error: timeout exceeded");
			iobuf_free(&p->down_out);
			p->down_raw = 0;
		}
		p->events |= SMTP_PROXY_EV_DOWN_CLOSE;
	}
	smtp_server_timer(p->srv, now);
	run(p);
}

void smtp_proxy_verdict(struct smtp_proxy *p, struct dlp_verdict *v, int err, uint64_t now)
{
	struct txn *t = &p->t;
	bool waiting = t->eod && t->scan.pending && !t->verdict_ready && t->verdict == NULL &&
		       !t->relaying && !t->body_done;

	p->now = now;
	/* the backend is done with the handle either way */
	if (t->scan.pending)
		smtp_scan_delivered(&t->scan);
	if (!waiting) {
		/* late (after the verdict timeout acted): not used */
		smtp_scan_release(&t->scan, v);
		run(p);
		return;
	}
	p->t.verdict = v;
	p->t.scan_err = err;
	p->t.verdict_ready = true;
	run(p);
}

size_t smtp_proxy_memory(const struct smtp_proxy *p)
{
	size_t m = sizeof(*p) + smtp_server_memory(p->srv);
	if (p->client)
		m += smtp_client_memory(p->client);
	m += p->down_out.cap + p->down_in.cap + p->up_out.cap;
	m += p->t.msg.n_chunks * sizeof(struct msgbuf_chunk);
	return m;
}

size_t smtp_proxy_tls_memory(const struct smtp_proxy *p)
{
	return (p->down_tls ? tls_conn_memory(p->down_tls) : 0) +
	       (p->up_tls ? tls_conn_memory(p->up_tls) : 0);
}

const struct smtp_proxy_stats *smtp_proxy_stats(const struct smtp_proxy *p)
{
	return &p->st;
}

const struct smtp_server *smtp_proxy_server(const struct smtp_proxy *p)
{
	return p->srv;
}
