/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_uu.c — streaming uuencode decoder: cases decoded one-shot, split at
 * every offset and byte by byte; "begin" seeking, stripped trailing spaces,
 * the "end" line stopping decoding, junk lines.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/decode.h"
#include "dlp/dlp.h"

struct uu_case {
	bool expect_begin;
	const char *in;
	const char *out;
	uint32_t anom;
	bool done;
};

#define FOX1 "M5&AE(\'%U:6-K(&)R;W=N(&9O>\"!J=6UP<R!O=F5R(\'1H92!L87IY(&1O9RX@\n"
#define FOX2 "90W5S=&]M97(@;&ES=\"!A=\'1A8VAE9\"$@(   \n"
#define FOX2_STRIPPED "90W5S=&]M97(@;&ES=\"!A=\'1A8VAE9\"$@(\n"
#define FOX "The quick brown fox jumps over the lazy dog. Customer list attached!  "

static const struct uu_case cases[] = {
	{true, "begin 644 cat.txt\n#0V%T\n`\nend\n", "Cat", 0, true},
	{true, "begin 644 cat.txt\r\n#0V%T\r\n`\r\nend\r\n", "Cat", 0, true},
	{true, "preamble\nbegin 600 x\n" FOX1 FOX2 "`\nend\ntrailer\n#0V%T\n", FOX, 0, true},
	{true, "begin 600 x\n" FOX1 FOX2_STRIPPED "`\nend\n", FOX, 0, true},
	{false, "#0V%T\n`\nend\n", "Cat", 0, true},
	{false, "#0V%T\n", "Cat", DLP_ANOM_BAD_BASE64, false}, /* no end */
	{true, "no uuencode here\n", "", 0, false},
	{false, "#0V%T\n\x01junk\n`\nend\n", "Cat", DLP_ANOM_BAD_BASE64, true},
	{false, "&0V%T\n`\nend\n", "Cat", DLP_ANOM_BAD_BASE64, true}, /* truncated */
	{false, "#0V%T\nendx\n`\nend\n", "Cat", DLP_ANOM_BAD_BASE64, true},
};

static size_t run_split(const struct uu_case *c, const size_t *cuts, size_t ncuts, uint8_t *out,
			uint32_t *anom, bool *done)
{
	struct decode_uu st;
	const uint8_t *in = (const uint8_t *)c->in;
	size_t len = strlen(c->in), w = 0, prev = 0;

	decode_uu_init(&st, c->expect_begin);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		w += decode_uu_push(&st, in + prev, end - prev, out + w);
		prev = end;
	}
	*done = decode_uu_done(&st);
	w += decode_uu_finish(&st, out + w);
	*anom = st.anomalies;
	return w;
}

START_TEST(test_cases)
{
	const struct uu_case *c = &cases[_i];
	size_t len = strlen(c->in), w, cuts[256], olen = strlen(c->out);
	uint8_t out[512];
	uint32_t anom;
	bool done;

	w = run_split(c, NULL, 0, out, &anom, &done);
	ck_assert_uint_eq(w, olen);
	ck_assert_mem_eq(out, c->out, w);
	ck_assert_uint_eq(anom, c->anom);
	ck_assert_int_eq(done, c->done);
	for (size_t cut = 0; cut <= len; cut++) {
		w = run_split(c, &cut, 1, out, &anom, &done);
		ck_assert_msg(w == olen && memcmp(out, c->out, w) == 0, "case %d split at %zu", _i,
			      cut);
		ck_assert_uint_eq(anom, c->anom);
	}
	for (size_t i = 0; i < len; i++)
		cuts[i] = i + 1;
	w = run_split(c, cuts, len ? len - 1 : 0, out, &anom, &done);
	ck_assert_uint_eq(w, olen);
	ck_assert_mem_eq(out, c->out, w);
	ck_assert_uint_eq(anom, c->anom);
}
END_TEST

START_TEST(test_whole_buffer)
{
	static const char in[] = "begin 644 cat.txt\n#0V%T\n`\nend\n";
	uint8_t out[DECODE_UU_MAX_OUT(sizeof(in))];
	uint32_t anom = 1;

	ck_assert_uint_eq(decode_uu((const uint8_t *)in, sizeof(in) - 1, out, &anom), 3);
	ck_assert_mem_eq(out, "Cat", 3);
	ck_assert_uint_eq(anom, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("uu");
	TCase *tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_cases, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_whole_buffer);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
