/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtp_server.c — sans-IO SMTP server: command table, RFC 5321 limits,
 * pipelining with a queue of deferred replies, DATA framing that only ends on
 * CRLF "." CRLF, BDAT chunking, STARTTLS with injection protection.
 *
 * The command loop follows Postfix smtpd: a table of commands with flags,
 * header-looking and HTTP verbs refused outright with a goodbye, an error
 * counter that ends abusive sessions. The DATA parser follows nginx's
 * state-in-struct push style: it can stop at any byte.
 *
 * While deferred MAIL/RCPT replies are owed, every line but a well-formed
 * MAIL/RCPT is held before anything answers it, refusals and goodbyes
 * included, so replies keep command order. Between the first BDAT and BDAT
 * LAST the envelope is closed: MAIL, RCPT and DATA get 503 (RFC 3030).
 */
#include "app/smtp_server.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg.h"

#define HELO_NAME_MAX 255u

enum srv_state {
	ST_INIT = 0, /* not greeted yet */
	ST_CMD,      /* reading command lines */
	ST_DATA,     /* inside DATA */
	ST_BDAT,     /* reading a BDAT chunk */
	ST_WAIT_EOD, /* end of data deferred: waiting for the final reply */
	ST_TLS,      /* STARTTLS answered: waiting for the handshake */
	ST_CLOSED,
};

enum data_state { D_BOL = 0, D_TEXT, D_CR, D_DOT, D_DOTCR };

/* Command table flags. */
#define F_ARG     0x01 /* argument required */
#define F_NOARG   0x02 /* no argument allowed */
#define F_REFUSE  0x04 /* known, deliberately refused (VRFY, EXPN) */
#define F_NOTIMPL 0x08 /* known SMTP verb we do not implement */
#define F_KILL    0x10 /* not SMTP at all (HTTP, proxy): goodbye */
#define F_PIPE    0x20 /* may be parsed while MAIL/RCPT replies are deferred */

struct cmd_def {
	const char *name;
	uint8_t len;
	uint8_t id;
	uint8_t flags;
};

static const struct cmd_def cmd_table[] = {
	{ "EHLO", 4, SMTP_CMD_EHLO, F_ARG },
	{ "HELO", 4, SMTP_CMD_HELO, F_ARG },
	{ "MAIL", 4, SMTP_CMD_MAIL, F_ARG | F_PIPE },
	{ "RCPT", 4, SMTP_CMD_RCPT, F_ARG | F_PIPE },
	{ "DATA", 4, SMTP_CMD_DATA, F_NOARG },
	{ "BDAT", 4, SMTP_CMD_BDAT, F_ARG },
	{ "RSET", 4, SMTP_CMD_RSET, F_NOARG },
	{ "NOOP", 4, SMTP_CMD_NOOP, 0 },
	{ "QUIT", 4, SMTP_CMD_QUIT, F_NOARG },
	{ "HELP", 4, SMTP_CMD_HELP, 0 },
	{ "VRFY", 4, SMTP_CMD_VRFY, F_REFUSE },
	{ "EXPN", 4, SMTP_CMD_EXPN, F_REFUSE },
	{ "STARTTLS", 8, SMTP_CMD_STARTTLS, F_NOARG },
	{ "AUTH", 4, SMTP_CMD_NONE, F_NOTIMPL },
	{ "ETRN", 4, SMTP_CMD_NONE, F_NOTIMPL },
	{ "TURN", 4, SMTP_CMD_NONE, F_NOTIMPL },
	{ "ATRN", 4, SMTP_CMD_NONE, F_NOTIMPL },
	{ "BURL", 4, SMTP_CMD_NONE, F_NOTIMPL },
	{ "SEND", 4, SMTP_CMD_NONE, F_NOTIMPL },
	{ "SOML", 4, SMTP_CMD_NONE, F_NOTIMPL },
	{ "SAML", 4, SMTP_CMD_NONE, F_NOTIMPL },
	{ "XCLIENT", 7, SMTP_CMD_NONE, F_NOTIMPL },
	{ "XFORWARD", 8, SMTP_CMD_NONE, F_NOTIMPL },
	{ "GET", 3, SMTP_CMD_NONE, F_KILL },
	{ "POST", 4, SMTP_CMD_NONE, F_KILL },
	{ "PUT", 3, SMTP_CMD_NONE, F_KILL },
	{ "HEAD", 4, SMTP_CMD_NONE, F_KILL },
	{ "CONNECT", 7, SMTP_CMD_NONE, F_KILL },
	{ "OPTIONS", 7, SMTP_CMD_NONE, F_KILL },
	{ "DELETE", 6, SMTP_CMD_NONE, F_KILL },
	{ "USER", 4, SMTP_CMD_NONE, F_KILL },
};

struct smtp_server {
	const struct cfg *cfg;
	const struct smtp_server_ops *ops;
	void *ctx;
	struct iobuf *out;

	uint8_t state;
	uint8_t dstate;
	bool starttls_offered;
	bool tls;
	bool dsn;
	bool no_8bitmime;   /* the next hop lacks 8BITMIME: not announced */
	bool no_smtputf8;   /* ... lacks SMTPUTF8: not announced */
	bool helo_done;
	bool mail;          /* MAIL accepted or pending */
	bool utf8;          /* MAIL had SMTPUTF8 */
	bool data_used;     /* DATA used in this transaction */
	bool bdat_used;     /* BDAT used in this transaction */
	bool bdat_last;
	bool line_ready;    /* a complete command line is held */
	bool line_overflow;
	uint16_t line_len;

	unsigned junk;       /* NOOP/RSET/VRFY/EXPN/HELP since the last message */
	unsigned rcpt_total; /* forwarded or pending */
	unsigned rcpt_ok;    /* answered 2xx */
	bool rcpt_tried;     /* any RCPT forwarded in this transaction */

	/* deferred replies, oldest first */
	uint8_t dq[SMTP_PIPELINE_MAX];
	uint8_t dq_head;
	uint8_t dq_n;

	/* DATA / BDAT */
	int data_status;
	uint32_t text_line;   /* bytes in the current text line */
	uint64_t msg_size;
	uint64_t bdat_left;
	struct smtp_rsp bdat_err; /* reply owed after a discarded chunk */
	bool bdat_discard;
	bool bdat_cr;         /* BDAT content: a CR waits for its LF */

	uint64_t deadline;
	uint64_t max_size;
	unsigned max_rcpt;
	unsigned max_line;
	uint64_t t_cmd, t_data; /* ms */
	uint64_t t_data_total;	/* ms: a whole DATA / all BDAT chunks of a message */
	uint64_t data_t0;	/* when the message's DATA or first BDAT began */

	struct smtp_server_stats st;
	char helo[HELO_NAME_MAX + 1];
	char line[SMTP_CMD_LINE_MAX + 1];
};

/* ------------------------------------------------------------ helpers */

static const char *host(const struct smtp_server *s)
{
	return (s->cfg->hostname && s->cfg->hostname[0]) ? s->cfg->hostname : "smtpdlp";
}

static void emit_raw(struct smtp_server *s, const char *p, size_t n)
{
	if (iobuf_append(s->out, p, n, SMTP_SERVER_OUT_MAX) < 0) {
		/* The client does not read its replies: give up on it. */
		if (s->state != ST_CLOSED) {
			s->state = ST_CLOSED;
			s->ops->close(s->ctx);
		}
	}
}

static void emit(struct smtp_server *s, unsigned code, const char *enh, const char *text)
{
	char buf[SMTP_REPLY_LINE_MAX * 2];
	if (text == NULL)
		text = ""; /* an owner's reply without text */
	size_t n = smtp_reply_format(buf, sizeof(buf), code, enh, text, strlen(text));

	emit_raw(s, buf, n);
}

static void emit_rsp(struct smtp_server *s, const struct smtp_rsp *r)
{
	emit(s, r->code, r->enh, r->text);
}

static void closing(struct smtp_server *s)
{
	if (s->state == ST_CLOSED)
		return;
	s->state = ST_CLOSED;
	s->deadline = UINT64_MAX;
	s->ops->close(s->ctx);
}

static void reset_txn(struct smtp_server *s, bool notify)
{
	bool had = s->mail || s->data_used || s->bdat_used;

	s->mail = false;
	s->data_used = s->bdat_used = false;
	s->rcpt_total = s->rcpt_ok = 0;
	s->rcpt_tried = false;
	s->data_status = 0;
	s->msg_size = 0;
	s->bdat_discard = false;
	s->bdat_cr = false;
	if (notify && had)
		s->ops->rset(s->ctx);
}

/* Count an error; past SMTP_HARD_ERROR_LIMIT the session ends with 421. */
static void count_error(struct smtp_server *s)
{
	if (++s->st.errors >= SMTP_HARD_ERROR_LIMIT) {
		char t[300];
		snprintf(t, sizeof(t), "%s Error: too many errors", host(s));
		emit(s, 421, "4.7.0", t);
		reset_txn(s, true);
		closing(s);
	}
}

/* A 5xx protocol error: count it, maybe end the session. */
static void error_reply(struct smtp_server *s, unsigned code, const char *enh, const char *text)
{
	emit(s, code, enh, text);
	count_error(s);
}

/*
 * A command that moves no mail forward (NOOP, RSET, VRFY, EXPN, HELP): past
 * SMTP_JUNK_LIMIT of them since the last accepted message, each counts as
 * an error as well (Postfix's smtpd_junk_command_limit), so a sender cannot
 * keep a session, and its upstream connection, open forever with a NOOP
 * every few minutes. Called after the command's own reply.
 */
static void junk_command(struct smtp_server *s)
{
	if (++s->junk <= SMTP_JUNK_LIMIT || s->state == ST_CLOSED)
		return;
	count_error(s);
}

static void arm_cmd_timer(struct smtp_server *s, uint64_t now)
{
	s->deadline = (s->dq_n || s->line_ready) ? UINT64_MAX : now + s->t_cmd;
}

static bool dq_push(struct smtp_server *s, uint8_t kind)
{
	if (s->dq_n >= SMTP_PIPELINE_MAX)
		return false;
	s->dq[(s->dq_head + s->dq_n) % SMTP_PIPELINE_MAX] = kind;
	s->dq_n++;
	return true;
}

/* ------------------------------------------------------ path commands */

static bool is_8bit(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return true;
	return false;
}

/* Parse "<path>" at the start of a (after "FROM:"/"TO:"); returns the index
 * just after '>' or 0 on a syntax error. */
static size_t parse_path(const char *a, size_t n, struct smtp_path_cmd *pc)
{
	size_t i = 0;
	bool quoted = false;

	while (i < n && a[i] == ' ')
		i++; /* tolerated: "MAIL FROM: <x>" */
	if (i >= n || a[i] != '<')
		return 0;
	size_t start = ++i;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
		if (quoted) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (c == '"')
				quoted = false;
			continue;
		}
		if (c == '"')
			quoted = true;
		else if (c == '>')
			break;
		else if (c == ' ' || c == '<')
			return 0;
	}
	if (i >= n || quoted)
		return 0;
	if (i - start + 2 > SMTP_PATH_MAX)
		return 0;
	pc->addr = a + start;
	pc->addr_len = i - start;
	return i + 1;
}

static bool keyword_is(const char *k, size_t kl, const char *name)
{
	return strlen(name) == kl && strncasecmp(k, name, kl) == 0;
}

static bool value_is(const char *v, size_t vl, const char *name)
{
	return strlen(name) == vl && strncasecmp(v, name, vl) == 0;
}

/* xtext (RFC 3461 4): printable ASCII except '=' and '+', or "+HH"; at
 * most `max` bytes (ENVID 100, the whole ORCPT value 500). */
static bool xtext_ok(const char *v, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '+') {
			if (i + 2 >= n || !isxdigit((unsigned char)v[i + 1]) ||
			    !isxdigit((unsigned char)v[i + 2]))
				return false;
			i += 2;
			continue;
		}
		if (c < 0x21 || c > 0x7e || c == '=')
			return false;
	}
	return true;
}

/* atom (RFC 5321 4.1.2 / RFC 5322 3.2.3): one or more atext characters.
 * ORCPT's addr-type must be one (RFC 3461 4.2); anything else would be
 * relayed upstream verbatim, control bytes included. */
static bool atom_ok(const char *v, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == 0 || c >= 0x80)
			return false;
		if (!isalnum(c) && strchr("!#$%&'*+-/=?^_`{|}~", c) == NULL)
			return false;
	}
	return true;
}

/*
 * Check the ESMTP parameters of MAIL (mail=true) or RCPT. Returns 0 or fills
 * *rsp and returns -1.
 */
static int check_params(struct smtp_server *s, bool mail, struct smtp_path_cmd *pc,
			struct smtp_rsp *rsp)
{
	const char *p = pc->params;
	size_t n = pc->params_len, i = 0;
	unsigned seen = 0;

	while (i < n) {
		while (i < n && p[i] == ' ')
			i++;
		if (i >= n)
			break;
		size_t ks = i;
		while (i < n && p[i] != ' ' && p[i] != '=')
			i++;
		size_t kl = i - ks;
		const char *k = p + ks, *v = NULL;
		size_t vl = 0;
		if (i < n && p[i] == '=') {
			v = p + ++i;
			while (i < n && p[i] != ' ')
				i++;
			vl = (size_t)(p + i - v);
		}
		unsigned bit;
		if (mail && keyword_is(k, kl, "SIZE")) {
			bit = 1;
			if (v == NULL || vl == 0 || vl > 19)
				goto syntax;
			uint64_t sz = 0;
			for (size_t j = 0; j < vl; j++) {
				if (v[j] < '0' || v[j] > '9')
					goto syntax;
				sz = sz * 10 + (uint64_t)(v[j] - '0');
			}
			if (sz > s->max_size) {
				*rsp = (struct smtp_rsp){ 552, "5.3.4",
					"Error: message size exceeds fixed limit" };
				return -1;
			}
			pc->size = sz;
		} else if (mail && keyword_is(k, kl, "BODY")) {
			bit = 2;
			if (v && value_is(v, vl, "7BIT"))
				pc->body_8bit = false;
			else if (v && value_is(v, vl, "8BITMIME"))
				pc->body_8bit = true;
			else {
				*rsp = (struct smtp_rsp){ 501, "5.5.4",
					"Error: BODY must be 7BIT or 8BITMIME" };
				return -1;
			}
		} else if (mail && keyword_is(k, kl, "SMTPUTF8")) {
			bit = 4;
			if (v)
				goto syntax;
			pc->smtputf8 = true;
		} else if (s->dsn && mail && keyword_is(k, kl, "RET")) {
			bit = 8;
			if (!v || !(value_is(v, vl, "FULL") || value_is(v, vl, "HDRS")))
				goto syntax;
			pc->has_dsn = true;
		} else if (s->dsn && mail && keyword_is(k, kl, "ENVID")) {
			bit = 16;
			if (!v || !xtext_ok(v, vl, 100))
				goto syntax;
			pc->has_dsn = true;
		} else if (s->dsn && !mail && keyword_is(k, kl, "NOTIFY")) {
			bit = 32;
			if (!v || vl == 0)
				goto syntax;
			/* NEVER alone, or a list of SUCCESS FAILURE DELAY */
			size_t j = 0;
			unsigned items = 0;
			bool never = false;
			while (j < vl) {
				size_t e = j;
				while (e < vl && v[e] != ',')
					e++;
				if (value_is(v + j, e - j, "NEVER"))
					never = true;
				else if (!(value_is(v + j, e - j, "SUCCESS") ||
					   value_is(v + j, e - j, "FAILURE") ||
					   value_is(v + j, e - j, "DELAY")))
					goto syntax;
				items++;
				j = e + 1;
			}
			if (never && items > 1)
				goto syntax;
			pc->has_dsn = true;
		} else if (s->dsn && !mail && keyword_is(k, kl, "ORCPT")) {
			bit = 64;
			/* addr-type ";" xtext, at most 500 characters in all */
			const char *semi = v ? memchr(v, ';', vl) : NULL;
			if (!semi || vl > 500 || !atom_ok(v, (size_t)(semi - v)) ||
			    !xtext_ok(semi + 1, vl - (size_t)(semi + 1 - v), 500))
				goto syntax;
			pc->has_dsn = true;
		} else {
			*rsp = (struct smtp_rsp){ 555, "5.5.4",
				"Error: unsupported parameter" };
			return -1;
		}
		if (seen & bit)
			goto syntax;
		seen |= bit;
	}
	return 0;
syntax:
	*rsp = (struct smtp_rsp){ 501, "5.5.4", "Error: bad parameter syntax" };
	return -1;
}

/* ---------------------------------------------------------- commands */

/* True (and the command is held) if replies are owed that this command's
 * reply must follow. */
static bool must_hold(struct smtp_server *s)
{
	return s->dq_n > 0;
}

static void cmd_helo(struct smtp_server *s, bool ehlo, const char *arg, size_t n)
{
	struct smtp_rsp rsp;

	if (must_hold(s)) {
		s->line_ready = true;
		return;
	}
	while (n > 0 && arg[n - 1] == ' ')
		n--;
	if (n == 0 || memchr(arg, ' ', n) != NULL || is_8bit(arg, n)) {
		error_reply(s, 501, "5.5.4", ehlo ? "Syntax: EHLO hostname" : "Syntax: HELO hostname");
		return;
	}
	reset_txn(s, true);
	switch (s->ops->helo(s->ctx, ehlo, arg, n, &rsp)) {
	case SMTP_ACT_HOLD:
		s->line_ready = true;
		return;
	case SMTP_ACT_REPLY:
		emit_rsp(s, &rsp);
		return;
	default:
		break;
	}
	if (n > HELO_NAME_MAX)
		n = HELO_NAME_MAX;
	memcpy(s->helo, arg, n);
	s->helo[n] = '\0';
	s->helo_done = true;
	if (!ehlo) {
		emit(s, 250, NULL, host(s));
		return;
	}
	char t[600];
	int k = snprintf(t, sizeof(t),
		"%s\nPIPELINING\nSIZE %" PRIu64 "%s%s\n"
		"ENHANCEDSTATUSCODES\nCHUNKING%s%s",
		host(s), s->max_size, s->no_8bitmime ? "" : "\n8BITMIME",
		s->no_smtputf8 ? "" : "\nSMTPUTF8",
		(s->starttls_offered && !s->tls) ? "\nSTARTTLS" : "",
		s->dsn ? "\nDSN" : "");
	char buf[800];
	size_t bl = smtp_reply_format(buf, sizeof(buf), 250, NULL, t, (size_t)k);
	emit_raw(s, buf, bl);
}

static void cmd_path(struct smtp_server *s, bool mail, const char *arg, size_t n)
{
	struct smtp_path_cmd pc;
	struct smtp_rsp rsp;
	const char *kw = mail ? "FROM:" : "TO:";
	size_t kl = mail ? 5 : 3;

	memset(&pc, 0, sizeof(pc));
	/* Sequence errors first. Between BDAT chunks only BDAT, or commands
	 * that end the transaction, make sense (RFC 3030 2, 4.2): the
	 * envelope is closed once the message has begun. */
	if (s->bdat_used) {
		rsp = (struct smtp_rsp){ 503, "5.5.1",
			mail ? "Error: MAIL after BDAT" : "Error: RCPT after BDAT" };
		goto err;
	}
	if (mail) {
		if (!s->helo_done) {
			rsp = (struct smtp_rsp){ 503, "5.5.1", "Error: send HELO/EHLO first" };
			goto err;
		}
		if (s->cfg->smtp.require_tls && !s->tls) {
			rsp = (struct smtp_rsp){ 530, "5.7.0", "Must issue a STARTTLS command first" };
			goto err;
		}
		if (s->mail) {
			rsp = (struct smtp_rsp){ 503, "5.5.1", "Error: nested MAIL command" };
			goto err;
		}
	} else if (!s->mail) {
		rsp = (struct smtp_rsp){ 503, "5.5.1", "Error: need MAIL command" };
		goto err;
	}
	if (n < kl || strncasecmp(arg, kw, kl) != 0) {
		rsp = (struct smtp_rsp){ 501, "5.5.4",
			mail ? "Syntax: MAIL FROM:<address>" : "Syntax: RCPT TO:<address>" };
		goto err;
	}
	size_t e = parse_path(arg + kl, n - kl, &pc);
	if (e == 0 || (!mail && pc.addr_len == 0)) {
		rsp = (struct smtp_rsp){ 501, mail ? "5.1.7" : "5.1.3",
			mail ? "Error: bad sender address syntax" : "Error: bad recipient address syntax" };
		goto err;
	}
	const char *rest = arg + kl + e;
	size_t rl = n - kl - e;
	if (rl > 0 && rest[0] != ' ') {
		rsp = (struct smtp_rsp){ 501, "5.5.4", "Error: bad parameter syntax" };
		goto err;
	}
	while (rl > 0 && rest[0] == ' ') {
		rest++;
		rl--;
	}
	while (rl > 0 && rest[rl - 1] == ' ')
		rl--;
	pc.params = rest;
	pc.params_len = rl;
	if (check_params(s, mail, &pc, &rsp) < 0)
		goto err_nocount;
	if (mail && !pc.smtputf8 && is_8bit(pc.addr, pc.addr_len)) {
		rsp = (struct smtp_rsp){ 553, "5.6.7", "Error: address requires SMTPUTF8" };
		goto err_nocount;
	}
	if (!mail && is_8bit(pc.addr, pc.addr_len) && !s->utf8) {
		rsp = (struct smtp_rsp){ 553, "5.6.7", "Error: address requires SMTPUTF8" };
		goto err_nocount;
	}
	if (!mail && s->rcpt_total >= s->max_rcpt) {
		rsp = (struct smtp_rsp){ 452, "4.5.3", "Error: too many recipients" };
		goto err_nocount;
	}
	if (s->dq_n >= SMTP_PIPELINE_MAX) {
		s->line_ready = true;
		return;
	}
	enum smtp_act a = mail ? s->ops->mail(s->ctx, &pc, &rsp) : s->ops->rcpt(s->ctx, &pc, &rsp);
	switch (a) {
	case SMTP_ACT_DEFER:
		dq_push(s, mail ? SMTP_CMD_MAIL : SMTP_CMD_RCPT);
		if (mail) {
			s->mail = true;
			s->utf8 = pc.smtputf8;
		} else {
			s->rcpt_total++;
			s->rcpt_tried = true;
		}
		return;
	case SMTP_ACT_HOLD:
		s->line_ready = true;
		return;
	case SMTP_ACT_REPLY:
		if (must_hold(s)) {
			s->line_ready = true;
			return;
		}
		emit_rsp(s, &rsp);
		return;
	case SMTP_ACT_OK:
	default:
		/* The owner must defer or reply; OK is a programming error. */
		if (must_hold(s)) {
			s->line_ready = true;
			return;
		}
		emit(s, 451, "4.3.0", "Error: internal error");
		return;
	}
err:
	if (must_hold(s)) {
		s->line_ready = true;
		return;
	}
	error_reply(s, rsp.code, rsp.enh, rsp.text);
	return;
err_nocount:
	if (must_hold(s)) {
		s->line_ready = true;
		return;
	}
	emit_rsp(s, &rsp);
}

static size_t bdat_input(struct smtp_server *s, const uint8_t *p, size_t n, uint64_t now);

/* Sequence check shared by DATA and the first BDAT. */
static bool data_sequence_ok(struct smtp_server *s, struct smtp_rsp *rsp)
{
	if (!s->mail) {
		*rsp = (struct smtp_rsp){ 503, "5.5.1", "Error: need MAIL command" };
		return false;
	}
	if (!s->rcpt_tried) {
		*rsp = (struct smtp_rsp){ 503, "5.5.1", "Error: need RCPT command" };
		return false;
	}
	if (s->rcpt_ok == 0) {
		*rsp = (struct smtp_rsp){ 554, "5.5.1", "Error: no valid recipients" };
		return false;
	}
	return true;
}

/* Inside DATA / BDAT: timeouts.data of silence, and the message's whole
 * transfer within timeouts.data_total (slowloris: a byte every few minutes
 * keeps the idle timer happy, not this one). */
static uint64_t data_deadline(const struct smtp_server *s, uint64_t now)
{
	uint64_t idle = now + s->t_data, total = s->data_t0 + s->t_data_total;
	return idle < total ? idle : total;
}

static void cmd_data(struct smtp_server *s, uint64_t now)
{
	struct smtp_rsp rsp;

	if (must_hold(s)) {
		s->line_ready = true;
		return;
	}
	if (s->bdat_used) {
		error_reply(s, 503, "5.5.1", "Error: DATA after BDAT");
		return;
	}
	if (!data_sequence_ok(s, &rsp)) {
		error_reply(s, rsp.code, rsp.enh, rsp.text);
		return;
	}
	switch (s->ops->data_begin(s->ctx, false, &rsp)) {
	case SMTP_ACT_HOLD:
		s->line_ready = true;
		return;
	case SMTP_ACT_REPLY:
		emit_rsp(s, &rsp);
		return;
	default:
		break;
	}
	s->data_used = true;
	s->state = ST_DATA;
	s->dstate = D_BOL;
	s->text_line = 0;
	s->msg_size = 0;
	s->data_status = 0;
	s->data_t0 = now;
	s->deadline = data_deadline(s, now);
	emit(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
}

/* "BDAT 0": the chunk completes at once; never a NULL data pointer. */
static const uint8_t bdat_empty[1];

static void cmd_bdat(struct smtp_server *s, const char *arg, size_t n, uint64_t now)
{
	struct smtp_rsp rsp;
	uint64_t size = 0;
	size_t i = 0;
	bool last = false;

	while (i < n && arg[i] >= '0' && arg[i] <= '9' && i < 19) {
		size = size * 10 + (uint64_t)(arg[i] - '0');
		i++;
	}
	if (i == 0 || (i < n && arg[i] != ' ')) {
		/* Without a valid size we cannot stay in sync: end the session. */
		emit(s, 501, "5.5.4", "Syntax: BDAT size [LAST]");
		reset_txn(s, true);
		closing(s);
		return;
	}
	while (i < n && arg[i] == ' ')
		i++;
	if (i < n) {
		size_t e = n;
		while (e > i && arg[e - 1] == ' ')
			e--;
		if (e - i == 4 && strncasecmp(arg + i, "LAST", 4) == 0) {
			last = true;
		} else {
			emit(s, 501, "5.5.4", "Syntax: BDAT size [LAST]");
			reset_txn(s, true);
			closing(s);
			return;
		}
	}
	if (must_hold(s)) {
		s->line_ready = true;
		return;
	}
	s->bdat_left = size;
	s->bdat_last = last;
	s->bdat_discard = false;
	if (!s->bdat_used) {
		if (s->data_used) {
			rsp = (struct smtp_rsp){ 503, "5.5.1", "Error: BDAT after DATA" };
			goto discard;
		}
		if (!data_sequence_ok(s, &rsp))
			goto discard;
		switch (s->ops->data_begin(s->ctx, true, &rsp)) {
		case SMTP_ACT_HOLD:
			s->line_ready = true;
			return;
		case SMTP_ACT_REPLY:
			goto discard;
		default:
			break;
		}
		s->bdat_used = true;
		s->msg_size = 0;
		s->data_status = 0;
		s->data_t0 = now;
	}
	s->state = ST_BDAT;
	s->deadline = data_deadline(s, now);
	if (size == 0)
		bdat_input(s, bdat_empty, 0, now);
	return;
discard:
	/* RFC 3030 3: the chunk is read and thrown away, then answered. */
	s->bdat_err = rsp;
	s->bdat_discard = true;
	s->state = ST_BDAT;
	if (!s->bdat_used)
		s->data_t0 = now; /* no message: this chunk alone */
	s->deadline = data_deadline(s, now);
	if (size == 0)
		bdat_input(s, bdat_empty, 0, now);
}

static void cmd_starttls(struct smtp_server *s)
{
	if (must_hold(s)) {
		s->line_ready = true;
		return;
	}
	if (s->tls) {
		error_reply(s, 554, "5.5.1", "Error: TLS already active");
		return;
	}
	if (!s->starttls_offered) {
		s->st.unknown_cmds++;
		error_reply(s, 502, "5.5.1", "Error: command not implemented");
		return;
	}
	reset_txn(s, true);
	emit(s, 220, "2.0.0", "Ready to start TLS");
	s->state = ST_TLS;
	s->deadline = UINT64_MAX;
	s->ops->starttls(s->ctx);
}

static void goodbye_rule_breaker(struct smtp_server *s)
{
	s->st.refused_headers++;
	emit(s, 221, "2.7.0", "Error: I can break rules, too. Goodbye.");
	reset_txn(s, true);
	closing(s);
}

/* One complete command line in s->line (without CRLF). */
static void process_line(struct smtp_server *s, uint64_t now)
{
	const char *l = s->line;
	size_t n = s->line_len;

	s->line_ready = false;
	size_t vl = 0;
	while (vl < n && l[vl] != ' ')
		vl++;
	const struct cmd_def *d = NULL;
	for (size_t i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++) {
		if (cmd_table[i].len == vl && strncasecmp(l, cmd_table[i].name, vl) == 0) {
			d = &cmd_table[i];
			break;
		}
	}
	const char *arg = l + vl;
	size_t al = n - vl;
	while (al > 0 && arg[0] == ' ') {
		arg++;
		al--;
	}
	/* While replies are owed only a well-formed MAIL/RCPT goes on (it is
	 * forwarded and its reply queues up behind them); everything else,
	 * errors and goodbyes included, waits so that replies leave in
	 * command order and rset() never runs with a reply owed. */
	if (must_hold(s) && (s->line_overflow || memchr(l, '\0', n) != NULL || d == NULL ||
			     !(d->flags & F_PIPE) || al == 0)) {
		s->line_ready = true;
		return;
	}
	if (s->line_overflow) {
		s->line_overflow = false;
		s->st.long_lines++;
		error_reply(s, 500, "5.5.2", "Error: line too long");
		return;
	}
	if (memchr(l, '\0', n)) {
		s->st.unknown_cmds++;
		error_reply(s, 500, "5.5.2", "Error: NUL character in command");
		return;
	}
	/* Header-looking ("Subject: x", "From:") or not even a word. */
	if (memchr(l, ':', vl) != NULL ||
	    (vl > 0 && !((l[0] >= 'A' && l[0] <= 'Z') || (l[0] >= 'a' && l[0] <= 'z')))) {
		goodbye_rule_breaker(s);
		return;
	}
	if (d == NULL) {
		s->st.unknown_cmds++;
		error_reply(s, 500, "5.5.2", "Error: command not recognized");
		return;
	}
	if (d->flags & F_KILL) {
		goodbye_rule_breaker(s);
		return;
	}
	if (d->flags & F_NOTIMPL) {
		s->st.unknown_cmds++;
		error_reply(s, 502, "5.5.1", "Error: command not implemented");
		return;
	}
	if ((d->flags & F_NOARG) && al > 0) {
		char t[64];
		snprintf(t, sizeof(t), "Syntax: %s", d->name);
		error_reply(s, 501, "5.5.4", t);
		return;
	}
	if ((d->flags & F_ARG) && al == 0 && d->id != SMTP_CMD_EHLO && d->id != SMTP_CMD_HELO) {
		char t[64];
		snprintf(t, sizeof(t), "Syntax: %s requires an argument", d->name);
		error_reply(s, 501, "5.5.4", t);
		return;
	}
	switch (d->id) {
	case SMTP_CMD_EHLO:
	case SMTP_CMD_HELO:
		cmd_helo(s, d->id == SMTP_CMD_EHLO, arg, al);
		break;
	case SMTP_CMD_MAIL:
	case SMTP_CMD_RCPT:
		cmd_path(s, d->id == SMTP_CMD_MAIL, arg, al);
		break;
	case SMTP_CMD_DATA:
		cmd_data(s, now);
		break;
	case SMTP_CMD_BDAT:
		cmd_bdat(s, arg, al, now);
		break;
	case SMTP_CMD_RSET:
		reset_txn(s, true);
		emit(s, 250, "2.0.0", "Ok");
		junk_command(s);
		break;
	case SMTP_CMD_NOOP:
		emit(s, 250, "2.0.0", "Ok");
		junk_command(s);
		break;
	case SMTP_CMD_HELP:
		emit(s, 214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP STARTTLS");
		junk_command(s);
		break;
	case SMTP_CMD_VRFY:
		emit(s, 502, "5.5.1", "VRFY command is disabled");
		junk_command(s);
		break;
	case SMTP_CMD_EXPN:
		emit(s, 502, "5.5.1", "EXPN command is disabled");
		junk_command(s);
		break;
	case SMTP_CMD_QUIT:
		emit(s, 221, "2.0.0", "Bye");
		reset_txn(s, true);
		closing(s);
		break;
	case SMTP_CMD_STARTTLS:
		cmd_starttls(s);
		break;
	default:
		break;
	}
}

/* Collect a command line; returns bytes consumed. A complete line is
 * processed right away. */
static size_t take_line(struct smtp_server *s, const uint8_t *p, size_t n, uint64_t now)
{
	const uint8_t *lf = memchr(p, '\n', n);
	size_t take = lf ? (size_t)(lf - p) : n;

	if (!s->line_overflow) {
		if ((size_t)s->line_len + take > SMTP_CMD_LINE_MAX - 1) {
			s->line_overflow = true; /* skip to LF; never grow */
		} else {
			memcpy(s->line + s->line_len, p, take);
			s->line_len = (uint16_t)(s->line_len + take);
		}
	}
	if (lf == NULL)
		return n;
	/* Line complete: drop the CR of CRLF (a bare LF line end is tolerated
	 * for commands; DATA framing is strict). */
	if (!s->line_overflow && s->line_len > 0 && s->line[s->line_len - 1] == '\r')
		s->line_len--;
	process_line(s, now);
	if (!s->line_ready)
		s->line_len = 0;
	if (s->state == ST_CMD)
		arm_cmd_timer(s, now);
	return take + 1;
}

/* ------------------------------------------------------------- DATA */

/* Message bytes to the owner; n may be 0 (nothing happens), p never NULL. */
static void deliver(struct smtp_server *s, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	s->msg_size += n;
	if (s->data_status != 0)
		return;
	if (s->msg_size > s->max_size) {
		s->data_status = -EFBIG;
		return;
	}
	int rc = s->ops->data(s->ctx, p, n);
	if (rc < 0)
		s->data_status = rc;
}

static void text_line_add(struct smtp_server *s, size_t n)
{
	s->text_line += (uint32_t)n;
	if (s->text_line + 2 > s->max_line && s->data_status == 0)
		s->data_status = -EMSGSIZE;
}

static void end_of_data(struct smtp_server *s, uint64_t now)
{
	struct smtp_rsp rsp = { 0, NULL, NULL };
	int status = s->data_status;

	s->st.messages++;
	s->state = ST_CMD;
	enum smtp_act a = s->ops->data_end(s->ctx, status, &rsp);
	if (status == 0 && a == SMTP_ACT_DEFER) {
		dq_push(s, SMTP_CMD_EOD);
		s->state = ST_WAIT_EOD;
		s->deadline = UINT64_MAX;
		return;
	}
	if (a != SMTP_ACT_REPLY) {
		if (status == -EFBIG)
			rsp = (struct smtp_rsp){ 552, "5.3.4", "Error: message file too big" };
		else if (status == -EMSGSIZE)
			rsp = (struct smtp_rsp){ 550, "5.6.0", "Error: message has a text line that is too long" };
		else if (status == -EBADMSG)
			rsp = (struct smtp_rsp){ 550, "5.6.0", "Error: bare <CR> or <LF> in message" };
		else
			rsp = (struct smtp_rsp){ 451, "4.3.0", "Error: internal resource failure, try again later" };
	}
	if (smtp_reply_ok(rsp.code))
		s->junk = 0;
	emit_rsp(s, &rsp);
	reset_txn(s, false);
	arm_cmd_timer(s, now);
}

/* Bare LF or bare CR inside DATA. Returns false if the session ends. */
static bool bare_eol(struct smtp_server *s, bool lf)
{
	s->st.bare_lf++;
	if (s->cfg->smtp.bare_lf == CFG_BARE_LF_NORMALIZE) {
		deliver(s, (const uint8_t *)"\r\n", 2);
		s->text_line = 0;
		s->dstate = D_TEXT; /* never a line start for "." */
		return true;
	}
	char t[300];
	snprintf(t, sizeof(t), "%s Error: bare <%s> received", host(s), lf ? "LF" : "CR");
	emit(s, 521, "5.5.2", t);
	s->state = ST_CMD;
	reset_txn(s, true);
	closing(s);
	return false;
}

static size_t data_input(struct smtp_server *s, const uint8_t *p, size_t n, uint64_t now)
{
	size_t i = 0;

	while (i < n) {
		switch (s->dstate) {
		case D_TEXT: {
			size_t st = i;
			/* the next CR, and any LF before it (a bare LF) */
			const uint8_t *cr = memchr(p + i, '\r', n - i);
			size_t lim = cr ? (size_t)(cr - p) : n;
			const uint8_t *lf = memchr(p + i, '\n', lim - i);
			i = lf ? (size_t)(lf - p) : lim;
			deliver(s, p + st, i - st);
			text_line_add(s, i - st);
			if (i == n)
				return n;
			if (p[i] == '\r') {
				s->dstate = D_CR;
				i++;
			} else {
				i++;
				if (!bare_eol(s, true))
					return n;
			}
			break;
		}
		case D_BOL:
			if (p[i] == '.') {
				s->dstate = D_DOT;
				i++;
			} else {
				s->dstate = D_TEXT;
			}
			break;
		case D_CR:
			if (p[i] == '\n') {
				deliver(s, (const uint8_t *)"\r\n", 2);
				s->text_line = 0;
				s->dstate = D_BOL;
				i++;
			} else {
				/* bare CR; the byte is processed as text next */
				if (!bare_eol(s, false))
					return n;
			}
			break;
		case D_DOT:
			if (p[i] == '\r') {
				s->dstate = D_DOTCR;
				i++;
			} else if (p[i] == '\n') {
				/* ".<LF>": not an end; keep the dot literally */
				deliver(s, (const uint8_t *)".", 1);
				i++;
				if (!bare_eol(s, true))
					return n;
			} else {
				/* dot-unstuffing: the leading dot is dropped, and
				 * not counted against the line limit (RFC 5321
				 * 4.5.3.1.6: a legal 998-byte line starting with
				 * "." is 999 bytes on the wire) */
				s->dstate = D_TEXT;
			}
			break;
		case D_DOTCR:
			if (p[i] == '\n') {
				i++;
				end_of_data(s, now);
				return i;
			}
			/* ".<CR>x": bare CR after a dot; keep the dot */
			deliver(s, (const uint8_t *)".", 1);
			if (!bare_eol(s, false))
				return n;
			break;
		}
	}
	return i;
}

/* A bare CR or LF inside BDAT content: the same policy as in DATA, except
 * that rejecting does not end the session (BDAT framing stays in sync). */
static void bdat_bare(struct smtp_server *s)
{
	s->st.bare_lf++;
	if (s->cfg->smtp.bare_lf == CFG_BARE_LF_NORMALIZE)
		deliver(s, (const uint8_t *)"\r\n", 2);
	else if (s->data_status == 0)
		s->data_status = -EBADMSG;
}

/* BDAT content: lines must end in CRLF, so that what is relayed can never
 * be read differently by the next hop (no bare line ends, no smuggling). */
static void bdat_deliver(struct smtp_server *s, const uint8_t *p, size_t n)
{
	size_t st = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (s->bdat_cr) {
			s->bdat_cr = false;
			if (c == '\n') {
				deliver(s, (const uint8_t *)"\r\n", 2);
				st = i + 1;
				continue;
			}
			bdat_bare(s);
		}
		if (c == '\r' || c == '\n') {
			if (i > st)
				deliver(s, p + st, i - st);
			st = i + 1;
			if (c == '\r')
				s->bdat_cr = true;
			else
				bdat_bare(s);
		}
	}
	if (n > st)
		deliver(s, p + st, n - st);
}

static size_t bdat_input(struct smtp_server *s, const uint8_t *p, size_t n, uint64_t now)
{
	size_t k = n;

	if ((uint64_t)k > s->bdat_left)
		k = (size_t)s->bdat_left;
	if (k > 0 && !s->bdat_discard)
		bdat_deliver(s, p, k);
	s->bdat_left -= k;
	if (s->bdat_left > 0)
		return k;
	if (s->bdat_last && s->bdat_cr) {
		s->bdat_cr = false;
		bdat_bare(s); /* the message ended in a bare CR */
	}
	/* chunk complete */
	s->state = ST_CMD;
	if (s->bdat_discard) {
		s->bdat_discard = false;
		if (s->bdat_err.code >= 500)
			error_reply(s, s->bdat_err.code, s->bdat_err.enh, s->bdat_err.text);
		else
			emit_rsp(s, &s->bdat_err);
		if (s->bdat_last)
			reset_txn(s, true);
		arm_cmd_timer(s, now);
		return k;
	}
	if (s->bdat_last) {
		end_of_data(s, now);
		return k;
	}
	if (s->data_status == -EFBIG) {
		emit(s, 552, "5.3.4", "Error: message file too big");
	} else if (s->data_status < 0) {
		emit(s, 451, "4.3.0", "Error: internal resource failure, try again later");
	} else {
		char t[64];
		snprintf(t, sizeof(t), "Ok: %" PRIu64 " octets received", s->msg_size);
		emit(s, 250, "2.0.0", t);
	}
	arm_cmd_timer(s, now);
	return k;
}

/* --------------------------------------------------------------- API */

struct smtp_server *smtp_server_create(const struct smtp_server_params *p)
{
	if (p == NULL || p->cfg == NULL || p->ops == NULL || p->out == NULL) {
		errno = EINVAL;
		return NULL;
	}
	struct smtp_server *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	const struct cfg_smtp *c = &p->cfg->smtp;
	s->cfg = p->cfg;
	s->ops = p->ops;
	s->ctx = p->ctx;
	s->out = p->out;
	s->starttls_offered = p->starttls_offered;
	s->tls = p->tls_active;
	s->max_size = c->max_message_size ? c->max_message_size : 52428800u;
	s->max_rcpt = c->max_recipients ? c->max_recipients : 1000u;
	s->max_line = c->max_line_length ? c->max_line_length : 1000u;
	s->t_cmd = (uint64_t)(c->timeouts.command ? c->timeouts.command : 300) * 1000u;
	s->t_data = (uint64_t)(c->timeouts.data ? c->timeouts.data : 600) * 1000u;
	s->t_data_total = (uint64_t)(c->timeouts.data_total ? c->timeouts.data_total : 3600) * 1000u;
	s->deadline = UINT64_MAX;
	s->state = ST_INIT;
	return s;
}

void smtp_server_destroy(struct smtp_server *s)
{
	free(s);
}

void smtp_server_greet(struct smtp_server *s, uint64_t now)
{
	char t[300];

	if (s->state != ST_INIT)
		return;
	snprintf(t, sizeof(t), "%s ESMTP", host(s));
	emit(s, 220, NULL, t);
	s->state = ST_CMD;
	arm_cmd_timer(s, now);
}

size_t smtp_server_feed(struct smtp_server *s, const uint8_t *data, size_t len, uint64_t now)
{
	size_t i = 0;

	/* timeouts.data is the longest silence inside DATA / BDAT, as in RFC
	 * 5321 4.5.3.2 and Postfix's smtpd_timeout: a 50 MB message on a slow
	 * link must get through; timeouts.data_total bounds the whole of it */
	if (len > 0 && (s->state == ST_DATA || s->state == ST_BDAT))
		s->deadline = data_deadline(s, now);
	while (i < len) {
		if (s->line_ready)
			return i;
		switch (s->state) {
		case ST_CMD:
			i += take_line(s, data + i, len - i, now);
			break;
		case ST_DATA:
			i += data_input(s, data + i, len - i, now);
			break;
		case ST_BDAT:
			i += bdat_input(s, data + i, len - i, now);
			break;
		case ST_TLS:
			/* pipelined after STARTTLS: injection, thrown away */
			s->st.starttls_discarded += (uint32_t)(len - i);
			return len;
		case ST_CLOSED:
			return len;
		case ST_INIT:
		case ST_WAIT_EOD:
		default:
			return i;
		}
	}
	return i;
}

/* True when nothing is held any more, as smtp_server_held() sees it: a
 * resumed "BDAT 0 LAST" may leave the server waiting for its final reply. */
bool smtp_server_resume(struct smtp_server *s, uint64_t now)
{
	if (!s->line_ready)
		return !smtp_server_held(s);
	if (s->state != ST_CMD)
		return false;
	process_line(s, now);
	if (!s->line_ready) {
		s->line_len = 0;
		if (s->state == ST_CMD)
			arm_cmd_timer(s, now);
	}
	return !smtp_server_held(s);
}

bool smtp_server_held(const struct smtp_server *s)
{
	return s->line_ready || s->state == ST_WAIT_EOD;
}

static int complete(struct smtp_server *s, unsigned code, const char *wire, size_t wl,
		    uint64_t now)
{
	if (s->dq_n == 0)
		return -EINVAL;
	uint8_t kind = s->dq[s->dq_head];
	s->dq_head = (uint8_t)((s->dq_head + 1) % SMTP_PIPELINE_MAX);
	s->dq_n--;
	emit_raw(s, wire, wl);
	switch (kind) {
	case SMTP_CMD_MAIL:
		if (!smtp_reply_ok(code)) {
			s->mail = false;
			s->rcpt_total = s->rcpt_ok = 0;
		}
		break;
	case SMTP_CMD_RCPT:
		if (smtp_reply_ok(code))
			s->rcpt_ok++;
		else if (s->rcpt_total > 0)
			s->rcpt_total--;
		break;
	case SMTP_CMD_EOD:
		if (smtp_reply_ok(code))
			s->junk = 0; /* mail moved: the junk allowance starts again */
		reset_txn(s, false);
		if (s->state == ST_WAIT_EOD)
			s->state = ST_CMD;
		break;
	default:
		break;
	}
	if (s->state == ST_CMD)
		arm_cmd_timer(s, now);
	return 0;
}

int smtp_server_complete(struct smtp_server *s, const struct smtp_reply *r, uint64_t now)
{
	char buf[SMTP_REPLY_WRITE_MAX];
	size_t n = smtp_reply_write(r, buf, sizeof(buf));

	if (n == 0)
		n = smtp_reply_format(buf, sizeof(buf), r->code, NULL, "", 0);
	return complete(s, r->code, buf, n, now);
}

int smtp_server_complete_rsp(struct smtp_server *s, const struct smtp_rsp *r, uint64_t now)
{
	char buf[SMTP_REPLY_LINE_MAX * 2];
	size_t n = smtp_reply_format(buf, sizeof(buf), r->code, r->enh,
				     r->text ? r->text : "", r->text ? strlen(r->text) : 0);

	return complete(s, r->code, buf, n, now);
}

enum smtp_cmd smtp_server_deferred_head(const struct smtp_server *s)
{
	return s->dq_n ? (enum smtp_cmd)s->dq[s->dq_head] : SMTP_CMD_NONE;
}

unsigned smtp_server_deferred_count(const struct smtp_server *s)
{
	return s->dq_n;
}

void smtp_server_tls_started(struct smtp_server *s, uint64_t now)
{
	s->tls = true;
	s->helo_done = false;
	s->helo[0] = '\0';
	reset_txn(s, false);
	s->line_len = 0;
	s->line_ready = false;
	s->line_overflow = false;
	if (s->state == ST_TLS)
		s->state = ST_CMD;
	if (s->state == ST_CMD)
		arm_cmd_timer(s, now);
}

void smtp_server_set_dsn(struct smtp_server *s, bool dsn)
{
	s->dsn = dsn;
}

void smtp_server_set_next_hop(struct smtp_server *s, bool dsn, bool eightbitmime, bool smtputf8)
{
	s->dsn = dsn;
	s->no_8bitmime = !eightbitmime;
	s->no_smtputf8 = !smtputf8;
}

void smtp_server_shutdown(struct smtp_server *s, const char *enh, const char *text)
{
	char t[400];

	if (s->state == ST_CLOSED)
		return;
	snprintf(t, sizeof(t), "%s %s", host(s), text);
	emit(s, 421, enh, t);
	reset_txn(s, true);
	closing(s);
}

uint64_t smtp_server_next_timeout(const struct smtp_server *s)
{
	return s->deadline;
}

void smtp_server_timer(struct smtp_server *s, uint64_t now)
{
	if (s->deadline == UINT64_MAX || now < s->deadline || s->state == ST_CLOSED)
		return;
	s->dq_n = 0; /* nothing deferred can be pending with a live timer */
	smtp_server_shutdown(s, "4.4.2", "Error: timeout exceeded");
}

size_t smtp_server_memory(const struct smtp_server *s)
{
	return sizeof(*s);
}

bool smtp_server_closing(const struct smtp_server *s)
{
	return s->state == ST_CLOSED;
}

bool smtp_server_in_data(const struct smtp_server *s)
{
	return s->state == ST_DATA || s->state == ST_BDAT;
}

const char *smtp_server_helo_name(const struct smtp_server *s)
{
	return s->helo;
}

const struct smtp_server_stats *smtp_server_stats(const struct smtp_server *s)
{
	return &s->st;
}
