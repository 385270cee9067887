/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_smtp_server.c — the sans-IO SMTP server alone, with a recording ops
 * double: DATA framing and dot-unstuffing fed at every split point (table of
 * inputs -> exact message bytes and the bytes left after the terminator),
 * the hold/resume pipelining contract, deferred replies in order, BDAT
 * chunk accounting, STARTTLS discard, timers; lines refused at once still
 * wait for owed pipelined replies, ORCPT syntax, the envelope closed
 * between BDAT chunks, empty chunks, the text line limit without the
 * stuffing dot (each table fed at every split point), the junk command
 * allowance.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/msgbuf.h"
#include "app/smtp_server.h"
#include "config/cfg.h"

struct rec {
	struct iobuf msg;     /* data() bytes */
	int data_end_status;
	int n_data_end, n_rset, n_close, n_starttls, n_mail, n_rcpt;
	enum smtp_act mail_act, rcpt_act, helo_act;
	enum smtp_act data_begin_act; /* OK unless a test says otherwise */
	bool data_end_defer;          /* data_end() defers the final reply */
};

static enum smtp_act r_helo(void *ctx, bool ehlo, const char *n, size_t l, struct smtp_rsp *rsp)
{
	return ((struct rec *)ctx)->helo_act;
}
static enum smtp_act r_mail(void *ctx, const struct smtp_path_cmd *m, struct smtp_rsp *rsp)
{
	struct rec *r = ctx;
	if (r->mail_act == SMTP_ACT_DEFER)
		r->n_mail++;
	return r->mail_act;
}
static enum smtp_act r_rcpt(void *ctx, const struct smtp_path_cmd *m, struct smtp_rsp *rsp)
{
	struct rec *r = ctx;
	if (r->rcpt_act == SMTP_ACT_DEFER)
		r->n_rcpt++;
	return r->rcpt_act;
}
static enum smtp_act r_data_begin(void *ctx, bool bdat, struct smtp_rsp *rsp)
{
	return ((struct rec *)ctx)->data_begin_act;
}
static int r_data(void *ctx, const uint8_t *p, size_t n)
{
	return iobuf_append(&((struct rec *)ctx)->msg, p, n, 1u << 24);
}
static enum smtp_act r_data_end(void *ctx, int status, struct smtp_rsp *rsp)
{
	struct rec *r = ctx;
	r->n_data_end++;
	r->data_end_status = status;
	if (r->data_end_defer && status == 0)
		return SMTP_ACT_DEFER;
	*rsp = (struct smtp_rsp){ 250, "2.0.0", "Ok: test" };
	return SMTP_ACT_REPLY;
}
static void r_rset(void *ctx)
{
	((struct rec *)ctx)->n_rset++;
}
static void r_starttls(void *ctx)
{
	((struct rec *)ctx)->n_starttls++;
}
static void r_close(void *ctx)
{
	((struct rec *)ctx)->n_close++;
}

static const struct smtp_server_ops rops = {
	r_helo, r_mail, r_rcpt, r_data_begin, r_data, r_data_end, r_rset, r_starttls, r_close,
};

static struct cfg cfg;

struct srv {
	struct smtp_server *s;
	struct iobuf out;
	struct rec r;
};

static void srv_init(struct srv *v, bool starttls)
{
	memset(v, 0, sizeof(*v));
	memset(&cfg, 0, sizeof(cfg));
	cfg.hostname = "mx.test";
	cfg.smtp.max_message_size = 1 << 20;
	cfg.smtp.max_recipients = 3;
	cfg.smtp.max_line_length = 1000;
	v->r.mail_act = v->r.rcpt_act = SMTP_ACT_DEFER;
	v->r.helo_act = SMTP_ACT_OK;
	struct smtp_server_params p = { &cfg, &rops, &v->r, &v->out, starttls, false };
	v->s = smtp_server_create(&p);
	ck_assert_ptr_nonnull(v->s);
	smtp_server_greet(v->s, 0);
}

static void srv_free(struct srv *v)
{
	smtp_server_destroy(v->s);
	iobuf_free(&v->out);
	iobuf_free(&v->r.msg);
}

static size_t feed(struct srv *v, const char *d, size_t n)
{
	return smtp_server_feed(v->s, (const uint8_t *)d, n, 0);
}

static void complete(struct srv *v, unsigned code)
{
	struct smtp_rsp r = { (uint16_t)code, NULL, "x" };
	ck_assert_int_eq(smtp_server_complete_rsp(v->s, &r, 0), 0);
}

/* Bring the server to "in DATA". */
static void to_data(struct srv *v)
{
	const char *pre = "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n";
	ck_assert_uint_eq(feed(v, pre, strlen(pre)), strlen(pre));
	complete(v, 250);
	complete(v, 250);
	ck_assert_uint_eq(feed(v, "DATA\r\n", 6), 6);
	ck_assert(smtp_server_in_data(v->s));
}

struct dcase {
	const char *in;   /* after DATA */
	const char *msg;  /* bytes delivered */
	size_t rest;      /* bytes after the terminator not consumed */
	bool ends;
};

static const struct dcase dcases[] = {
	{ "a\r\n.\r\n", "a\r\n", 0, true },
	{ ".\r\n", "", 0, true },
	{ "..\r\n.\r\n", ".\r\n", 0, true },
	{ "...x\r\n.\r\n", "..x\r\n", 0, true },
	{ "a\r\n.b\r\n.\r\n", "a\r\nb\r\n", 0, true },
	{ "a\r\n.\r\nNOOP\r\n", "a\r\n", 0, true }, /* answered at once: NOOP parsed too */
	{ "a\r\n\r\n.\r\n", "a\r\n\r\n", 0, true },
	{ "a\r\n. \r\n.\r\n", "a\r\n \r\n", 0, true },
	{ "a\r\n.\r", "a\r\n", 0, false },
	{ "line\r\n", "line\r\n", 0, false },
	{ "x.\r\n.\r\n", "x.\r\n", 0, true },
};

START_TEST(test_data_every_split)
{
	const struct dcase *c = &dcases[_i];
	size_t len = strlen(c->in);
	for (size_t k = 0; k <= len; k++) {
		struct srv v;
		srv_init(&v, false);
		to_data(&v);
		size_t a = feed(&v, c->in, k);
		size_t b = a == k ? feed(&v, c->in + k, len - k) : 0;
		size_t used = a + b;
		ck_assert_msg(used == len - c->rest, "case %d split %zu used %zu", _i, k, used);
		ck_assert_uint_eq(iobuf_used(&v.r.msg), strlen(c->msg));
		if (c->msg[0])
			ck_assert(memcmp(iobuf_head(&v.r.msg), c->msg, strlen(c->msg)) == 0);
		ck_assert_int_eq(v.r.n_data_end, c->ends ? 1 : 0);
		if (c->ends)
			ck_assert_int_eq(v.r.data_end_status, 0);
		srv_free(&v);
	}
}
END_TEST

/* The text line limit (1000 with CRLF) does not count the dot added for
 * transparency (RFC 5321 4.5.3.1.6): a 998-byte line that starts with "."
 * is 999 bytes on the wire and legal; one byte more is too long. Each
 * input is fed at every split point. */
static const struct {
	size_t len; /* line length before stuffing */
	bool dot;   /* the line starts with "." (stuffed on the wire) */
	int status; /* data_end() status */
} lcases[] = {
	{ 998, false, 0 }, { 998, true, 0 }, { 999, false, -EMSGSIZE }, { 999, true, -EMSGSIZE },
	{ 1, true, 0 },
};

START_TEST(test_line_limit_stuffing_dot)
{
	static char in[2100];
	size_t n = 0, len = lcases[_i].len;

	if (lcases[_i].dot)
		in[n++] = '.';
	for (size_t k = 0; k < len; k++)
		in[n++] = (k == 0 && lcases[_i].dot) ? '.' : 'x';
	memcpy(in + n, "\r\n.\r\n", 5);
	n += 5;
	for (size_t cut = 0; cut <= n; cut++) {
		struct srv v;
		srv_init(&v, false);
		to_data(&v);
		ck_assert_uint_eq(feed(&v, in, cut) + feed(&v, in + cut, n - cut), n);
		ck_assert_int_eq(v.r.n_data_end, 1);
		ck_assert_msg(v.r.data_end_status == lcases[_i].status, "len %zu dot %d cut %zu: %d",
			      len, lcases[_i].dot, cut, v.r.data_end_status);
		if (lcases[_i].status == 0)
			ck_assert_uint_eq(iobuf_used(&v.r.msg), len + 2);
		srv_free(&v);
	}
}
END_TEST

/* NOOP, RSET, VRFY, EXPN, HELP: 100 are free; after that each also counts
 * as an error, and the 20th error ends the session with 421 (Postfix's
 * smtpd_junk_command_limit). An accepted message starts the allowance
 * again, so a client that sends RSET between its many messages is fine. */
static unsigned count_code(struct srv *v, const char *code)
{
	unsigned n = 0;
	const char *p = (const char *)iobuf_head(&v->out), *e = p + iobuf_used(&v->out);
	for (; p < e; p++)
		if ((p == (const char *)iobuf_head(&v->out) || p[-1] == '\n') && e - p >= 4 &&
		    memcmp(p, code, 3) == 0 && p[3] == ' ')
			n++;
	return n;
}

START_TEST(test_junk_commands)
{
	static const char *junk[] = { "NOOP\r\n", "RSET\r\n", "VRFY x\r\n", "HELP\r\n" };
	struct srv v;

	srv_init(&v, false);
	ck_assert_uint_eq(feed(&v, "EHLO c\r\n", 8), 8);
	for (unsigned i = 0; i < SMTP_JUNK_LIMIT + SMTP_HARD_ERROR_LIMIT - 1; i++) {
		const char *j = junk[i % 4];
		ck_assert_uint_eq(feed(&v, j, strlen(j)), strlen(j));
	}
	ck_assert_uint_eq(v.r.n_close, 0);
	ck_assert_uint_eq(count_code(&v, "421"), 0);
	ck_assert_uint_eq(feed(&v, "NOOP\r\n", 6), 6);
	ck_assert_uint_eq(count_code(&v, "421"), 1);
	ck_assert_uint_eq(v.r.n_close, 1);
	srv_free(&v);

	/* an accepted message in between: the allowance starts again */
	srv_init(&v, false);
	for (unsigned i = 0; i < SMTP_JUNK_LIMIT; i++)
		ck_assert_uint_eq(feed(&v, "NOOP\r\n", 6), 6);
	to_data(&v);
	ck_assert_uint_eq(feed(&v, "x\r\n.\r\n", 6), 6);
	for (unsigned i = 0; i < SMTP_JUNK_LIMIT + SMTP_HARD_ERROR_LIMIT - 1; i++)
		ck_assert_uint_eq(feed(&v, "RSET\r\n", 6), 6);
	ck_assert_uint_eq(v.r.n_close, 0);
	srv_free(&v);
}
END_TEST

START_TEST(test_pipelining_hold_resume)
{
	struct srv v;
	srv_init(&v, false);
	const char *in = "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\nNOOP\r\nQUIT\r\n";
	size_t n = feed(&v, in, strlen(in));
	/* MAIL and both RCPTs deferred; NOOP held (its reply must follow) */
	ck_assert_int_eq(v.r.n_mail, 1);
	ck_assert_int_eq(v.r.n_rcpt, 2);
	ck_assert(smtp_server_held(v.s));
	ck_assert_uint_eq(n, strlen(in) - strlen("QUIT\r\n"));
	ck_assert_uint_eq(smtp_server_deferred_count(v.s), 3);
	ck_assert_int_eq(smtp_server_deferred_head(v.s), SMTP_CMD_MAIL);
	ck_assert(!smtp_server_resume(v.s, 0));
	complete(&v, 250);
	complete(&v, 550);
	ck_assert(!smtp_server_resume(v.s, 0));
	complete(&v, 250);
	ck_assert(smtp_server_resume(v.s, 0));
	ck_assert_uint_eq(feed(&v, "QUIT\r\n", 6), 6);
	const char *want = "220 mx.test ESMTP\r\n";
	ck_assert(memcmp(iobuf_head(&v.out), want, strlen(want)) == 0);
	/* order: greeting, EHLO, MAIL 250, RCPT 550, RCPT 250, NOOP 250, 221 */
	char *o = strndup((const char *)iobuf_head(&v.out), iobuf_used(&v.out));
	char *p1 = strstr(o, "250 x"), *p2 = strstr(o, "550 x"), *p3 = strstr(p2, "250 x");
	char *p4 = strstr(o, "250 2.0.0 Ok"), *p5 = strstr(o, "221 ");
	ck_assert(p1 && p2 && p3 && p4 && p5 && p1 < p2 && p2 < p3 && p3 < p4 && p4 < p5);
	free(o);
	ck_assert_int_eq(v.r.n_close, 1);
	ck_assert_int_eq(smtp_server_complete_rsp(v.s, &(struct smtp_rsp){ 250, NULL, "" }, 0), -EINVAL);
	srv_free(&v);
}
END_TEST

START_TEST(test_hold_from_owner)
{
	struct srv v;
	srv_init(&v, false);
	v.r.helo_act = SMTP_ACT_HOLD;
	ck_assert_uint_eq(feed(&v, "EHLO c\r\nNOOP\r\n", 14), 8);
	ck_assert(smtp_server_held(v.s));
	ck_assert_uint_eq(smtp_server_next_timeout(v.s), UINT64_MAX); /* no timer while held */
	v.r.helo_act = SMTP_ACT_OK;
	ck_assert(smtp_server_resume(v.s, 5));
	ck_assert_uint_eq(smtp_server_next_timeout(v.s), 5 + 300000);
	ck_assert_uint_eq(feed(&v, "NOOP\r\n", 6), 6);
	srv_free(&v);
}
END_TEST

START_TEST(test_starttls_discards)
{
	struct srv v;
	srv_init(&v, true);
	const char *in = "EHLO c\r\nSTARTTLS\r\nMAIL FROM:<evil@x>\r\n";
	ck_assert_uint_eq(feed(&v, in, strlen(in)), strlen(in));
	ck_assert_int_eq(v.r.n_starttls, 1);
	ck_assert_int_eq(v.r.n_mail, 0);
	ck_assert_uint_eq(smtp_server_stats(v.s)->starttls_discarded, strlen("MAIL FROM:<evil@x>\r\n"));
	smtp_server_tls_started(v.s, 0);
	/* back to before EHLO */
	ck_assert_uint_eq(feed(&v, "MAIL FROM:<a@b>\r\n", 17), 17);
	ck_assert_int_eq(v.r.n_mail, 0);
	ck_assert(memmem(iobuf_head(&v.out), iobuf_used(&v.out), "503 5.5.1", 9));
	srv_free(&v);
}
END_TEST

START_TEST(test_bdat_accounting)
{
	struct srv v;
	srv_init(&v, false);
	const char *pre = "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n";
	feed(&v, pre, strlen(pre));
	complete(&v, 250);
	complete(&v, 250);
	const char *in = "BDAT 5\r\nab\r\ncBDAT 3 LAST\r\nd\r\nNOOP\r\n";
	size_t len = strlen(in);
	/* every split: the same message, NOOP answered after the final reply */
	for (size_t k = 0; k <= len; k++) {
		struct srv w;
		srv_init(&w, false);
		feed(&w, pre, strlen(pre));
		complete(&w, 250);
		complete(&w, 250);
		size_t a = feed(&w, in, k);
		ck_assert_uint_eq(a, k);
		ck_assert_uint_eq(feed(&w, in + k, len - k), len - k);
		ck_assert_uint_eq(iobuf_used(&w.r.msg), 8);
		ck_assert(memcmp(iobuf_head(&w.r.msg), "ab\r\ncd\r\n", 8) == 0);
		ck_assert_int_eq(w.r.n_data_end, 1);
		ck_assert(memmem(iobuf_head(&w.out), iobuf_used(&w.out), "250 2.0.0 Ok: 5 octets", 22));
		srv_free(&w);
	}
	srv_free(&v);
}
END_TEST

START_TEST(test_timers)
{
	struct srv v;
	srv_init(&v, false);
	ck_assert_uint_eq(smtp_server_next_timeout(v.s), 300000);
	smtp_server_timer(v.s, 299999);
	ck_assert(!smtp_server_closing(v.s));
	smtp_server_timer(v.s, 300000);
	ck_assert(smtp_server_closing(v.s));
	ck_assert(memmem(iobuf_head(&v.out), iobuf_used(&v.out), "421 4.4.2 mx.test", 17));
	srv_free(&v);
}
END_TEST

/* Feed `in` split at byte k (both parts; a held line is taken whole). */
static size_t feed_split(struct srv *v, const char *in, size_t len, size_t k)
{
	size_t a = feed(v, in, k);
	return a == k ? a + feed(v, in + k, len - k) : a;
}

static bool out_has(struct srv *v, size_t from, const char *needle)
{
	return memmem(iobuf_head(&v->out) + from, iobuf_used(&v->out) - from, needle,
		      strlen(needle)) != NULL;
}

/*
 * Lines the server refuses at once must still wait for the replies owed to
 * earlier pipelined MAIL/RCPT (RFC 2920: replies in command order), and the
 * goodbye must not reset the transaction (ops->rset) while one is owed.
 */
struct hcase {
	const char *line; /* NULL: "NOOP " + 600 x (over-long) */
	size_t len;       /* 0: strlen */
	const char *reply; /* what answers it once the MAIL reply left */
	bool closes;
};

static const struct hcase hcases[] = {
	{ "NOOP\0\r\n", 7, "500 5.5.2 Error: NUL", false },
	{ "X-Foo: bar\r\n", 0, "221 2.7.0", true },
	{ NULL, 0, "500 5.5.2 Error: line too long", false },
	{ "GET / HTTP/1.1\r\n", 0, "221 2.7.0", true },
	{ "POST /x HTTP/1.0\r\n", 0, "221 2.7.0", true },
	{ "123 abc\r\n", 0, "221 2.7.0", true },
	{ "FOOBAR\r\n", 0, "500 5.5.2 Error: command not recognized", false },
	{ "AUTH PLAIN x\r\n", 0, "502 5.5.1", false },
	{ "RCPT\r\n", 0, "501 5.5.4 Syntax: RCPT requires", false },
	{ "MAIL\r\n", 0, "501 5.5.4 Syntax: MAIL requires", false },
	{ "RCPT TO:<x@y> BOGUS=1\r\n", 0, "555 5.5.4", false },
	{ "MAIL FROM:<x@y>\r\n", 0, "503 5.5.1 Error: nested MAIL", false },
	{ "BDAT x\r\n", 0, "501 5.5.4 Syntax: BDAT", true },
	{ "QUIT\r\n", 0, "221 2.0.0 Bye", true },
	{ "RSET\r\n", 0, "250 2.0.0 Ok", false },
};

START_TEST(test_refusals_wait_for_owed_replies)
{
	const struct hcase *c = &hcases[_i];
	const char *pre = "EHLO x\r\nMAIL FROM:<a@b>\r\n";
	char longl[620];
	const char *in = c->line;
	size_t len = c->len ? c->len : (in ? strlen(in) : 0);

	if (in == NULL) {
		memset(longl, 'x', sizeof(longl));
		memcpy(longl, "NOOP ", 5);
		memcpy(longl + sizeof(longl) - 2, "\r\n", 2);
		in = longl;
		len = sizeof(longl);
	}
	for (size_t k = 0; k <= len; k++) {
		struct srv v;
		srv_init(&v, false);
		ck_assert_uint_eq(feed(&v, pre, strlen(pre)), strlen(pre));
		ck_assert_uint_eq(smtp_server_deferred_count(v.s), 1);
		size_t mark = iobuf_used(&v.out);
		ck_assert_uint_eq(feed_split(&v, in, len, k), len);
		/* held: nothing answered ahead of the MAIL reply, no reset */
		ck_assert_msg(iobuf_used(&v.out) == mark, "case %d split %zu: reply overtook", _i, k);
		ck_assert(smtp_server_held(v.s));
		ck_assert_int_eq(v.r.n_rset, 0);
		ck_assert_int_eq(v.r.n_close, 0);
		complete(&v, 250);
		ck_assert(smtp_server_resume(v.s, 0) || smtp_server_closing(v.s));
		ck_assert(out_has(&v, mark, "250 x\r\n"));
		const uint8_t *o = iobuf_head(&v.out) + mark;
		ck_assert_msg(memcmp(o, "250 x\r\n", 7) == 0, "case %d: MAIL reply not first", _i);
		ck_assert_msg(out_has(&v, mark + 7, c->reply), "case %d split %zu", _i, k);
		ck_assert_int_eq(v.r.n_close, c->closes ? 1 : 0);
		if (!c->closes) {
			/* still in sync */
			size_t m2 = iobuf_used(&v.out);
			ck_assert_uint_eq(feed(&v, "NOOP\r\n", 6), 6);
			ck_assert(out_has(&v, m2, "250 2.0.0 Ok\r\n"));
		}
		srv_free(&v);
	}
}
END_TEST

/* ORCPT (RFC 3461 4.2): addr-type is an atom, the address xtext. */
struct ocase {
	const char *params;
	bool dsn;
	const char *reply; /* NULL: accepted (forwarded) */
};

static const struct ocase ocases[] = {
	{ "ORCPT=rfc822;c@d", true, NULL },
	{ "ORCPT=rfc822;c+40d", true, NULL },
	{ "ORCPT=utf-8;c@d NOTIFY=NEVER", true, NULL },
	{ "ORCPT=rfc822;ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	  "cccccccccccccccccccccccccccccccccccccccccccccccccccc@d", true, NULL }, /* > 100 */
	{ "ORCPT=x\ry;c@d", true, "501 5.5.4" },
	{ "ORCPT=x\x01y;c@d", true, "501 5.5.4" },
	{ "ORCPT=x\x7fy;c@d", true, "501 5.5.4" },
	{ "ORCPT=\xc3\xa9;c@d", true, "501 5.5.4" },
	{ "ORCPT=r.f;c@d", true, "501 5.5.4" },
	{ "ORCPT=;c@d", true, "501 5.5.4" },
	{ "ORCPT=rfc822;", true, "501 5.5.4" },
	{ "ORCPT=rfc822", true, "501 5.5.4" },
	{ "ORCPT=rfc822;c\rd", true, "501 5.5.4" },
	{ "ORCPT=rfc822;c+4", true, "501 5.5.4" },
	{ "ORCPT=rfc822;c=d", true, "501 5.5.4" },
	{ "ORCPT=rfc822;c@d ORCPT=rfc822;c@d", true, "501 5.5.4" },
	{ "ORCPT=rfc822;c@d", false, "555 5.5.4" },
};

START_TEST(test_orcpt_syntax)
{
	const struct ocase *c = &ocases[_i];
	const char *pre = "EHLO x\r\nMAIL FROM:<a@b>\r\n";
	char in[600];
	int len = snprintf(in, sizeof(in), "RCPT TO:<c@d> %s\r\n", c->params);

	ck_assert(len > 0 && (size_t)len < sizeof(in));
	for (size_t k = 0; k <= (size_t)len; k++) {
		struct srv v;
		srv_init(&v, false);
		smtp_server_set_dsn(v.s, c->dsn);
		feed(&v, pre, strlen(pre));
		complete(&v, 250);
		size_t mark = iobuf_used(&v.out);
		ck_assert_uint_eq(feed_split(&v, in, (size_t)len, k), (size_t)len);
		if (c->reply == NULL) {
			ck_assert_msg(v.r.n_rcpt == 1, "case %d split %zu refused", _i, k);
			ck_assert_uint_eq(iobuf_used(&v.out), mark);
		} else {
			ck_assert_msg(v.r.n_rcpt == 0, "case %d split %zu accepted", _i, k);
			ck_assert_msg(out_has(&v, mark, c->reply), "case %d split %zu", _i, k);
		}
		srv_free(&v);
	}
}
END_TEST

/* Between BDAT chunks the envelope is closed (RFC 3030): MAIL, RCPT and
 * DATA get 503; BDAT, NOOP go on; RSET ends the transaction. */
struct bcase {
	const char *mid;   /* after "BDAT 3\r\nabc" */
	const char *reply; /* answer to `mid` */
	const char *msg;   /* message delivered after "BDAT 2 LAST\r\nde", NULL: none */
	int n_rcpt;
};

static const struct bcase bcases[] = {
	{ "RCPT TO:<e@f>\r\n", "503 5.5.1 Error: RCPT after BDAT", "abcde", 1 },
	{ "MAIL FROM:<x@y>\r\n", "503 5.5.1 Error: MAIL after BDAT", "abcde", 1 },
	{ "DATA\r\n", "503 5.5.1 Error: DATA after BDAT", "abcde", 1 },
	{ "NOOP\r\n", "250 2.0.0 Ok", "abcde", 1 },
	{ "BDAT 0\r\n", "250 2.0.0 Ok: 3 octets", "abcde", 1 },
	{ "RSET\r\n", "250 2.0.0 Ok", NULL, 1 },
};

START_TEST(test_bdat_closes_envelope)
{
	const struct bcase *c = &bcases[_i];
	const char *pre = "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n";
	char in[200];
	int len = snprintf(in, sizeof(in), "BDAT 3\r\nabc%sBDAT 2 LAST\r\nde", c->mid);

	for (size_t k = 0; k <= (size_t)len; k++) {
		struct srv v;
		srv_init(&v, false);
		feed(&v, pre, strlen(pre));
		complete(&v, 250);
		complete(&v, 250);
		size_t mark = iobuf_used(&v.out);
		ck_assert_uint_eq(feed_split(&v, in, (size_t)len, k), (size_t)len);
		ck_assert_msg(out_has(&v, mark, c->reply), "case %d split %zu", _i, k);
		ck_assert_int_eq(v.r.n_rcpt, c->n_rcpt);
		if (c->msg) {
			ck_assert_int_eq(v.r.n_data_end, 1);
			ck_assert_int_eq(v.r.data_end_status, 0);
			ck_assert_uint_eq(iobuf_used(&v.r.msg), strlen(c->msg));
			ck_assert(memcmp(iobuf_head(&v.r.msg), c->msg, strlen(c->msg)) == 0);
		} else {
			ck_assert_int_eq(v.r.n_data_end, 0);
			ck_assert(out_has(&v, mark, "503 5.5.1 Error: need MAIL"));
		}
		srv_free(&v);
	}
}
END_TEST

/* "BDAT 0" / "BDAT 0 LAST" (empty chunks) and empty buffers: no pointer
 * arithmetic on NULL (run under UBSan). */
START_TEST(test_bdat_empty_chunks)
{
	const char *pre = "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n";
	const char *in = "BDAT 0\r\nBDAT 0\r\nBDAT 2\r\nhiBDAT 0 LAST\r\nNOOP\r\n";
	size_t len = strlen(in);
	struct iobuf e = { 0 };

	ck_assert_ptr_nonnull(iobuf_head(&e));
	ck_assert(iobuf_head(&e) + iobuf_used(&e) == iobuf_head(&e));
	for (size_t k = 0; k <= len; k++) {
		struct srv v;
		srv_init(&v, false);
		feed(&v, pre, strlen(pre));
		complete(&v, 250);
		complete(&v, 250);
		ck_assert_uint_eq(feed_split(&v, in, len, k), len);
		ck_assert_int_eq(v.r.n_data_end, 1);
		ck_assert_int_eq(v.r.data_end_status, 0);
		ck_assert_uint_eq(iobuf_used(&v.r.msg), 2);
		ck_assert(out_has(&v, 0, "250 2.0.0 Ok: 0 octets"));
		ck_assert(out_has(&v, 0, "250 2.0.0 Ok: test\r\n250 2.0.0 Ok\r\n"));
		srv_free(&v);
	}
	/* an empty message by BDAT 0 LAST alone */
	struct srv v;
	srv_init(&v, false);
	feed(&v, pre, strlen(pre));
	complete(&v, 250);
	complete(&v, 250);
	ck_assert_uint_eq(feed(&v, "BDAT 0 LAST\r\n", 13), 13);
	ck_assert_int_eq(v.r.n_data_end, 1);
	ck_assert_int_eq(v.r.data_end_status, 0);
	ck_assert_uint_eq(iobuf_used(&v.r.msg), 0);
	srv_free(&v);
}
END_TEST

/* "BDAT 0 LAST" held by the owner, then resumed: the message ends at once
 * and its final reply is deferred, so resume() must not report "nothing
 * held" while the server waits for it. */
START_TEST(test_resume_into_final_reply)
{
	const char *pre = "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n";
	const char *in = "BDAT 0 LAST\r\nNOOP\r\n";
	size_t len = strlen(in);

	for (size_t k = 0; k <= len; k++) {
		struct srv v;
		srv_init(&v, false);
		v.r.data_end_defer = true;
		feed(&v, pre, strlen(pre));
		complete(&v, 250);
		complete(&v, 250);
		v.r.data_begin_act = SMTP_ACT_HOLD;
		size_t used = feed_split(&v, in, len, k);
		ck_assert_uint_eq(used, 13); /* NOOP waits behind the held BDAT */
		ck_assert(smtp_server_held(v.s));
		v.r.data_begin_act = SMTP_ACT_OK;
		ck_assert(!smtp_server_resume(v.s, 0));
		ck_assert(smtp_server_held(v.s));
		ck_assert_int_eq(v.r.n_data_end, 1);
		ck_assert_int_eq(smtp_server_deferred_head(v.s), SMTP_CMD_EOD);
		ck_assert_uint_eq(feed(&v, in + used, len - used), 0);
		complete(&v, 250);
		ck_assert(smtp_server_resume(v.s, 0));
		ck_assert(!smtp_server_held(v.s));
		size_t m = iobuf_used(&v.out);
		ck_assert_uint_eq(feed(&v, in + used, len - used), len - used);
		ck_assert(out_has(&v, m, "250 2.0.0 Ok\r\n"));
		srv_free(&v);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("smtp_server");
	TCase *tc = tcase_create("server");
	tcase_add_loop_test(tc, test_data_every_split, 0, (int)(sizeof(dcases) / sizeof(dcases[0])));
	tcase_add_loop_test(tc, test_line_limit_stuffing_dot, 0, (int)(sizeof(lcases) / sizeof(lcases[0])));
	tcase_add_test(tc, test_junk_commands);
	tcase_add_test(tc, test_pipelining_hold_resume);
	tcase_add_test(tc, test_hold_from_owner);
	tcase_add_test(tc, test_starttls_discards);
	tcase_add_test(tc, test_bdat_accounting);
	tcase_add_test(tc, test_timers);
	tcase_add_loop_test(tc, test_refusals_wait_for_owed_replies, 0,
			    (int)(sizeof(hcases) / sizeof(hcases[0])));
	tcase_add_loop_test(tc, test_orcpt_syntax, 0, (int)(sizeof(ocases) / sizeof(ocases[0])));
	tcase_add_loop_test(tc, test_bdat_closes_envelope, 0,
			    (int)(sizeof(bcases) / sizeof(bcases[0])));
	tcase_add_test(tc, test_bdat_empty_chunks);
	tcase_add_test(tc, test_resume_into_final_reply);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
