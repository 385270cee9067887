/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_smtp_proxy.c — whole SMTP sessions through the proxy, in memory:
 * a scripted sender <-> smtp_proxy <-> a scripted upstream MTA, with the real
 * DLP engine and the seed scenario's dictionary. Command paths, limits,
 * smuggling variants, pipelining split at every byte, upstream failures at
 * each step, the four actions, byte-exact relay, connection reuse, timeouts.
 */
#include "test_smtp_harness.h"

#define EHLO "EHLO sender.example\r\n"
#define MAIL_CORP "MAIL FROM:<alice@corp.example>\r\n"
#define RCPT_EXT "RCPT TO:<bob@external.example>\r\n"

static void send_msg(struct world *w, const char *from_line, const char *body)
{
	says(w, from_line);
	says(w, RCPT_EXT);
	says(w, "DATA\r\n");
	says(w, "From: alice@corp.example\r\nTo: bob@external.example\r\nSubject: test\r\n\r\n");
	says(w, body);
	says(w, ".\r\n");
}

/* ------------------------------------------------------------ basics */

START_TEST(test_basic_session)
{
	struct world w;
	world_init(&w);
	world_start(&w);
	ck_codes(&w, "220");
	ck_assert(sender_saw(&w, "220 dlp-gw1.corp.example ESMTP"));
	says(&w, EHLO);
	ck_codes(&w, "220 250");
	ck_assert(sender_saw(&w, "250-PIPELINING\r\n"));
	ck_assert(sender_saw(&w, "250-SIZE 10485760\r\n"));
	ck_assert(sender_saw(&w, "250-8BITMIME\r\n"));
	ck_assert(sender_saw(&w, "250-SMTPUTF8\r\n"));
	ck_assert(sender_saw(&w, "250-ENHANCEDSTATUSCODES\r\n"));
	ck_assert(sender_saw(&w, "CHUNKING\r\n"));
	ck_assert(!sender_saw(&w, "STARTTLS"));
	ck_assert(!sender_saw(&w, "DSN"));
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	says(&w, "QUIT\r\n");
	ck_codes(&w, "220 250 250 250 354 250 221");
	ck_assert(sender_saw(&w, "250 2.0.0 Ok: queued as UP42\r\n"));
	ck_assert_int_eq(w.up.n_msgs, 1);
	ck_assert_int_eq(w.n_inc, 0); /* clean allow: no incident */
	ck_assert(w.down_close);
	ck_assert_int_eq(w.up.n_quit, 1);
	ck_assert(smtp_proxy_done(w.p));
	world_free(&w);
}
END_TEST

/* EHLO announces 8BITMIME and SMTPUTF8 only when the upstream has them (a
 * relay must not take 8-bit or UTF-8 mail it cannot pass on). */
START_TEST(test_next_hop_caps_mirrored)
{
	struct world w;
	world_init(&w);
	w.up.eightbit = false;
	w.up.smtputf8 = false;
	world_start(&w);
	says(&w, EHLO);
	ck_codes(&w, "220 250");
	ck_assert(!sender_saw(&w, "8BITMIME"));
	ck_assert(!sender_saw(&w, "SMTPUTF8"));
	ck_assert(sender_saw(&w, "250-PIPELINING\r\n"));
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	ck_assert_int_eq(w.up.n_msgs, 1);
	world_free(&w);
}
END_TEST

START_TEST(test_dsn_advertised_and_passed)
{
	struct world w;
	world_init(&w);
	w.up.dsn = true;
	world_start(&w);
	says(&w, EHLO);
	ck_assert(sender_saw(&w, "250 DSN\r\n") || sender_saw(&w, "250-DSN\r\n"));
	says(&w, "MAIL FROM:<alice@corp.example> RET=HDRS ENVID=abc+2B1 SIZE=100 BODY=8BITMIME\r\n");
	says(&w, "RCPT TO:<bob@external.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@external.example\r\n");
	ck_codes(&w, "220 250 250 250");
	ck_assert(strstr(w.up.mail_line, "RET=HDRS") && strstr(w.up.mail_line, "ENVID=abc+2B1"));
	ck_assert(strstr(w.up.mail_line, "SIZE=100") && strstr(w.up.mail_line, "BODY=8BITMIME"));
	ck_assert(strstr(w.up.rcpt_line, "NOTIFY=SUCCESS,FAILURE"));
	ck_assert(strstr(w.up.rcpt_line, "ORCPT=rfc822;bob@external.example"));
	says(&w, "RSET\r\n");
	says(&w, "MAIL FROM:<a@corp.example> RET=BOGUS\r\n");
	ck_codes(&w, "220 250 250 250 250 501");
	world_free(&w);
}
END_TEST

START_TEST(test_dsn_refused_without_upstream_dsn)
{
	struct world w;
	world_init(&w);
	w.up.size = false;
	w.up.eightbit = false;
	world_start(&w);
	says(&w, EHLO);
	says(&w, "MAIL FROM:<alice@corp.example> RET=HDRS\r\n");
	says(&w, "MAIL FROM:<alice@corp.example> SIZE=100 BODY=8BITMIME\r\n");
	says(&w, "RCPT TO:<bob@external.example> NOTIFY=NEVER\r\n");
	ck_codes(&w, "220 250 555 250 555");
	/* what the upstream does not support is not passed on */
	ck_assert_str_eq(w.up.mail_line, "MAIL FROM:<alice@corp.example>");
	world_free(&w);
}
END_TEST

/* ---------------------------------------------------- command table */

struct cmd_case {
	const char *setup; /* sent first (after EHLO unless "NOEHLO") */
	const char *line;
	const char *expect; /* codes after the greeting + setup */
	bool closes;
};

static const struct cmd_case cmd_cases[] = {
	{ "", "NOOP\r\n", "250", false },
	{ "", "noop something\r\n", "250", false },
	{ "", "HELP\r\n", "214", false },
	{ "", "VRFY root\r\n", "502", false },
	{ "", "EXPN staff\r\n", "502", false },
	{ "", "FOOBAR\r\n", "500", false },
	{ "", "AUTH PLAIN AGFhAGI=\r\n", "502", false },
	{ "", "ETRN example.com\r\n", "502", false },
	{ "", "RSET\r\n", "250", false },
	{ "", "RSET now\r\n", "501", false },
	{ "", "QUIT\r\n", "221", true },
	{ "", "Subject: hello\r\n", "221", true },
	{ "", "Received: from x by y\r\n", "221", true },
	{ "", "From:<a@b>\r\n", "221", true },
	{ "", "GET / HTTP/1.1\r\n", "221", true },
	{ "", "CONNECT mx:25 HTTP/1.0\r\n", "221", true },
	{ "", "STARTTLS\r\n", "502", false }, /* not offered on a plain listener */
	{ "", "DATA\r\n", "503", false },
	{ "", "DATA now\r\n", "501", false },
	{ "", "RCPT TO:<bob@external.example>\r\n", "503", false },
	{ "", "BDAT 0 LAST\r\n", "503", false },
	{ "", "MAIL FROM:alice@corp.example\r\n", "501", false },
	{ "", "MAIL TO:<alice@corp.example>\r\n", "501", false },
	{ "", "MAIL FROM:<alice@corp.example> FOO=BAR\r\n", "555", false },
	{ "", "MAIL FROM:<alice@corp.example> BODY=BINARYMIME\r\n", "501", false },
	{ "", "MAIL FROM:<alice@corp.example> SIZE=99999999999\r\n", "552", false },
	{ "", "MAIL FROM:<alice@corp.example> SIZE=12x\r\n", "501", false },
	{ "", "MAIL FROM:<j\xc3\xb6rg@corp.example>\r\n", "553", false },
	{ "", "MAIL FROM:<j\xc3\xb6rg@corp.example> SMTPUTF8\r\n", "250", false },
	{ "", "MAIL FROM:<>\r\n", "250", false },
	{ "", "MAIL FROM: <alice@corp.example>\r\n", "250", false },
	{ MAIL_CORP, "MAIL FROM:<again@corp.example>\r\n", "250 503", false },
	{ MAIL_CORP, "RCPT TO:<>\r\n", "250 501", false },
	{ MAIL_CORP, "RCPT TO:<unknown@external.example>\r\n", "250 550", false },
	{ MAIL_CORP, "RCPT TO:<greylist@external.example>\r\n", "250 450", false },
	{ MAIL_CORP "RCPT TO:<unknown@external.example>\r\n", "DATA\r\n", "250 550 554", false },
	{ "NOEHLO", "MAIL FROM:<alice@corp.example>\r\n", "503", false },
	{ "NOEHLO", "EHLO\r\n", "501", false },
	{ "NOEHLO", "HELO sender.example\r\n", "250", false },
	{ "NOEHLO", "EHLO a b\r\n", "501", false },
};

START_TEST(test_command_table)
{
	const struct cmd_case *c = &cmd_cases[_i];
	struct world w;
	char want[256];
	bool ehlo = strcmp(c->setup, "NOEHLO") != 0;

	world_init(&w);
	world_start(&w);
	if (ehlo)
		says(&w, EHLO);
	if (ehlo && c->setup[0])
		says(&w, c->setup);
	says(&w, c->line);
	snprintf(want, sizeof(want), "220%s %s", ehlo ? " 250" : "", c->expect);
	ck_codes(&w, want);
	ck_assert_msg(w.down_close == c->closes, "case %d close", _i);
	world_free(&w);
}
END_TEST

START_TEST(test_error_limit)
{
	struct world w;
	world_init(&w);
	world_start(&w);
	for (int i = 0; i < 25; i++)
		says(&w, "BOGUS\r\n");
	char b[4096];
	codes(&w, b, sizeof(b));
	/* 20 errors, then 421 and the connection closes */
	ck_assert_ptr_nonnull(strstr(b, "500 421"));
	ck_assert(w.down_close);
	ck_assert_uint_eq(smtp_server_stats(smtp_proxy_server(w.p))->errors, 20);
	world_free(&w);
}
END_TEST

/* ------------------------------------------------------------ limits */

START_TEST(test_long_command_line)
{
	struct world w;
	char line[700];
	world_init(&w);
	world_start(&w);
	says(&w, EHLO);
	memset(line, 'A', sizeof(line));
	memcpy(line, "NOOP ", 5);
	memcpy(line + sizeof(line) - 2, "\r\n", 2);
	say(&w, line, sizeof(line));
	says(&w, "NOOP\r\n");
	ck_codes(&w, "220 250 500 250");
	/* exactly 512 with CRLF is fine */
	memset(line, 'A', 512);
	memcpy(line, "NOOP ", 5);
	memcpy(line + 510, "\r\n", 2);
	say(&w, line, 512);
	ck_codes(&w, "220 250 500 250 250");
	world_free(&w);
}
END_TEST

START_TEST(test_max_recipients)
{
	struct world w;
	world_init(&w);
	world_start(&w);
	says(&w, EHLO);
	says(&w, MAIL_CORP);
	for (int i = 0; i < 7; i++) {
		char r[80];
		snprintf(r, sizeof(r), "RCPT TO:<r%d@external.example>\r\n", i);
		says(&w, r);
	}
	ck_codes(&w, "220 250 250 250 250 250 250 250 452 452");
	ck_assert(sender_saw(&w, "452 4.5.3 "));
	ck_assert_int_eq(w.up.n_rcpt, 5);
	world_free(&w);
}
END_TEST

START_TEST(test_max_size_in_data)
{
	struct world w;
	world_init(&w);
	w.cfg->smtp.max_message_size = 4096;
	world_start(&w);
	says(&w, EHLO);
	says(&w, MAIL_CORP RCPT_EXT "DATA\r\n");
	for (int i = 0; i < 100; i++)
		says(&w, "0123456789012345678901234567890123456789012345678901234567890123456789\r\n");
	says(&w, ".\r\nNOOP\r\n");
	ck_codes(&w, "220 250 250 250 354 552 250");
	ck_assert_int_eq(w.up.n_msgs, 0);
	world_free(&w);
}
END_TEST

START_TEST(test_long_text_line)
{
	struct world w;
	static char body[1200];
	world_init(&w);
	world_start(&w);
	says(&w, EHLO);
	says(&w, MAIL_CORP RCPT_EXT "DATA\r\n");
	memset(body, 'x', 1100);
	memcpy(body + 1100, "\r\n.\r\n", 6);
	says(&w, body);
	ck_codes(&w, "220 250 250 250 354 550");
	ck_assert_int_eq(w.up.n_msgs, 0);
	/* 998 + CRLF is within the limit */
	says(&w, MAIL_CORP RCPT_EXT "DATA\r\n");
	memset(body, 'y', 998);
	memcpy(body + 998, "\r\n.\r\n", 6);
	says(&w, body);
	ck_codes(&w, "220 250 250 250 354 550 250 250 354 250");
	world_free(&w);
}
END_TEST

START_TEST(test_command_timeout)
{
	struct world w;
	world_init(&w);
	world_start(&w);
	says(&w, EHLO);
	ck_assert_uint_eq(smtp_proxy_next_timeout(w.p), w.now + 300000);
	w.now += 299000;
	smtp_proxy_timer(w.p, w.now);
	pump(&w);
	ck_codes(&w, "220 250");
	w.now += 2000;
	smtp_proxy_timer(w.p, w.now);
	pump(&w);
	ck_codes(&w, "220 250 421");
	ck_assert(w.down_close);
	world_free(&w);
}
END_TEST

START_TEST(test_data_timeout)
{
	struct world w;
	world_init(&w);
	world_start(&w);
	says(&w, EHLO MAIL_CORP RCPT_EXT "DATA\r\nSubject: x\r\n");
	/* a slow sender: a line every 9 minutes for 54 minutes keeps DATA
	 * open (timeouts.data is the silence between reads, not the whole) */
	for (int i = 0; i < 6; i++) {
		w.now += 540000;
		smtp_proxy_timer(w.p, w.now);
		pump(&w);
		says(&w, "more body\r\n");
	}
	ck_codes(&w, "220 250 250 250 354");
	w.now += 601000;
	smtp_proxy_timer(w.p, w.now);
	pump(&w);
	ck_codes(&w, "220 250 250 250 354 421");
	ck_assert_int_eq(w.up.n_msgs, 0);
	world_free(&w);

	/* ... but not past timeouts.data_total (3600 s) of trickling */
	world_init(&w);
	world_start(&w);
	says(&w, EHLO MAIL_CORP RCPT_EXT "DATA\r\nSubject: x\r\n");
	for (int i = 0; i < 7; i++) {
		w.now += 540000; /* the 7th step passes the hour */
		smtp_proxy_timer(w.p, w.now);
		pump(&w);
		if (i < 6)
			says(&w, "more body\r\n");
	}
	ck_codes(&w, "220 250 250 250 354 421");
	ck_assert_int_eq(w.up.n_msgs, 0);
	world_free(&w);
}
END_TEST

START_TEST(test_require_tls)
{
	struct world w;
	world_init(&w);
	w.cfg->smtp.require_tls = true;
	world_start(&w);
	says(&w, EHLO MAIL_CORP);
	ck_codes(&w, "220 250 530");
	world_free(&w);
}
END_TEST

/* --------------------------------------------------------- smuggling */

/* Each variant sits between two parts of the body; a smuggled transaction
 * follows. None may end DATA. */
static const char *smuggle_variants[] = {
	"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r\n.\r", "\n.\r",
};

/* The smuggling payload is fed split at every offset (step 2 + the ends). */
static size_t smuggle_msg(char *msg, size_t cap, int v)
{
	return (size_t)snprintf(msg, cap,
		 "Subject: a\r\n\r\nbody%sMAIL FROM:<evil@corp.example>\r\n"
		 "RCPT TO:<victim@external.example>\r\nDATA\r\nforged\r\n.\r\n",
		 smuggle_variants[v]);
}

START_TEST(test_smuggling_rejected)
{
	char msg[512];
	size_t len = smuggle_msg(msg, sizeof(msg), _i);
	for (size_t k = 0; k <= len; k += (k + 2 < len ? 2 : 1)) {
		struct world w;
		world_init(&w);
		world_start(&w);
		says(&w, EHLO MAIL_CORP RCPT_EXT "DATA\r\n");
		say(&w, msg, k);
		say(&w, msg + k, len - k);
		ck_codes(&w, "220 250 250 250 354 521");
		ck_assert(w.down_close);
		ck_assert_int_eq(w.up.n_msgs, 0);
		ck_assert_int_eq(w.up.n_mail, 1);
		ck_assert(!up_saw(&w, "evil@"));
		world_free(&w);
	}
}
END_TEST

START_TEST(test_smuggling_normalized)
{
	char msg[512];
	size_t len = smuggle_msg(msg, sizeof(msg), _i);
	for (size_t k = 0; k <= len; k += (k + 2 < len ? 2 : 1)) {
		struct world w;
		world_init(&w);
		w.cfg->smtp.bare_lf = CFG_BARE_LF_NORMALIZE;
		world_start(&w);
		says(&w, EHLO MAIL_CORP RCPT_EXT "DATA\r\n");
		say(&w, msg, k);
		say(&w, msg + k, len - k);
		ck_codes(&w, "220 250 250 250 354 250");
		/* one message; the smuggled commands are message text, dot-stuffed */
		ck_assert_int_eq(w.up.n_msgs, 1);
		ck_assert_int_eq(w.up.n_mail, 1);
		ck_assert(memmem(iobuf_head(&w.up.last_msg), iobuf_used(&w.up.last_msg),
				 "MAIL FROM:<evil@corp.example>\r\n", 31));
		/* bare line ends became CRLF; no bare CR or LF reached the upstream */
		const uint8_t *m = iobuf_head(&w.up.last_msg);
		size_t n = iobuf_used(&w.up.last_msg);
		for (size_t i = 0; i < n; i++) {
			if (m[i] == '\n')
				ck_assert(i > 0 && m[i - 1] == '\r');
			if (m[i] == '\r')
				ck_assert(i + 1 < n && m[i + 1] == '\n');
		}
		world_free(&w);
	}
}
END_TEST

/* ------------------------------------------ pipelining, every split */

static const char pipelined[] =
	EHLO
	"MAIL FROM:<alice@corp.example> BODY=8BITMIME\r\n"
	"RCPT TO:<bob@external.example>\r\n"
	"RCPT TO:<unknown@external.example>\r\n"
	"RCPT TO:<carol@external.example>\r\n"
	"DATA\r\n"
	"From: alice@corp.example\r\nSubject: hi\r\n\r\n"
	"..leading dot\r\nline two\r\n"
	".\r\n"
	"MAIL FROM:<alice@corp.example>\r\n"
	"RCPT TO:<dave@external.example>\r\n"
	"BDAT 20\r\n"
	"Subject: two\r\n\r\nabcd"
	"BDAT 0 LAST\r\n"
	"NOOP\r\n"
	"QUIT\r\n";

START_TEST(test_pipelined_every_split)
{
	const size_t len = sizeof(pipelined) - 1;
	char ref_codes[512] = "";
	struct iobuf ref_msg = { 0 };

	for (size_t k = 0; k <= len; k += 1) {
		struct world w;
		world_init(&w);
		world_start(&w);
		say(&w, pipelined, k);
		say(&w, pipelined + k, len - k);
		char b[512];
		codes(&w, b, sizeof(b));
		ck_assert_msg(strcmp(b, "220 250 250 250 550 250 354 250 250 250 250 250 250 221") == 0,
			      "split %zu: %s", k, b);
		ck_assert_int_eq(w.up.n_msgs, 2);
		if (k == 0) {
			strcpy(ref_codes, b);
			iobuf_append(&ref_msg, iobuf_head(&w.up.transcript),
				     iobuf_used(&w.up.transcript), 1u << 20);
		} else {
			ck_assert_uint_eq(iobuf_used(&ref_msg), iobuf_used(&w.up.transcript));
			ck_assert(memcmp(iobuf_head(&ref_msg), iobuf_head(&w.up.transcript),
					 iobuf_used(&ref_msg)) == 0);
		}
		ck_assert_int_eq(w.up.n_mail, 2);
		ck_assert_int_eq(w.n_connect, 1);
		world_free(&w);
	}
	iobuf_free(&ref_msg);
}
END_TEST

/* ------------------------------------------------ upstream failures */

struct fail_case {
	enum fstep step;
	enum fmode mode;
	const char *expect; /* after EHLO, one message attempt, QUIT */
	int msgs;
};

/* Script: EHLO, MAIL, RCPT, DATA, message, ".", QUIT (pipelined as a
 * careful client would: each command after the previous reply). */
static const struct fail_case fail_cases[] = {
	{ F_CONNECT, FM_5XX, "220 250 451 503 503 221", 0 },
	{ F_GREETING, FM_5XX, "220 250 451 503 503 221", 0 },
	{ F_GREETING, FM_421, "220 250 451 503 503 221", 0 },
	{ F_EHLO, FM_4XX, "220 250 451 503 503 221", 0 },
	{ F_EHLO, FM_CLOSE, "220 250 451 503 503 221", 0 },
	{ F_MAIL, FM_4XX, "220 250 451 503 503 221", 0 },
	{ F_MAIL, FM_5XX, "220 250 554 503 503 221", 0 },
	{ F_MAIL, FM_CLOSE, "220 250 451 503 503 221", 0 },
	{ F_MAIL, FM_421, "220 250 451 503 503 221", 0 },
	{ F_RCPT, FM_4XX, "220 250 250 451 554 221", 0 },
	{ F_RCPT, FM_5XX, "220 250 250 554 554 221", 0 },
	{ F_RCPT, FM_CLOSE, "220 250 250 451 554 221", 0 },
	{ F_DATA, FM_5XX, "220 250 250 250 354 554 221", 0 },
	{ F_DATA, FM_4XX, "220 250 250 250 354 451 221", 0 },
	{ F_DATA, FM_CLOSE, "220 250 250 250 354 451 221", 0 },
	{ F_FINAL, FM_4XX, "220 250 250 250 354 451 221", 1 },
	{ F_FINAL, FM_5XX, "220 250 250 250 354 554 221", 1 },
	{ F_FINAL, FM_CLOSE, "220 250 250 250 354 451 221", 1 },
	{ F_FINAL, FM_421, "220 250 250 250 354 451 221", 1 },
};

START_TEST(test_upstream_failures)
{
	const struct fail_case *c = &fail_cases[_i];
	struct world w;
	char b[512];

	world_init(&w);
	w.up.fail_step = c->step;
	w.up.fail_mode = c->mode;
	world_start(&w);
	says(&w, EHLO);
	says(&w, MAIL_CORP);
	says(&w, RCPT_EXT);
	says(&w, "DATA\r\n");
	codes(&w, b, sizeof(b));
	if (strstr(b, "354")) {
		says(&w, "Subject: x\r\n\r\n" CLEAN_BODY);
		says(&w, ".\r\n");
	}
	says(&w, "QUIT\r\n");
	codes(&w, b, sizeof(b));
	ck_assert_msg(strcmp(b, c->expect) == 0, "case %d: got %s want %s", _i, b, c->expect);
	ck_assert_int_eq(w.up.n_msgs, c->msgs);
	/* never a 250 for a message the upstream did not accept */
	world_free(&w);
}
END_TEST

START_TEST(test_upstream_silent_timeouts)
{
	static const enum fstep steps[] = { F_GREETING, F_MAIL, F_RCPT, F_DATA, F_FINAL };
	static const char *expect[] = {
		"220 250 451", "220 250 451", "220 250 250 451", "220 250 250 250 354 451",
		"220 250 250 250 354 451",
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct world w;
		char b[256];
		world_init(&w);
		w.up.fail_step = steps[i];
		w.up.fail_mode = FM_SILENT;
		world_start(&w);
		says(&w, EHLO);
		if (steps[i] == F_GREETING) {
			/* EHLO waits for the upstream; its timeout releases it */
			ck_codes(&w, "220");
			w.now += 121000;
			smtp_proxy_timer(w.p, w.now);
			pump(&w);
			w.up.fail_step = F_CONNECT;
			w.up.fail_mode = FM_5XX;
			says(&w, MAIL_CORP);
		} else {
			says(&w, MAIL_CORP);
			codes(&w, b, sizeof(b));
			if (strcmp(b, "220 250 250") == 0) {
				says(&w, RCPT_EXT);
				codes(&w, b, sizeof(b));
				if (strcmp(b, "220 250 250 250") == 0) {
					says(&w, "DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n");
				}
			}
			ck_assert_uint_le(smtp_proxy_next_timeout(w.p), w.now + 120000);
			w.now += 121000;
			smtp_proxy_timer(w.p, w.now);
			pump(&w);
		}
		codes(&w, b, sizeof(b));
		ck_assert_msg(strcmp(b, expect[i]) == 0, "step %zu: %s", i, b);
		world_free(&w);
	}
}
END_TEST

START_TEST(test_upstream_connect_timeout)
{
	struct world w;
	world_init(&w);
	w.connect_hangs = true;
	world_start(&w);
	says(&w, EHLO);
	ck_codes(&w, "220");
	/* timeouts.connect (30 s), not the upstream's 120 s */
	ck_assert_uint_eq(smtp_proxy_next_timeout(w.p), w.now + 30000);
	w.now += 29000;
	smtp_proxy_timer(w.p, w.now);
	pump(&w);
	ck_codes(&w, "220");
	w.now += 1000;
	smtp_proxy_timer(w.p, w.now);
	pump(&w);
	ck_codes(&w, "220 250");
	says(&w, MAIL_CORP);
	w.now += 30000;
	smtp_proxy_timer(w.p, w.now);
	pump(&w);
	ck_codes(&w, "220 250 451");
	world_free(&w);
}
END_TEST

START_TEST(test_reconnect_after_broken_connection)
{
	struct world w;
	world_init(&w);
	w.up.fail_step = F_RCPT;
	w.up.fail_mode = FM_CLOSE;
	world_start(&w);
	says(&w, EHLO MAIL_CORP RCPT_EXT);
	ck_codes(&w, "220 250 250 451");
	says(&w, "RSET\r\n");
	/* the next transaction gets a fresh connection at once */
	w.up.fail_step = F_NONE;
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	ck_codes(&w, "220 250 250 451 250 250 250 354 250");
	ck_assert_int_eq(w.n_connect, 2);
	ck_assert_int_eq(w.up.n_msgs, 1);
	world_free(&w);
}
END_TEST

START_TEST(test_upstream_without_pipelining)
{
	struct world w;
	world_init(&w);
	w.up.pipelining = false;
	w.up.chunking = true; /* CHUNKING alone is not used without PIPELINING */
	world_start(&w);
	says(&w, EHLO MAIL_CORP RCPT_EXT "RCPT TO:<unknown@external.example>\r\n"
		 "RCPT TO:<carol@external.example>\r\nDATA\r\n");
	says(&w, "Subject: np\r\n\r\n" CLEAN_BODY ".\r\nQUIT\r\n");
	ck_codes(&w, "220 250 250 250 550 250 354 250 221");
	ck_assert(up_saw(&w, "DATA\r\n"));
	ck_assert(!up_saw(&w, "BDAT"));
	world_free(&w);
}
END_TEST

START_TEST(test_many_pipelined_recipients)
{
	struct world w;
	struct iobuf in = { 0 };
	world_init(&w);
	w.cfg->smtp.max_recipients = 300;
	world_start(&w);
	iobuf_append(&in, EHLO MAIL_CORP, strlen(EHLO MAIL_CORP), 1u << 20);
	for (int i = 0; i < 250; i++) {
		char r[64];
		int n = snprintf(r, sizeof(r), "RCPT TO:<r%d@external.example>\r\n", i);
		iobuf_append(&in, r, (size_t)n, 1u << 20);
	}
	iobuf_append(&in, "DATA\r\n", 6, 1u << 20);
	say(&w, (const char *)iobuf_head(&in), iobuf_used(&in));
	says(&w, "Subject: many\r\n\r\nhi\r\n.\r\n");
	char b[4096];
	codes(&w, b, sizeof(b));
	/* 220, EHLO, MAIL, 250 x RCPT, 354, final */
	int n250 = 0;
	for (char *q = b; (q = strstr(q, "250")) != NULL; q++)
		n250++;
	ck_assert_int_eq(n250, 1 + 1 + 250 + 1);
	ck_assert(strstr(b, "354 250") != NULL);
	ck_assert_int_eq(w.up.n_rcpt, 250);
	ck_assert_int_eq(w.up.n_msgs, 1);
	iobuf_free(&in);
	world_free(&w);
}
END_TEST

START_TEST(test_buffer_pool_exhausted)
{
	/* one chunk for the whole lcore: a larger message is temp-failed, the
	 * session goes on, a small one passes */
	struct world w;
	static char big[40000];
	world_init(&w);
	w.pool = msgbuf_pool_create(1, 0);
	world_start(&w);
	says(&w, EHLO MAIL_CORP RCPT_EXT "DATA\r\nSubject: big\r\n\r\n");
	memset(big, 'b', sizeof(big));
	for (size_t i = 70; i < sizeof(big); i += 72)
		memcpy(big + i - 2, "\r\n", 2);
	say(&w, big, sizeof(big) - 2);
	says(&w, "\r\n.\r\n");
	ck_codes(&w, "220 250 250 250 354 451");
	ck_assert_int_eq(w.up.n_msgs, 0);
	ck_assert_uint_eq(msgbuf_pool_in_use(w.pool), 0);
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	ck_codes(&w, "220 250 250 250 354 451 250 250 354 250");
	ck_assert_int_eq(w.up.n_msgs, 1);
	world_free(&w);
}
END_TEST

START_TEST(test_ehlo_fallback_helo)
{
	struct world w;
	world_init(&w);
	w.up.fail_step = F_EHLO;
	w.up.fail_mode = FM_5XX;
	world_start(&w);
	says(&w, EHLO);
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	ck_codes(&w, "220 250 250 250 354 250");
	ck_assert_int_eq(w.up.n_helo, 1);
	ck_assert_int_eq(w.up.n_msgs, 1);
	world_free(&w);
}
END_TEST

START_TEST(test_sender_gone_mid_relay)
{
	struct world w;
	world_init(&w);
	w.up.fail_step = F_FINAL;
	w.up.fail_mode = FM_SILENT;
	world_start(&w);
	says(&w, EHLO);
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	ck_codes(&w, "220 250 250 250 354");
	smtp_proxy_down_closed(w.p, w.now);
	pump(&w);
	ck_assert(!w.up_conn); /* upstream dropped: no delivery the sender will repeat */
	ck_assert(smtp_proxy_done(w.p));
	world_free(&w);
}
END_TEST

/* The sender's side ends while DATA waits for the upstream's 354 (what a
 * failed or closed downstream TLS does: the server shuts down and resets
 * the transaction). A QUIT now would be read as message text once the 354
 * comes: the upstream connection is dropped instead, nothing delivered. */
START_TEST(test_sender_side_shut_mid_relay)
{
	struct world w;
	world_init(&w);
	w.up.fail_step = F_DATA;
	w.up.fail_mode = FM_SILENT;
	world_start(&w);
	says(&w, EHLO);
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	ck_codes(&w, "220 250 250 250 354");
	ck_assert(up_saw(&w, "DATA\r\n"));
	ck_assert(w.up_conn);
	/* as down_tls_check() does on a TLS failure (the server is the proxy's) */
	smtp_server_shutdown((struct smtp_server *)smtp_proxy_server(w.p), "4.7.0",
			     "Error: TLS failed");
	smtp_proxy_timer(w.p, w.now);
	pump(&w);
	ck_assert(!up_saw(&w, "QUIT"));
	ck_assert(!up_saw(&w, "RSET"));
	ck_assert(!w.up_conn); /* dropped mid-message */
	ck_assert_int_eq(w.up.n_msgs, 0);
	ck_assert(smtp_proxy_done(w.p));
	world_free(&w);
}
END_TEST

/* A header-looking line pipelined behind MAIL: the goodbye waits for the
 * MAIL reply (replies in command order). */
START_TEST(test_goodbye_after_owed_reply)
{
	struct world w;
	world_init(&w);
	world_start(&w);
	says(&w, EHLO MAIL_CORP "X-Foo: bar\r\n");
	ck_codes(&w, "220 250 250 221");
	ck_assert(w.down_close);
	world_free(&w);
}
END_TEST

/* ORCPT relayed upstream only when its addr-type is an atom and its
 * address xtext (no bare CR inside the relayed RCPT line). */
START_TEST(test_orcpt_addr_type_checked)
{
	struct world w;
	world_init(&w);
	w.up.dsn = true;
	world_start(&w);
	says(&w, EHLO MAIL_CORP);
	says(&w, "RCPT TO:<bob@external.example> ORCPT=x\ry;bob@external.example\r\n");
	says(&w, "RCPT TO:<bob@external.example> ORCPT=rfc822;bob@external.example\r\n");
	ck_codes(&w, "220 250 250 501 250");
	ck_assert_int_eq(w.up.n_rcpt, 1);
	ck_assert(!up_saw(&w, "x\ry"));
	world_free(&w);
}
END_TEST

/* ----------------------------------------------------------- actions */

START_TEST(test_action_block)
{
	struct world w;
	world_init(&w);
	world_start(&w);
	says(&w, EHLO);
	send_msg(&w, "MAIL FROM:<eve@block.example>\r\n", SEED_BODY);
	ck_codes(&w, "220 250 250 250 354 550");
	ck_assert(sender_saw(&w, "550 5.7.1 Message refused by data-loss-prevention policy \"Block customer data\"\r\n"));
	ck_assert_int_eq(w.up.n_msgs, 0);
	ck_assert_int_eq(w.n_inc, 1);
	ck_assert_int_eq(w.inc[0].action, CFG_ACTION_BLOCK);
	ck_assert_str_eq(w.inc[0].policy, "Block customer data");
	ck_assert_uint_eq(w.inc[0].reply_code, 550);
	ck_assert_uint_eq(w.inc[0].n_rcpts, 1);
	/* the upstream transaction is reset, the connection reused */
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	ck_codes(&w, "220 250 250 250 354 550 250 250 354 250");
	ck_assert_int_eq(w.up.n_rset, 1);
	ck_assert_int_eq(w.n_connect, 1);
	ck_assert_int_eq(w.up.n_msgs, 1);
	world_free(&w);
}
END_TEST

START_TEST(test_action_block_custom_text)
{
	struct world w;
	world_init(&w);
	w.cfg->smtp.block_reply = (char *)"Blocked by %p; call x1234";
	world_start(&w);
	says(&w, EHLO);
	send_msg(&w, "MAIL FROM:<eve@block.example>\r\n", SEED_BODY);
	ck_assert(sender_saw(&w, "550 5.7.1 Blocked by Block customer data; call x1234\r\n"));
	world_free(&w);
}
END_TEST

static void check_relayed_with(struct world *w, const char *orig, size_t orig_len,
			       const char *added)
{
	const char *m = (const char *)iobuf_head(&w->up.last_msg);
	size_t n = iobuf_used(&w->up.last_msg);
	const char *ih = "X-SMTPDLP-Inspected: dlp-gw1.corp.example; id=";
	ck_assert_uint_ge(n, strlen(ih));
	ck_assert(strncmp(m, ih, strlen(ih)) == 0);
	const char *e = memchr(m, '\n', n);
	ck_assert_ptr_nonnull(e);
	size_t hl = (size_t)(e + 1 - m);
	size_t al = added ? strlen(added) : 0;
	ck_assert_uint_eq(n, hl + al + orig_len);
	if (added)
		ck_assert(memcmp(m + hl, added, al) == 0);
	ck_assert(memcmp(m + hl + al, orig, orig_len) == 0);
}

#define HDRS "From: alice@corp.example\r\nTo: bob@external.example\r\nSubject: test\r\n\r\n"

START_TEST(test_action_add_header)
{
	struct world w;
	world_init(&w);
	world_start(&w);
	says(&w, EHLO);
	send_msg(&w, MAIL_CORP, SEED_BODY);
	ck_codes(&w, "220 250 250 250 354 250");
	ck_assert_int_eq(w.up.n_msgs, 1);
	check_relayed_with(&w, HDRS SEED_BODY, strlen(HDRS SEED_BODY),
			   "X-DLP-Hold: Customer email Hold\r\n");
	ck_assert_int_eq(w.n_inc, 1);
	ck_assert_int_eq(w.inc[0].action, CFG_ACTION_ADD_HEADER);
	ck_assert_str_eq(w.inc[0].policy, "Customer email Hold");
	ck_assert_uint_eq(w.inc[0].upstream_code, 250);
	world_free(&w);
}
END_TEST

START_TEST(test_add_header_replaces_existing)
{
	struct world w;
	world_init(&w);
	world_start(&w);
	says(&w, EHLO MAIL_CORP RCPT_EXT "DATA\r\n");
	says(&w, "X-DLP-Hold: forged\r\n\tfolded continuation\r\n"
		 "From: alice@corp.example\r\n"
		 "x-dlp-hold : second forged\r\n"
		 "X-SMTPDLP-Inspected: spoofed\r\n"
		 "Subject: s\r\n\r\n" SEED_BODY "X-DLP-Hold: in the body stays\r\n.\r\n");
	ck_codes(&w, "220 250 250 250 354 250");
	check_relayed_with(&w,
			   "From: alice@corp.example\r\nSubject: s\r\n\r\n" SEED_BODY
			   "X-DLP-Hold: in the body stays\r\n",
			   strlen("From: alice@corp.example\r\nSubject: s\r\n\r\n" SEED_BODY
				  "X-DLP-Hold: in the body stays\r\n"),
			   "X-DLP-Hold: Customer email Hold\r\n");
	world_free(&w);
}
END_TEST

/* A header whose name is longer than any the appliance owns is still a
 * header to the next hop, and a malformed line may be skipped by a lenient
 * one: the owned headers after either must go too (they used to survive
 * behind a 200-byte name, so a sender could forge the hold and inspected
 * headers); the body is left alone. */
START_TEST(test_owned_headers_after_long_name)
{
	struct world w;
	char longhdr[300];
	world_init(&w);
	world_start(&w);
	memset(longhdr, 'a', sizeof(longhdr));
	memcpy(longhdr, "X-", 2);
	memcpy(longhdr + 202, ": v\r\n", 6);
	longhdr[208] = '\0';
	says(&w, EHLO MAIL_CORP RCPT_EXT "DATA\r\n");
	says(&w, longhdr);
	says(&w, "X-DLP-Hold: forged\r\n"
		 "Not a header line\r\n"
		 "X-SMTPDLP-Inspected: spoofed\r\n"
		 "Subject: s\r\n\r\nclean\r\nX-DLP-Hold: in the body stays\r\n.\r\n");
	ck_codes(&w, "220 250 250 250 354 250");
	const char *m = (const char *)iobuf_head(&w.up.last_msg);
	size_t n = iobuf_used(&w.up.last_msg);
	ck_assert_ptr_null(memmem(m, n, "forged", 6));
	ck_assert_ptr_null(memmem(m, n, "spoofed", 7));
	ck_assert_ptr_nonnull(memmem(m, n, longhdr, strlen(longhdr)));
	ck_assert_ptr_nonnull(memmem(m, n, "Not a header line\r\n", 19));
	ck_assert_ptr_nonnull(memmem(m, n, "X-DLP-Hold: in the body stays", 29));
	world_free(&w);
}
END_TEST

START_TEST(test_action_quarantine)
{
	struct world w;
	world_init(&w);
	world_start(&w);
	says(&w, EHLO);
	send_msg(&w, "MAIL FROM:<quinn@q.example>\r\n", SEED_BODY);
	ck_codes(&w, "220 250 250 250 354 250");
	ck_assert(sender_saw(&w, "250 2.0.0 Ok: queued as "));
	ck_assert_int_eq(w.up.n_msgs, 0);
	ck_assert_int_eq(w.n_quarantined, 1);
	ck_assert_str_eq(w.q_from, "quinn@q.example");
	ck_assert_uint_eq(w.q_rcpts, 1);
	ck_assert_uint_eq(iobuf_used(&w.q_msg), strlen(HDRS SEED_BODY));
	ck_assert(memcmp(iobuf_head(&w.q_msg), HDRS SEED_BODY, strlen(HDRS SEED_BODY)) == 0);
	ck_assert_int_eq(w.n_inc, 1);
	ck_assert_int_eq(w.inc[0].action, CFG_ACTION_QUARANTINE);
	world_free(&w);
}
END_TEST

START_TEST(test_quarantine_store_failure)
{
	struct world w;
	world_init(&w);
	w.quarantine_fail = 1;
	world_start(&w);
	says(&w, EHLO);
	send_msg(&w, "MAIL FROM:<quinn@q.example>\r\n", SEED_BODY);
	ck_codes(&w, "220 250 250 250 354 451");
	ck_assert_int_eq(w.up.n_msgs, 0);
	world_free(&w);
}
END_TEST

START_TEST(test_action_alert_and_clean)
{
	struct world w;
	world_init(&w);
	world_start(&w);
	says(&w, EHLO);
	send_msg(&w, "MAIL FROM:<al@alert.example>\r\n", SEED_BODY);
	ck_codes(&w, "220 250 250 250 354 250");
	check_relayed_with(&w, HDRS SEED_BODY, strlen(HDRS SEED_BODY), NULL);
	ck_assert_int_eq(w.n_inc, 1);
	ck_assert_int_eq(w.inc[0].action, CFG_ACTION_ALERT);
	ck_assert_str_eq(w.inc[0].policy, "Alert customer data");
	/* one keyword only: below the low threshold, plain allow, no incident */
	send_msg(&w, MAIL_CORP, "Dear Customer, hello.\r\n");
	ck_codes(&w, "220 250 250 250 354 250 250 250 354 250");
	check_relayed_with(&w, HDRS "Dear Customer, hello.\r\n",
			   strlen(HDRS "Dear Customer, hello.\r\n"), NULL);
	ck_assert_int_eq(w.n_inc, 1);
	ck_assert_int_eq(w.n_connect, 1);
	world_free(&w);
}
END_TEST

/* ----------------------------------------------------- byte exactness */

static const char tricky[] =
	"From: alice@corp.example\r\n"
	"Subject: =?UTF-8?B?w6TDtsO8?=\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	".starts with a dot\r\n"
	"..two dots\r\n"
	".\t.\r\n"
	"\xc3\xa4\xc3\xb6\xc3\xbc 8-bit\r\n"
	"\r\n\r\n"
	"trailing spaces   \r\n"
	"x\r\n";

static void stuffed(const char *in, size_t n, struct iobuf *out)
{
	bool bol = true;
	for (size_t i = 0; i < n; i++) {
		if (bol && in[i] == '.')
			iobuf_append(out, ".", 1, 1u << 20);
		iobuf_append(out, in + i, 1, 1u << 20);
		bol = in[i] == '\n';
	}
}

START_TEST(test_byte_exact)
{
	/* _i: bit 0 = sender uses BDAT, bit 1 = upstream offers CHUNKING */
	struct world w;
	world_init(&w);
	w.up.chunking = (_i & 2) != 0;
	world_start(&w);
	says(&w, EHLO MAIL_CORP RCPT_EXT);
	if (_i & 1) {
		char h[32];
		snprintf(h, sizeof(h), "BDAT %zu LAST\r\n", sizeof(tricky) - 1);
		says(&w, h);
		say(&w, tricky, sizeof(tricky) - 1);
		ck_codes(&w, "220 250 250 250 250");
	} else {
		struct iobuf s = { 0 };
		says(&w, "DATA\r\n");
		stuffed(tricky, sizeof(tricky) - 1, &s);
		say(&w, (const char *)iobuf_head(&s), iobuf_used(&s));
		says(&w, ".\r\n");
		iobuf_free(&s);
		ck_codes(&w, "220 250 250 250 354 250");
	}
	check_relayed_with(&w, tricky, sizeof(tricky) - 1, NULL);
	ck_assert(up_saw(&w, (_i & 2) ? "BDAT " : "DATA\r\n"));
	world_free(&w);
}
END_TEST

START_TEST(test_bdat_paths)
{
	struct world w;
	world_init(&w);
	world_start(&w);
	says(&w, EHLO MAIL_CORP RCPT_EXT);
	says(&w, "BDAT 9\r\nSubject: ");
	says(&w, "BDAT 6\r\nhi\r\n\r\n");
	says(&w, "BDAT 0 LAST\r\n");
	ck_codes(&w, "220 250 250 250 250 250 250");
	check_relayed_with(&w, "Subject: hi\r\n\r\n", 15, NULL);
	/* BDAT without a transaction: chunk read and refused, still in sync */
	says(&w, "BDAT 5\r\nQUIT\r");
	says(&w, "NOOP\r\n");
	ck_codes(&w, "220 250 250 250 250 250 250 503 250");
	/* DATA after BDAT, BDAT after DATA */
	says(&w, MAIL_CORP RCPT_EXT "BDAT 3\r\nabc" "DATA\r\n");
	ck_codes(&w, "220 250 250 250 250 250 250 503 250 250 250 250 503");
	says(&w, "RSET\r\n" MAIL_CORP RCPT_EXT "DATA\r\n" "Subject: y\r\n\r\n.\r\n");
	ck_codes(&w, "220 250 250 250 250 250 250 503 250 250 250 250 503 250 250 250 354 250");
	/* bad size: cannot stay in sync, session ends */
	says(&w, "BDAT x\r\n");
	ck_assert(w.down_close);
	world_free(&w);
}
END_TEST

START_TEST(test_bdat_bare_line_ends)
{
	/* _i = 0 reject, 1 normalize */
	struct world w;
	static const char body[] = "Subject: b\n\nx\n.\r\nMAIL FROM:<evil@corp.example>\r\ny\r";
	world_init(&w);
	w.cfg->smtp.bare_lf = _i ? CFG_BARE_LF_NORMALIZE : CFG_BARE_LF_REJECT;
	world_start(&w);
	says(&w, EHLO MAIL_CORP RCPT_EXT);
	char h[32];
	snprintf(h, sizeof(h), "BDAT %zu LAST\r\n", sizeof(body) - 1);
	says(&w, h);
	say(&w, body, sizeof(body) - 1);
	says(&w, "NOOP\r\n");
	if (_i == 0) {
		ck_codes(&w, "220 250 250 250 550 250");
		ck_assert_int_eq(w.up.n_msgs, 0);
	} else {
		ck_codes(&w, "220 250 250 250 250 250");
		const char *want = "Subject: b\r\n\r\nx\r\n.\r\nMAIL FROM:<evil@corp.example>\r\ny\r\n";
		check_relayed_with(&w, want, strlen(want), NULL);
		/* relayed with DATA: the lone dot line went dot-stuffed */
		ck_assert(up_saw(&w, "\r\n..\r\nMAIL FROM:<evil@"));
		ck_assert_int_eq(w.up.n_mail, 1);
	}
	world_free(&w);
}
END_TEST

START_TEST(test_bare_lf_normalized_content)
{
	struct world w;
	world_init(&w);
	w.cfg->smtp.bare_lf = CFG_BARE_LF_NORMALIZE;
	world_start(&w);
	says(&w, EHLO MAIL_CORP RCPT_EXT "DATA\r\n");
	says(&w, "Subject: x\n\nline one\nline two\r\n.\r\n");
	ck_codes(&w, "220 250 250 250 354 250");
	check_relayed_with(&w, "Subject: x\r\n\r\nline one\r\nline two\r\n",
			   strlen("Subject: x\r\n\r\nline one\r\nline two\r\n"), NULL);
	world_free(&w);
}
END_TEST

/* ------------------------------------------- asynchronous scan backend */

struct fake_scan {
	int fail_feed;
	bool unscannable;
	bool async;
	void *pending;
	int n_abort;
	struct dlp_verdict v;
};

static void *fs_begin(void *ctx, const struct dlp_envelope *env)
{
	return ctx;
}
static int fs_feed(void *ctx, void *h, const void *d, size_t n)
{
	struct fake_scan *f = ctx;
	return f->fail_feed ? -EIO : 0;
}
static int fs_end(void *ctx, void *h, struct dlp_verdict **out)
{
	struct fake_scan *f = ctx;
	if (f->async) {
		f->pending = h;
		return -EINPROGRESS;
	}
	struct dlp_verdict *v = calloc(1, sizeof(*v));
	v->unscannable = f->unscannable;
	*out = v;
	return 0;
}
static void fs_abort(void *ctx, void *h)
{
	((struct fake_scan *)ctx)->n_abort++;
}
static void fs_release(void *ctx, struct dlp_verdict *v)
{
	free(v);
}
static const struct smtp_scan_ops fs_ops = { fs_begin, fs_feed, fs_end, fs_abort, fs_release, NULL };

/* A ring-like backend: the worker may still read chunks after a cancel. */
static struct msgbuf detached;
static int n_detach;
static void fs_detach(void *ctx, void *h, struct msgbuf chunks)
{
	n_detach++;
	detached = chunks; /* given back later, as a worker ack would */
}
static const struct smtp_scan_ops fs_ring_ops = { fs_begin, fs_feed, fs_end, fs_abort, fs_release,
						  fs_detach };

static struct smtp_proxy *world_with_scan(struct world *w, struct fake_scan *fs)
{
	w->pool = msgbuf_pool_create(64, 8);
	struct smtp_proxy_params pp = {
		.cfg = w->cfg, .pool = w->pool, .scan_ops = &fs_ops, .scan_ctx = fs,
		.quarantine = &w_qops, .quarantine_ctx = w,
		.incident = w_incident, .incident_ctx = w,
	};
	w->p = smtp_proxy_create(&pp);
	ck_assert_ptr_nonnull(w->p);
	smtp_proxy_start(w->p, w->now);
	pump(w);
	w->ps = NULL;
	return w->p;
}

START_TEST(test_unscannable_choices)
{
	/* _i: 0 tempfail, 1 hold, 2 allow; scan errors and unscannable verdicts */
	static const char *expect[] = { "451", "250", "250" };
	for (int kind = 0; kind < 2; kind++) {
		struct world w;
		struct fake_scan fs = { 0 };
		world_init(&w);
		w.cfg->dlp.on_unscannable = (enum cfg_unscannable)_i;
		if (kind == 0)
			fs.fail_feed = 1;
		else
			fs.unscannable = true;
		world_with_scan(&w, &fs);
		says(&w, EHLO);
		send_msg(&w, MAIL_CORP, CLEAN_BODY);
		char want[64], b[256];
		snprintf(want, sizeof(want), "220 250 250 250 354 %s", expect[_i]);
		ck_assert_str_eq(codes(&w, b, sizeof(b)), want);
		ck_assert_int_eq(w.up.n_msgs, _i == 2 ? 1 : 0);
		ck_assert_int_eq(w.n_quarantined, _i == 1 ? 1 : 0);
		ck_assert_int_eq(w.n_inc, 1);
		ck_assert(w.inc[0].unscannable);
		smtp_proxy_destroy(w.p);
		w.p = NULL;
		msgbuf_pool_destroy(w.pool);
		w.pool = NULL;
		tcfg_free_terms(&w.tc);
		fu_free(&w.up);
		iobuf_free(&w.s_tx);
		iobuf_free(&w.s_rx);
		iobuf_free(&w.q_msg);
	}
}
END_TEST

START_TEST(test_async_verdict)
{
	struct world w;
	struct fake_scan fs = { .async = true };
	world_init(&w);
	world_with_scan(&w, &fs);
	says(&w, EHLO);
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	ck_codes(&w, "220 250 250 250 354");
	ck_assert_ptr_nonnull(fs.pending);
	/* the sender waits; pipelined commands are held */
	says(&w, "NOOP\r\n");
	ck_codes(&w, "220 250 250 250 354");
	struct dlp_verdict *v = calloc(1, sizeof(*v));
	smtp_proxy_verdict(w.p, v, 0, w.now);
	pump(&w);
	ck_codes(&w, "220 250 250 250 354 250 250");
	ck_assert_int_eq(w.up.n_msgs, 1);
	/* a verdict that never comes: temp-fail after the timeout */
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	w.now += 121000;
	smtp_proxy_timer(w.p, w.now);
	pump(&w);
	ck_codes(&w, "220 250 250 250 354 250 250 250 250 354 451");
	ck_assert_int_ge(fs.n_abort, 1);
	smtp_proxy_destroy(w.p);
	msgbuf_pool_destroy(w.pool);
	tcfg_free_terms(&w.tc);
	fu_free(&w.up);
	iobuf_free(&w.s_tx);
	iobuf_free(&w.s_rx);
	iobuf_free(&w.q_msg);
}
END_TEST

START_TEST(test_async_detach)
{
	struct world w;
	struct fake_scan fs = { .async = true };
	world_init(&w);
	w.pool = msgbuf_pool_create(64, 8);
	struct smtp_proxy_params pp = {
		.cfg = w.cfg, .pool = w.pool, .scan_ops = &fs_ring_ops, .scan_ctx = &fs,
	};
	w.p = smtp_proxy_create(&pp);
	smtp_proxy_start(w.p, w.now);
	pump(&w);
	n_detach = 0;
	says(&w, EHLO);
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	ck_codes(&w, "220 250 250 250 354");
	ck_assert_uint_eq(msgbuf_pool_in_use(w.pool), 1);
	/* the sender goes away while the worker still has the message */
	smtp_proxy_down_closed(w.p, w.now);
	pump(&w);
	ck_assert_int_eq(n_detach, 1);
	ck_assert_int_eq(fs.n_abort, 0);
	/* chunks stay out of the pool until the worker lets go */
	ck_assert_uint_eq(msgbuf_pool_in_use(w.pool), 1);
	ck_assert_uint_eq(msgbuf_len(&detached), strlen(HDRS CLEAN_BODY));
	smtp_proxy_destroy(w.p);
	msgbuf_reset(&detached);
	ck_assert_uint_eq(msgbuf_pool_in_use(w.pool), 0);
	/* a verdict timeout with a ring backend: acted on, handle kept until
	 * the message is reset, a late verdict is released */
	w.p = smtp_proxy_create(&pp);
	smtp_proxy_start(w.p, w.now);
	w.down_close = false;
	w.s_rx.off = w.s_rx.len = 0;
	pump(&w);
	says(&w, EHLO);
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	w.now += 121000;
	smtp_proxy_timer(w.p, w.now);
	pump(&w);
	ck_codes(&w, "220 250 250 250 354 451"); /* on_unscannable = tempfail */
	ck_assert_int_eq(n_detach, 2);
	msgbuf_reset(&detached);
	ck_assert_uint_eq(msgbuf_pool_in_use(w.pool), 0);
	smtp_proxy_destroy(w.p);
	msgbuf_pool_destroy(w.pool);
	tcfg_free_terms(&w.tc);
	fu_free(&w.up);
	iobuf_free(&w.s_tx);
	iobuf_free(&w.s_rx);
}
END_TEST

START_TEST(test_idle_memory)
{
	struct world w;
	world_init(&w);
	world_start(&w);
	says(&w, EHLO);
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	ck_codes(&w, "220 250 250 250 354 250");
	/* between messages: no buffers held, small fixed state */
	size_t m = smtp_proxy_memory(w.p);
	ck_assert_uint_le(m, 8192);
	ck_assert_uint_eq(msgbuf_pool_in_use(w.pool), 0);
	world_free(&w);
}
END_TEST

START_TEST(test_upstream_pool)
{
	struct world w;
	void *h;
	world_init(&w);
	w.upool = smtp_upool_create(2, 60000);
	ck_assert_ptr_nonnull(w.upool);
	world_start(&w);
	smtp_proxy_set_up_handle(w.p, (void *)0x77);
	says(&w, EHLO);
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	says(&w, "QUIT\r\n");
	ck_codes(&w, "220 250 250 250 354 250 221");
	ck_assert_int_eq(w.up.n_quit, 0); /* parked, not closed */
	ck_assert_uint_eq(smtp_upool_count(w.upool), 1);
	ck_assert(smtp_proxy_done(w.p));
	/* the next session takes it: no connect, no EHLO upstream */
	smtp_proxy_destroy(w.p);
	w.s_rx.off = w.s_rx.len = 0;
	w.down_close = false;
	world_session(&w, CFG_LISTEN_PLAIN);
	says(&w, EHLO);
	ck_assert_ptr_eq(smtp_proxy_up_handle(w.p), (void *)0x77);
	send_msg(&w, "MAIL FROM:<eve@block.example>\r\n", SEED_BODY);
	send_msg(&w, MAIL_CORP, CLEAN_BODY);
	says(&w, "QUIT\r\n");
	ck_codes(&w, "220 250 250 250 354 550 250 250 354 250 221");
	ck_assert_int_eq(w.n_connect, 1);
	ck_assert_int_eq(w.up.n_ehlo, 1);
	ck_assert_int_eq(w.up.n_msgs, 2);
	ck_assert_int_eq(w.up.n_rset, 1); /* after the blocked message */
	ck_assert_uint_eq(smtp_upool_count(w.upool), 1);
	/* idle expiry hands the handle back for closing */
	ck_assert(!smtp_upool_expire(w.upool, w.now + 1000, &h));
	ck_assert(smtp_upool_expire(w.upool, w.now + 60000, &h));
	ck_assert_ptr_eq(h, (void *)0x77);
	ck_assert_uint_eq(smtp_upool_count(w.upool), 0);
	ck_assert_int_eq(smtp_upool_drop(w.upool, (void *)0x77), -ENOENT);
	world_free(&w);
}
END_TEST

/* ----------------------------------------------- random sessions */

static const char *vocab[] = {
	EHLO, "HELO x\r\n", MAIL_CORP, "MAIL FROM:<eve@block.example>\r\n",
	"MAIL FROM:<q@q.example> SIZE=10\r\n", RCPT_EXT, "RCPT TO:<unknown@external.example>\r\n",
	"DATA\r\n", "BDAT 7\r\n", "BDAT 0 LAST\r\n", "BDAT 3 LAST\r\n", "RSET\r\n", "NOOP\r\n",
	"QUIT\r\n", "STARTTLS\r\n", "VRFY x\r\n", "\r\n", "\n", "\r", ".", ".\r\n", "\r\n.\r\n",
	"\n.\n", "Subject: x\r\n", SEED_BODY, "garbage \x00\xff bytes", "MAIL FROM:<a@b> BODY=8BITMIME\r\n",
	"RCPT TO:<r@external.example> NOTIFY=NEVER\r\n",
};

START_TEST(test_random_sessions)
{
	unsigned seed = (unsigned)_i * 2654435761u + 1;
	for (int round = 0; round < 20; round++) {
		struct world w;
		world_init(&w);
		seed = seed * 1103515245 + 12345;
		w.cfg->smtp.bare_lf = (seed >> 8) & 1 ? CFG_BARE_LF_NORMALIZE : CFG_BARE_LF_REJECT;
		seed = seed * 1103515245 + 12345;
		if ((seed >> 10) % 3 == 0) {
			w.up.fail_step = (enum fstep)((seed >> 12) % 9);
			w.up.fail_mode = (enum fmode)((seed >> 16) % 5);
		}
		w.up.chunking = (seed >> 20) & 1;
		world_start(&w);
		for (int k = 0; k < 40 && !w.down_close; k++) {
			seed = seed * 1103515245 + 12345;
			const char *t = vocab[(seed >> 16) % (sizeof(vocab) / sizeof(vocab[0]))];
			size_t n = strlen(t);
			if (strstr(t, "garbage"))
				n = 16;
			say(&w, t, n);
			if (((seed >> 8) & 15) == 0) {
				w.now += 200000;
				smtp_proxy_timer(w.p, w.now);
				pump(&w);
			}
		}
		/* no loss: every "queued as" the sender saw is a message the
		 * upstream accepted or the quarantine kept */
		int queued = 0;
		const uint8_t *h = iobuf_head(&w.s_rx);
		size_t len = iobuf_used(&w.s_rx);
		for (const uint8_t *q = h; (q = memmem(q, len - (size_t)(q - h), "queued as", 9)) != NULL; q++)
			queued++;
		ck_assert_int_le(queued, w.up.n_accepted + w.n_quarantined);
		char b[4096];
		ck_assert(strstr(codes(&w, b, sizeof(b)), "ERR") == NULL);
		smtp_proxy_down_closed(w.p, w.now);
		pump(&w);
		world_free(&w); /* asserts every message chunk went back to the pool */
	}
}
END_TEST

static Suite *proxy_suite(void)
{
	Suite *s = suite_create("smtp_proxy");
	TCase *tc = tcase_create("sessions");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_basic_session);
	tcase_add_test(tc, test_dsn_advertised_and_passed);
	tcase_add_test(tc, test_next_hop_caps_mirrored);
	tcase_add_test(tc, test_dsn_refused_without_upstream_dsn);
	tcase_add_loop_test(tc, test_command_table, 0, (int)(sizeof(cmd_cases) / sizeof(cmd_cases[0])));
	tcase_add_test(tc, test_error_limit);
	tcase_add_test(tc, test_long_command_line);
	tcase_add_test(tc, test_max_recipients);
	tcase_add_test(tc, test_max_size_in_data);
	tcase_add_test(tc, test_long_text_line);
	tcase_add_test(tc, test_command_timeout);
	tcase_add_test(tc, test_data_timeout);
	tcase_add_test(tc, test_require_tls);
	tcase_add_loop_test(tc, test_smuggling_rejected, 0,
			    (int)(sizeof(smuggle_variants) / sizeof(smuggle_variants[0])));
	tcase_add_loop_test(tc, test_smuggling_normalized, 0,
			    (int)(sizeof(smuggle_variants) / sizeof(smuggle_variants[0])));
	tcase_add_test(tc, test_pipelined_every_split);
	tcase_add_loop_test(tc, test_upstream_failures, 0, (int)(sizeof(fail_cases) / sizeof(fail_cases[0])));
	tcase_add_test(tc, test_upstream_silent_timeouts);
	tcase_add_test(tc, test_upstream_connect_timeout);
	tcase_add_test(tc, test_ehlo_fallback_helo);
	tcase_add_test(tc, test_buffer_pool_exhausted);
	tcase_add_test(tc, test_upstream_without_pipelining);
	tcase_add_test(tc, test_many_pipelined_recipients);
	tcase_add_test(tc, test_reconnect_after_broken_connection);
	tcase_add_test(tc, test_sender_gone_mid_relay);
	tcase_add_test(tc, test_sender_side_shut_mid_relay);
	tcase_add_test(tc, test_goodbye_after_owed_reply);
	tcase_add_test(tc, test_orcpt_addr_type_checked);
	tcase_add_test(tc, test_action_block);
	tcase_add_test(tc, test_action_block_custom_text);
	tcase_add_test(tc, test_action_add_header);
	tcase_add_test(tc, test_add_header_replaces_existing);
	tcase_add_test(tc, test_owned_headers_after_long_name);
	tcase_add_test(tc, test_action_quarantine);
	tcase_add_test(tc, test_quarantine_store_failure);
	tcase_add_test(tc, test_action_alert_and_clean);
	tcase_add_loop_test(tc, test_byte_exact, 0, 4);
	tcase_add_test(tc, test_bdat_paths);
	tcase_add_test(tc, test_bare_lf_normalized_content);
	tcase_add_loop_test(tc, test_bdat_bare_line_ends, 0, 2);
	tcase_add_loop_test(tc, test_unscannable_choices, 0, 3);
	tcase_add_test(tc, test_async_verdict);
	tcase_add_test(tc, test_async_detach);
	tcase_add_test(tc, test_idle_memory);
	tcase_add_test(tc, test_upstream_pool);
	tcase_add_loop_test(tc, test_random_sessions, 0, 50);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proxy_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
