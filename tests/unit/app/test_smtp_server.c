/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_smtp_server.c — the sans-IO SMTP server alone, with a recording ops
 * double: DATA framing and dot-unstuffing fed at every split point (table of
 * inputs -> exact message bytes and the bytes left after the terminator),
 * the hold/resume pipelining contract, deferred replies in order, BDAT
 * chunk accounting, STARTTLS discard, timers.
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
	return SMTP_ACT_OK;
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

int main(void)
{
	Suite *s = suite_create("smtp_server");
	TCase *tc = tcase_create("server");
	tcase_add_loop_test(tc, test_data_every_split, 0, (int)(sizeof(dcases) / sizeof(dcases[0])));
	tcase_add_test(tc, test_pipelining_hold_resume);
	tcase_add_test(tc, test_hold_from_owner);
	tcase_add_test(tc, test_starttls_discards);
	tcase_add_test(tc, test_bdat_accounting);
	tcase_add_test(tc, test_timers);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
