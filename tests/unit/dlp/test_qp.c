/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_qp.c — streaming quoted-printable decoder: a table of cases decoded
 * one-shot, split at every offset and byte by byte, same output and
 * anomalies each time. `test_dlp_qp --bench` prints decode MB/s.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dlp/decode.h"
#include "dlp/dlp.h"

struct qp_case {
	const char *in;
	const char *out;
	size_t out_len;
	uint32_t anom;
};

static const struct qp_case cases[] = {
	{"", "", 0, 0},
	{"Hello=20World", "Hello World", 11, 0},
	{"abc=\r\ndef", "abcdef", 6, 0},
	{"abc=\ndef", "abcdef", 6, 0},
	{"abc= \t\r\ndef", "abcdef", 6, 0}, /* padding before break */
	{"Cust=\r\nomer", "Customer", 8, 0},
	{"=c3=a9t=C3=A9", "\xc3\xa9t\xc3\xa9", 5, 0}, /* lowercase hex */
	{"=3D=3d", "==", 2, 0},
	{"a\r\nb\r\n", "a\r\nb\r\n", 6, 0}, /* hard breaks kept */
	{"=4G", "=4G", 3, DLP_ANOM_BAD_QP},
	{"=G1", "=G1", 3, DLP_ANOM_BAD_QP},
	{"a=", "a", 1, 0}, /* soft break before a boundary */
	{"a= \t", "a", 1, 0},
	{"a=4", "a=4", 3, DLP_ANOM_BAD_QP},
	{"==41", "=A", 2, DLP_ANOM_BAD_QP},
	{"=4=41", "=4A", 3, DLP_ANOM_BAD_QP},
	{"= x", "= x", 3, DLP_ANOM_BAD_QP},
	{"=\rx", "x", 1, 0}, /* bare CR soft break */
	{"x=00y", "x\0y", 3, 0},
	{"=                    x", "=                    x", 22, DLP_ANOM_BAD_QP},
};

static size_t run_split(const uint8_t *in, size_t len, const size_t *cuts, size_t ncuts,
			uint8_t *out, uint32_t *anom)
{
	struct decode_qp st;
	size_t w = 0, prev = 0;

	decode_qp_init(&st);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		w += decode_qp_push(&st, in + prev, end - prev, out + w);
		prev = end;
	}
	w += decode_qp_finish(&st, out + w);
	*anom = st.anomalies;
	return w;
}

START_TEST(test_cases)
{
	const struct qp_case *c = &cases[_i];
	const uint8_t *in = (const uint8_t *)c->in;
	size_t len = strlen(c->in), w, cuts[64];
	uint8_t out[256];
	uint32_t anom;

	w = decode_qp(in, len, out, &anom);
	ck_assert_uint_eq(w, c->out_len);
	ck_assert_mem_eq(out, c->out, w);
	ck_assert_uint_eq(anom, c->anom);
	for (size_t cut = 0; cut <= len; cut++) {
		w = run_split(in, len, &cut, 1, out, &anom);
		ck_assert_msg(w == c->out_len && memcmp(out, c->out, w) == 0,
			      "case \"%s\" split at %zu", c->in, cut);
		ck_assert_uint_eq(anom, c->anom);
	}
	for (size_t i = 0; i < len; i++)
		cuts[i] = i + 1;
	w = run_split(in, len, cuts, len ? len - 1 : 0, out, &anom);
	ck_assert_uint_eq(w, c->out_len);
	ck_assert_mem_eq(out, c->out, w);
	ck_assert_uint_eq(anom, c->anom);
}
END_TEST

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Typical QP mail text: mostly literal with accents and soft breaks. */
static int bench(void)
{
	static const char line[] = "Dear customer, your account manager will call you about the "
				   "purchase date=\r\n of your r=C3=A9servation and the caf=C3=A9 "
				   "menu. Regards, Sales Engineering team.\r\n";
	size_t n = 64u << 20, ll = sizeof(line) - 1, len = 0;
	uint8_t *in = malloc(n), *out = malloc(DECODE_QP_MAX_OUT(n));
	uint32_t anom;

	if (!in || !out)
		return 1;
	while (len + ll <= n) {
		memcpy(in + len, line, ll);
		len += ll;
	}
	double best = 0;
	for (int r = 0; r < 5; r++) {
		double t = now();
		size_t w = decode_qp(in, len, out, &anom);
		t = now() - t;
		if (w == 0 || anom)
			return 1;
		if (len / t > best)
			best = len / t;
	}
	printf("quoted-printable decode: %.0f MB/s of input\n", best / 1e6);
	free(in);
	free(out);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--bench") == 0)
		return bench();
	Suite *s = suite_create("qp");
	TCase *tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_cases, 0, sizeof(cases) / sizeof(cases[0]));
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
