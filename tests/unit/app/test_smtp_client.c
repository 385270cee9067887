/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_smtp_client.c — the sans-IO upstream client alone, against scripted
 * replies: set-up sequence (EHLO, HELO fallback, STARTTLS per mode),
 * capability parsing, pipelined MAIL/RCPT paired with their replies, DATA
 * dot-stuffing at every split point, BDAT chunks, failures (malformed
 * reply, 421, timeout, closed connection), no RSET/QUIT inside a message.
 */
#include <check.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/msgbuf.h"
#include "app/smtp_client.h"
#include "config/cfg.h"

struct crec {
	int ready, starttls, failed, fail_err;
	unsigned codes[32];
	int kinds[32];
	int n;
};

static void c_ready(void *ctx)
{
	((struct crec *)ctx)->ready++;
}
static void c_reply(void *ctx, enum smtp_cmd k, const struct smtp_reply *r)
{
	struct crec *c = ctx;
	if (c->n < 32) {
		c->codes[c->n] = r->code;
		c->kinds[c->n++] = k;
	}
}
static void c_starttls(void *ctx)
{
	((struct crec *)ctx)->starttls++;
}
static void c_failed(void *ctx, int err, const struct smtp_reply *r)
{
	struct crec *c = ctx;
	c->failed++;
	c->fail_err = err;
}
static const struct smtp_client_ops cops = { c_ready, c_reply, c_starttls, c_failed };

static struct cfg cfg;

struct cl {
	struct smtp_client *c;
	struct iobuf out;
	struct crec r;
};

static void cl_init(struct cl *v, enum cfg_upstream_tls mode, bool tls_avail)
{
	memset(v, 0, sizeof(*v));
	memset(&cfg, 0, sizeof(cfg));
	cfg.hostname = "dlp.test";
	cfg.smtp.upstream.tls = mode;
	struct smtp_client_params p = { &cfg, &cops, &v->r, &v->out, tls_avail };
	v->c = smtp_client_create(&p);
	ck_assert_ptr_nonnull(v->c);
	smtp_client_connected(v->c, 0);
}

static void cl_free(struct cl *v)
{
	smtp_client_destroy(v->c);
	iobuf_free(&v->out);
}

static void up(struct cl *v, const char *s)
{
	smtp_client_input(v->c, (const uint8_t *)s, strlen(s), 0);
}

static bool sent(struct cl *v, const char *s)
{
	return memmem(iobuf_head(&v->out), iobuf_used(&v->out), s, strlen(s)) != NULL;
}

static void take(struct cl *v)
{
	v->out.off = v->out.len = 0;
}

#define EHLO_FULL "250-mx\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n" \
	"250-DSN\r\n250-CHUNKING\r\n250-SMTPUTF8\r\n250 STARTTLS\r\n"

START_TEST(test_setup_and_caps)
{
	struct cl v;
	cl_init(&v, CFG_UP_TLS_NONE, false);
	up(&v, "220 mx ESMTP\r\n");
	ck_assert(sent(&v, "EHLO dlp.test\r\n"));
	up(&v, EHLO_FULL);
	ck_assert_int_eq(v.r.ready, 1);
	const struct smtp_client_caps *c = smtp_client_caps(v.c);
	ck_assert(c->pipelining && c->size && c->eightbitmime && c->dsn && c->chunking &&
		  c->smtputf8 && c->starttls);
	ck_assert_uint_eq(c->size_max, 1000);
	ck_assert(!sent(&v, "STARTTLS")); /* mode none */
	cl_free(&v);
}
END_TEST

START_TEST(test_helo_fallback)
{
	struct cl v;
	cl_init(&v, CFG_UP_TLS_OPPORTUNISTIC, true);
	up(&v, "220 old\r\n");
	up(&v, "502 5.5.2 what\r\n");
	ck_assert(sent(&v, "HELO dlp.test\r\n"));
	up(&v, "250 old\r\n");
	ck_assert_int_eq(v.r.ready, 1);
	ck_assert(!smtp_client_caps(v.c)->pipelining);
	cl_free(&v);
}
END_TEST

START_TEST(test_starttls_modes)
{
	struct cl v;
	/* required, offered */
	cl_init(&v, CFG_UP_TLS_REQUIRED, true);
	up(&v, "220 mx\r\n" EHLO_FULL);
	ck_assert(sent(&v, "STARTTLS\r\n"));
	up(&v, "220 2.0.0 go\r\n");
	ck_assert_int_eq(v.r.starttls, 1);
	take(&v);
	smtp_client_tls_ready(v.c, 0);
	ck_assert(sent(&v, "EHLO dlp.test\r\n"));
	up(&v, EHLO_FULL);
	ck_assert_int_eq(v.r.ready, 1);
	ck_assert(smtp_client_in_tls(v.c));
	cl_free(&v);
	/* required, not offered */
	cl_init(&v, CFG_UP_TLS_REQUIRED, true);
	up(&v, "220 mx\r\n250-mx\r\n250 PIPELINING\r\n");
	ck_assert_int_eq(v.r.failed, 1);
	ck_assert_int_eq(v.r.fail_err, -ENOTSUP);
	cl_free(&v);
	/* opportunistic, refused: plaintext */
	cl_init(&v, CFG_UP_TLS_OPPORTUNISTIC, true);
	up(&v, "220 mx\r\n" EHLO_FULL "454 4.7.0 TLS not available\r\n");
	ck_assert_int_eq(v.r.ready, 1);
	ck_assert(!smtp_client_in_tls(v.c));
	cl_free(&v);
	/* opportunistic without a TLS config: plaintext */
	cl_init(&v, CFG_UP_TLS_OPPORTUNISTIC, false);
	up(&v, "220 mx\r\n" EHLO_FULL);
	ck_assert_int_eq(v.r.ready, 1);
	ck_assert(!sent(&v, "STARTTLS"));
	cl_free(&v);
}
END_TEST

START_TEST(test_pipelined_pairing)
{
	struct cl v;
	cl_init(&v, CFG_UP_TLS_NONE, false);
	up(&v, "220 mx\r\n" EHLO_FULL);
	take(&v);
	ck_assert_int_eq(smtp_client_mail(v.c, "a@b", 3, "SIZE=10", 7, 0), 0);
	ck_assert_int_eq(smtp_client_rcpt(v.c, "c@d", 3, NULL, 0, 0), 0);
	ck_assert_int_eq(smtp_client_rcpt(v.c, "e@f", 3, "NOTIFY=NEVER", 12, 0), 0);
	ck_assert(sent(&v, "MAIL FROM:<a@b> SIZE=10\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@f> NOTIFY=NEVER\r\n"));
	ck_assert_uint_eq(smtp_client_next_timeout(v.c), 120000);
	/* replies arrive in one segment */
	up(&v, "250 2.1.0 ok\r\n550 5.1.1 no\r\n250 2.1.5 ok\r\n");
	ck_assert_int_eq(v.r.n, 3);
	ck_assert_int_eq(v.r.kinds[0], SMTP_CMD_MAIL);
	ck_assert_int_eq(v.r.kinds[1], SMTP_CMD_RCPT);
	ck_assert_uint_eq(v.r.codes[1], 550);
	ck_assert_int_eq(v.r.kinds[2], SMTP_CMD_RCPT);
	ck_assert_uint_eq(smtp_client_next_timeout(v.c), UINT64_MAX);
	/* an unexpected extra reply is a protocol error */
	up(&v, "250 surprise\r\n");
	ck_assert_int_eq(v.r.failed, 1);
	ck_assert_int_eq(v.r.fail_err, -EPROTO);
	cl_free(&v);
}
END_TEST

/* Replies of a class the command cannot have fail the connection
 * (-EPROTO) instead of reaching the sender: a 354 to MAIL, a 250 to DATA,
 * a 3xx after the message, a 1xx; another 3xx to DATA opens the body. */
START_TEST(test_reply_class_checked)
{
	static const struct {
		int step; /* 0 MAIL, 1 RCPT, 2 DATA, 3 end of data */
		const char *reply;
		bool fails;
	} cases[] = {
		{0, "354 go\r\n", true},   {0, "199 hm\r\n", true},   {0, "220 ok\r\n", false},
		{1, "354 go\r\n", true},   {1, "251 fwd\r\n", false}, {2, "250 ok\r\n", true},
		{2, "350 go on\r\n", false}, {2, "554 no\r\n", false}, {3, "354 more?\r\n", true},
		{3, "250 queued\r\n", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cl v;
		cl_init(&v, CFG_UP_TLS_NONE, false);
		up(&v, "220 mx\r\n250-mx\r\n250 8BITMIME\r\n");
		const char *ok[] = {"250 ok\r\n", "250 ok\r\n", "354 go\r\n"};
		int step = cases[i].step;
		ck_assert_int_eq(smtp_client_mail(v.c, "a@b", 3, NULL, 0, 0), 0);
		for (int s = 0; s <= step && !v.r.failed; s++) {
			if (s == 1)
				ck_assert_int_eq(smtp_client_rcpt(v.c, "c@d", 3, NULL, 0, 0), 0);
			if (s == 2)
				ck_assert_int_eq(smtp_client_data(v.c, true, 0), 0);
			if (s == 3) {
				ck_assert(smtp_client_body_open(v.c));
				ck_assert_int_eq(smtp_client_body(v.c, (const uint8_t *)"x\r\n", 3, 0), 0);
				ck_assert_int_eq(smtp_client_body_end(v.c, 0), 0);
			}
			up(&v, s == step ? cases[i].reply : ok[s]);
		}
		ck_assert_msg(v.r.failed == (cases[i].fails ? 1 : 0), "case %zu (%s)", i,
			      cases[i].reply);
		if (cases[i].fails)
			ck_assert_int_eq(v.r.fail_err, -EPROTO);
		else if (step == 2 && cases[i].reply[0] == '3')
			ck_assert(smtp_client_body_open(v.c));
		cl_free(&v);
	}
}
END_TEST

START_TEST(test_no_pipelining_one_at_a_time)
{
	struct cl v;
	cl_init(&v, CFG_UP_TLS_NONE, false);
	up(&v, "220 mx\r\n250-mx\r\n250 8BITMIME\r\n");
	ck_assert_int_eq(smtp_client_mail(v.c, "a@b", 3, NULL, 0, 0), 0);
	ck_assert(!smtp_client_can_send(v.c));
	ck_assert_int_eq(smtp_client_rcpt(v.c, "c@d", 3, NULL, 0, 0), -EAGAIN);
	up(&v, "250 ok\r\n");
	ck_assert(smtp_client_can_send(v.c));
	ck_assert_int_eq(smtp_client_rcpt(v.c, "c@d", 3, NULL, 0, 0), 0);
	cl_free(&v);
}
END_TEST

static const char body[] = "a\r\n.b\r\n..\r\n.\r\nx\r\n\r\n.";

START_TEST(test_data_stuffing_every_split)
{
	const char *want = "a\r\n..b\r\n...\r\n..\r\nx\r\n\r\n..\r\n.\r\n";
	size_t len = sizeof(body) - 1;
	for (size_t k = 0; k <= len; k++) {
		struct cl v;
		cl_init(&v, CFG_UP_TLS_NONE, false);
		up(&v, "220 mx\r\n250-mx\r\n250 PIPELINING\r\n");
		smtp_client_mail(v.c, "a@b", 3, NULL, 0, 0);
		smtp_client_rcpt(v.c, "c@d", 3, NULL, 0, 0);
		ck_assert_int_eq(smtp_client_data(v.c, true, 0), 0);
		up(&v, "250 ok\r\n250 ok\r\n");
		ck_assert(!smtp_client_body_open(v.c));
		up(&v, "354 go\r\n");
		ck_assert(smtp_client_body_open(v.c));
		take(&v);
		ck_assert_int_eq(smtp_client_body(v.c, (const uint8_t *)body, k, 0), 0);
		ck_assert_int_eq(smtp_client_body(v.c, (const uint8_t *)body + k, len - k, 0), 0);
		ck_assert_int_eq(smtp_client_body_end(v.c, 0), 0);
		ck_assert_uint_eq(iobuf_used(&v.out), strlen(want));
		ck_assert_msg(memcmp(iobuf_head(&v.out), want, strlen(want)) == 0, "split %zu", k);
		up(&v, "250 2.0.0 queued\r\n");
		ck_assert_int_eq(v.r.kinds[v.r.n - 1], SMTP_CMD_EOD);
		ck_assert(smtp_client_idle(v.c));
		cl_free(&v);
	}
}
END_TEST

START_TEST(test_bdat_chunks)
{
	struct cl v;
	cl_init(&v, CFG_UP_TLS_NONE, false);
	up(&v, "220 mx\r\n" EHLO_FULL);
	smtp_client_mail(v.c, "a@b", 3, NULL, 0, 0);
	smtp_client_rcpt(v.c, "c@d", 3, NULL, 0, 0);
	ck_assert_int_eq(smtp_client_data(v.c, true, 0), 0);
	ck_assert(smtp_client_body_open(v.c)); /* BDAT: no 354 to wait for */
	take(&v);
	smtp_client_body(v.c, (const uint8_t *)".x\r\n", 4, 0);
	smtp_client_body(v.c, (const uint8_t *)"yz", 2, 0);
	smtp_client_body_end(v.c, 0);
	ck_assert(sent(&v, "BDAT 4\r\n.x\r\nBDAT 2\r\nyzBDAT 0 LAST\r\n"));
	/* the first refused chunk is the message's answer */
	up(&v, "250 ok\r\n250 ok\r\n250 ok\r\n552 5.3.4 too big\r\n250 ok\r\n");
	ck_assert_int_eq(v.r.kinds[v.r.n - 1], SMTP_CMD_EOD);
	ck_assert_uint_eq(v.r.codes[v.r.n - 1], 552);
	cl_free(&v);
}
END_TEST

START_TEST(test_failures)
{
	struct cl v;
	/* malformed reply */
	cl_init(&v, CFG_UP_TLS_NONE, false);
	up(&v, "220 mx\r\nHTTP/1.1 200 OK\r\n");
	ck_assert_int_eq(v.r.fail_err, -EPROTO);
	cl_free(&v);
	/* 421 to a command */
	cl_init(&v, CFG_UP_TLS_NONE, false);
	up(&v, "220 mx\r\n" EHLO_FULL);
	smtp_client_mail(v.c, "a@b", 3, NULL, 0, 0);
	up(&v, "421 4.3.2 bye\r\n");
	ck_assert_int_eq(v.r.n, 1);
	ck_assert_int_eq(v.r.fail_err, -ECONNABORTED);
	cl_free(&v);
	/* greeting refused */
	cl_init(&v, CFG_UP_TLS_NONE, false);
	up(&v, "554 go away\r\n");
	ck_assert_int_eq(v.r.fail_err, -ECONNREFUSED);
	cl_free(&v);
	/* silence */
	cl_init(&v, CFG_UP_TLS_NONE, false);
	smtp_client_timer(v.c, 119999);
	ck_assert_int_eq(v.r.failed, 0);
	smtp_client_timer(v.c, 120000);
	ck_assert_int_eq(v.r.fail_err, -ETIMEDOUT);
	cl_free(&v);
	/* closed mid-transaction; after QUIT a close is normal */
	cl_init(&v, CFG_UP_TLS_NONE, false);
	up(&v, "220 mx\r\n" EHLO_FULL);
	smtp_client_mail(v.c, "a@b", 3, NULL, 0, 0);
	smtp_client_closed(v.c, 0);
	ck_assert_int_eq(v.r.fail_err, -ECONNRESET);
	cl_free(&v);
	cl_init(&v, CFG_UP_TLS_NONE, false);
	up(&v, "220 mx\r\n" EHLO_FULL);
	smtp_client_quit(v.c, 0);
	smtp_client_closed(v.c, 0);
	ck_assert_int_eq(v.r.failed, 0);
	ck_assert(smtp_client_done(v.c));
	cl_free(&v);
}
END_TEST

/*
 * RSET and QUIT are command lines: while DATA waits for its 354, or a
 * message body is open (DATA or BDAT), the upstream would take them as
 * message text or cut the chunk sequence; the client refuses them then.
 */
struct mcase {
	bool bdat;      /* upstream offers CHUNKING */
	int stage;      /* 0 DATA sent, no 354; 1 body open; 2 body ended; 3 DATA refused */
	int want;       /* rset() and quit() result */
};

static const struct mcase mcases[] = {
	{ false, 0, -EINVAL },
	{ false, 1, -EINVAL },
	{ false, 2, 0 },
	{ false, 3, 0 },
	{ true, 1, -EINVAL },
	{ true, 2, 0 },
};

START_TEST(test_no_rset_quit_inside_message)
{
	const struct mcase *m = &mcases[_i];
	for (int which = 0; which < 2; which++) {
		struct cl v;
		cl_init(&v, CFG_UP_TLS_NONE, false);
		up(&v, m->bdat ? "220 mx\r\n" EHLO_FULL : "220 mx\r\n250-mx\r\n250 PIPELINING\r\n");
		ck_assert_int_eq(smtp_client_mail(v.c, "a@b", 3, NULL, 0, 0), 0);
		ck_assert_int_eq(smtp_client_rcpt(v.c, "c@d", 3, NULL, 0, 0), 0);
		ck_assert_int_eq(smtp_client_data(v.c, true, 0), 0);
		up(&v, "250 ok\r\n250 ok\r\n");
		if (m->stage >= 1 && !m->bdat)
			up(&v, m->stage == 3 ? "554 5.5.1 no valid recipients\r\n" : "354 go\r\n");
		if (m->stage == 2) {
			ck_assert_int_eq(smtp_client_body(v.c, (const uint8_t *)"x\r\n", 3, 0), 0);
			ck_assert_int_eq(smtp_client_body_end(v.c, 0), 0);
		}
		take(&v);
		int rc = which ? smtp_client_quit(v.c, 0) : smtp_client_rset(v.c, 0);
		ck_assert_msg(rc == m->want, "case %d %s: %d", _i, which ? "quit" : "rset", rc);
		if (rc < 0) {
			ck_assert_uint_eq(iobuf_used(&v.out), 0); /* nothing written */
			ck_assert(!smtp_client_done(v.c));
			/* the message can still be finished normally */
			if (m->stage == 0)
				up(&v, "354 go\r\n");
			ck_assert(smtp_client_body_open(v.c));
			ck_assert_int_eq(smtp_client_body_end(v.c, 0), 0);
			ck_assert_int_eq(which ? smtp_client_quit(v.c, 0) : smtp_client_rset(v.c, 0), 0);
		} else {
			ck_assert(sent(&v, which ? "QUIT\r\n" : "RSET\r\n"));
		}
		cl_free(&v);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("smtp_client");
	TCase *tc = tcase_create("client");
	tcase_add_test(tc, test_setup_and_caps);
	tcase_add_test(tc, test_helo_fallback);
	tcase_add_test(tc, test_starttls_modes);
	tcase_add_test(tc, test_pipelined_pairing);
	tcase_add_test(tc, test_no_pipelining_one_at_a_time);
	tcase_add_test(tc, test_reply_class_checked);
	tcase_add_test(tc, test_data_stuffing_every_split);
	tcase_add_test(tc, test_bdat_chunks);
	tcase_add_test(tc, test_failures);
	tcase_add_loop_test(tc, test_no_rset_quit_inside_message, 0,
			    (int)(sizeof(mcases) / sizeof(mcases[0])));
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
