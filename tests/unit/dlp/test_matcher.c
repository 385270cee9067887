/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_matcher.c — the Hyperscan wrapper: compile errors name the pattern,
 * streams find matches across every chunk split, flush resets the stream,
 * SOM-leftmost reports the start, workers are independent.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/matcher.h"

struct hits {
	unsigned id[64];
	unsigned long long from[64], to[64];
	size_t n;
};

static int collect(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		   void *ctx)
{
	struct hits *h = ctx;
	(void)flags;
	if (h->n < 64) {
		h->id[h->n] = id;
		h->from[h->n] = from;
		h->to[h->n] = to;
		h->n++;
	}
	return 0;
}

static struct dlp_matcher *compile3(void)
{
	const char *ex[] = {"customer", "account\\s+manager", "PRJ-[0-9]{6}"};
	unsigned fl[] = {DLP_PAT_CASELESS, DLP_PAT_CASELESS, DLP_PAT_SOM};
	unsigned ids[] = {10, 11, 12};
	char err[128];
	int bad;
	struct dlp_matcher *m = dlp_matcher_compile(ex, fl, ids, 3, err, sizeof(err), &bad);
	ck_assert_msg(m != NULL, "%s", err);
	return m;
}

START_TEST(test_compile_error)
{
	const char *ex[] = {"ok", "(unbalanced"};
	unsigned fl[] = {0, 0}, ids[] = {0, 1};
	char err[128] = "";
	int bad = 7;
	errno = 0;
	struct dlp_matcher *m = dlp_matcher_compile(ex, fl, ids, 2, err, sizeof(err), &bad);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(bad, 1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(strlen(err) > 0);
}
END_TEST

static const char text[] = "Dear CUSTOMER, your Account \r\n Manager sent PRJ-123456.";

START_TEST(test_every_split)
{
	struct dlp_matcher *m = compile3();
	struct dlp_matcher_worker *w = dlp_matcher_worker_create(m);
	ck_assert_ptr_nonnull(w);
	ck_assert_uint_gt(dlp_matcher_db_bytes(m), 0);
	size_t len = strlen(text);
	for (size_t split = 0; split <= len; split++) {
		struct hits h = {0};
		ck_assert_int_eq(dlp_matcher_scan(w, text, split, collect, &h), 0);
		ck_assert_int_eq(dlp_matcher_scan(w, text + split, len - split, collect, &h), 0);
		ck_assert_int_eq(dlp_matcher_flush(w, collect, &h), 0);
		ck_assert_uint_eq(h.n, 3);
		ck_assert_uint_eq(h.id[0], 10);
		ck_assert_uint_eq(h.to[0], 13);
		ck_assert_uint_eq(h.id[1], 11);
		ck_assert_uint_eq(h.to[1], 38);
		ck_assert_uint_eq(h.id[2], 12);
		ck_assert_uint_eq(h.from[2], 44);
		ck_assert_uint_eq(h.to[2], 54);
	}
	dlp_matcher_worker_destroy(w);
	dlp_matcher_free(m);
}
END_TEST

START_TEST(test_flush_resets)
{
	struct dlp_matcher *m = compile3();
	struct dlp_matcher_worker *w = dlp_matcher_worker_create(m);
	struct hits h = {0};
	/* "custo" | flush | "mer" must not match across parts */
	dlp_matcher_scan(w, "custo", 5, collect, &h);
	dlp_matcher_flush(w, collect, &h);
	dlp_matcher_scan(w, "mer customer", 12, collect, &h);
	dlp_matcher_flush(w, collect, &h);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_uint_eq(h.to[0], 12); /* offsets restart per stream */
	dlp_matcher_worker_destroy(w);
	dlp_matcher_free(m);
}
END_TEST

START_TEST(test_two_workers)
{
	struct dlp_matcher *m = compile3();
	struct dlp_matcher_worker *a = dlp_matcher_worker_create(m);
	struct dlp_matcher_worker *b = dlp_matcher_worker_create(m);
	struct hits ha = {0}, hb = {0};
	dlp_matcher_scan(a, "cust", 4, collect, &ha);
	dlp_matcher_scan(b, "account ", 8, collect, &hb);
	dlp_matcher_scan(a, "omer", 4, collect, &ha);
	dlp_matcher_scan(b, "manager", 7, collect, &hb);
	ck_assert_uint_eq(ha.n, 1);
	ck_assert_uint_eq(ha.id[0], 10);
	ck_assert_uint_eq(hb.n, 1);
	ck_assert_uint_eq(hb.id[0], 11);
	dlp_matcher_worker_destroy(a);
	dlp_matcher_worker_destroy(b);
	dlp_matcher_free(m);
	dlp_matcher_free(NULL);
	dlp_matcher_worker_destroy(NULL);
}
END_TEST

static int stop_first(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		      void *ctx)
{
	(void)id, (void)from, (void)to, (void)flags;
	++*(int *)ctx;
	return 1;
}

START_TEST(test_stop)
{
	struct dlp_matcher *m = compile3();
	struct dlp_matcher_worker *w = dlp_matcher_worker_create(m);
	int n = 0;
	ck_assert_int_eq(dlp_matcher_scan(w, "customer customer", 17, stop_first, &n), 1);
	ck_assert_int_eq(n, 1);
	dlp_matcher_worker_destroy(w);
	dlp_matcher_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("matcher");
	TCase *tc = tcase_create("all");
	tcase_add_test(tc, test_compile_error);
	tcase_add_test(tc, test_every_split);
	tcase_add_test(tc, test_flush_resets);
	tcase_add_test(tc, test_two_workers);
	tcase_add_test(tc, test_stop);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
