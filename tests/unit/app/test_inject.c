/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_inject.c — the scripted sender for the appliance's own messages
 * (app/inject.h), against scripted proxy replies: the exact bytes it writes
 * (pipelined MAIL/RCPT/DATA, dot-stuffing, CRLF), its result on success and
 * on each failure, replies split at every byte, and the no-scan backend.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "app/inject.h"
#include "dlp/dlp.h"

/* Take everything the sender wants to write, as a string. */
static char *take(struct inject *in)
{
	const uint8_t *b;
	size_t n = inject_pending(in, &b);
	char *s = malloc(n + 1);

	memcpy(s, b, n);
	s[n] = '\0';
	inject_sent(in, n);
	return s;
}

static void feed_split(struct inject *in, const char *r, size_t split)
{
	size_t n = strlen(r);

	if (split > n)
		split = n;
	inject_input(in, (const uint8_t *)r, split);
	inject_input(in, (const uint8_t *)r + split, n - split);
}

static struct inject_job *job(const char *data, const char *r1, const char *r2)
{
	const char *rcpts[2] = { r1, r2 };
	return inject_job_create(INJECT_RELEASE, "alice@corp.example", rcpts, r2 ? 2 : 1, data,
				 strlen(data), "q1");
}

/* The whole conversation, with the server's replies split at `split`. */
static void conversation(size_t split)
{
	struct inject_job *j = job("Subject: t\n\n.hidden dot\nline\n..two\n", "b@x.example",
				   "c@x.example");
	struct inject *in = inject_create(j, "dlp.corp.example");
	char *w;

	ck_assert_ptr_nonnull(in);
	w = take(in);
	ck_assert_str_eq(w, ""); /* nothing before the greeting */
	free(w);
	feed_split(in, "220 dlp ESMTP\r\n", split);
	w = take(in);
	ck_assert_str_eq(w, "EHLO dlp.corp.example\r\n");
	free(w);
	feed_split(in, "250-dlp\r\n250-PIPELINING\r\n250 SIZE 1000\r\n", split);
	w = take(in);
	ck_assert_str_eq(w, "MAIL FROM:<alice@corp.example>\r\nRCPT TO:<b@x.example>\r\n"
			    "RCPT TO:<c@x.example>\r\nDATA\r\n");
	free(w);
	feed_split(in, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 no\r\n354 go\r\n", split);
	w = take(in);
	ck_assert_str_eq(w, "Subject: t\r\n\r\n..hidden dot\r\nline\r\n...two\r\n.\r\n");
	free(w);
	ck_assert(!inject_finished(in));
	feed_split(in, "250 2.0.0 queued as X\r\n", split);
	w = take(in);
	ck_assert_str_eq(w, "QUIT\r\n");
	free(w);
	feed_split(in, "221 bye\r\n", split);
	ck_assert(inject_finished(in));
	ck_assert_int_eq(j->code, 250);
	ck_assert_str_eq(j->text, "2.0.0 queued as X");
	inject_destroy(in);
	inject_job_free(j);
}

START_TEST(test_conversation_every_split)
{
	for (size_t split = 0; split < 40; split++)
		conversation(split);
}
END_TEST

/* Failures are recorded and the session is ended with QUIT. */
struct fail_case {
	const char *replies; /* after EHLO's 250 */
	int code;
	const char *text;
};

static const struct fail_case fails[] = {
	{ "550 5.7.1 sender refused\r\n550 5.1.1 no\r\n554 no valid recipients\r\n", 550,
	  "5.7.1 sender refused" },
	{ "250 ok\r\n550 5.1.1 unknown user\r\n554 no valid recipients\r\n", 550,
	  "5.1.1 unknown user" },
	{ "250 ok\r\n250 ok\r\n451 4.3.0 try later\r\n", 451, "4.3.0 try later" },
};

START_TEST(test_failures)
{
	const struct fail_case *fc = &fails[_i];
	struct inject_job *j = job("x\r\n", "b@x.example", NULL);
	struct inject *in = inject_create(j, NULL);
	char *w;

	inject_input(in, (const uint8_t *)"220 x\r\n250 x\r\n", 14);
	free(take(in));
	inject_input(in, (const uint8_t *)fc->replies, strlen(fc->replies));
	w = take(in);
	ck_assert_msg(strstr(w, "QUIT\r\n") != NULL, "no QUIT after failure: %s", w);
	ck_assert_msg(strstr(w, "\r\n.\r\n") == NULL, "message sent after failure");
	free(w);
	inject_input(in, (const uint8_t *)"221 x\r\n", 7);
	ck_assert(inject_finished(in));
	ck_assert_int_eq(j->code, fc->code);
	ck_assert_str_eq(j->text, fc->text);
	inject_destroy(in);
	inject_job_free(j);
}
END_TEST

START_TEST(test_proxy_gone_and_garbage)
{
	struct inject_job *j = job("x", "b@x.example", NULL);
	struct inject *in = inject_create(j, NULL);

	inject_input(in, (const uint8_t *)"220 x\r\n", 7);
	inject_fail(in, "session ended");
	ck_assert(inject_finished(in));
	ck_assert_int_eq(j->code, 0);
	ck_assert_str_eq(j->text, "session ended");
	inject_destroy(in);

	in = inject_create(j, NULL);
	inject_input(in, (const uint8_t *)"hello\r\n", 7);
	ck_assert(inject_finished(in));
	ck_assert_int_eq(j->code, 0);
	inject_destroy(in);
	inject_job_free(j);

	ck_assert_ptr_null(inject_create(NULL, NULL));
	j = inject_job_create(INJECT_NOTICE, "", NULL, 0, "x", 1, "i");
	ck_assert_ptr_null(inject_create(j, NULL)); /* no recipient */
	inject_job_free(j);
}
END_TEST

START_TEST(test_noscan_backend)
{
	struct dlp_verdict *v = NULL;
	void *h = inject_scan_ops.begin(NULL, NULL);

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(inject_scan_ops.feed(NULL, h, "PRJ-123456", 10), 0);
	ck_assert_int_eq(inject_scan_ops.end(NULL, h, &v), 0);
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_null(v->policy);
	ck_assert_int_eq(v->action, CFG_ACTION_ALLOW);
	inject_scan_ops.release(NULL, v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("inject");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_conversation_every_split);
	tcase_add_loop_test(tc, test_failures, 0, sizeof(fails) / sizeof(fails[0]));
	tcase_add_test(tc, test_proxy_gone_and_garbage);
	tcase_add_test(tc, test_noscan_backend);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
