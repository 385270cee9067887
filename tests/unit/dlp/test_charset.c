/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_charset.c — charset → UTF-8: every backend (UTF-8 repair, Windows-
 * 1252 table, iconv-built tables, UTF-16 with and without BOM, streaming
 * iconv for multibyte and stateful charsets, unknown charsets), each case
 * converted one-shot, split at every offset and byte by byte.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/charset.h"
#include "dlp/dlp.h"

struct cs_case {
	const char *charset;
	const char *in;
	size_t in_len;
	const char *out;
	uint32_t anom;
	enum charset_kind kind;
};

#define S(x) x, sizeof(x) - 1

static const struct cs_case cases[] = {
	{"utf-8", S("h\xc3\xa9llo w\xc3\xb6rld, plain ASCII run here"),
	 "h\xc3\xa9llo w\xc3\xb6rld, plain ASCII run here", 0, CHARSET_UTF8},
	{"UTF-8", S("\xf0\x9f\x98\x80\xe2\x82\xac"), "\xf0\x9f\x98\x80\xe2\x82\xac", 0,
	 CHARSET_UTF8},
	{"utf-8",
	 S("a\xff"
	   "b"),
	 "a\xef\xbf\xbd"
	 "b",
	 DLP_ANOM_BAD_UTF8, CHARSET_UTF8},
	{"utf-8",
	 S("\xe2\x82"
	   "A"),
	 "\xef\xbf\xbd"
	 "A",
	 DLP_ANOM_BAD_UTF8, CHARSET_UTF8},
	{"utf-8", S("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", DLP_ANOM_BAD_UTF8,
	 CHARSET_UTF8},
	{"utf-8", S("abc\xe2\x82"), "abc\xef\xbf\xbd", DLP_ANOM_BAD_UTF8, CHARSET_UTF8},
	{"utf-8", S("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd", DLP_ANOM_BAD_UTF8, CHARSET_UTF8},
	{"us-ascii", S("caf\xe9"), "caf\xc3\xa9", DLP_ANOM_BAD_UTF8,
	 CHARSET_UTF8}, /* 1252 fallback */
	{NULL, S("na\xefve \xe2\x82\xac"), "na\xc3\xafve \xc3\xa2\xe2\x80\x9a\xc2\xac",
	 DLP_ANOM_BAD_UTF8, CHARSET_UTF8},
	{NULL, S("ok \xe2\x82\xac then \xe9"), "ok \xe2\x82\xac then \xc3\xa9", DLP_ANOM_BAD_UTF8,
	 CHARSET_UTF8},
	{NULL, S("end \xe2\x82"), "end \xc3\xa2\xe2\x80\x9a", DLP_ANOM_BAD_UTF8, CHARSET_UTF8},
	{"x-unknown-thing", S("caf\xe9"), "caf\xc3\xa9", DLP_ANOM_BAD_CHARSET | DLP_ANOM_BAD_UTF8,
	 CHARSET_UTF8},
	{"utf-8", S("caf\xe9"), "caf\xef\xbf\xbd", DLP_ANOM_BAD_UTF8, CHARSET_UTF8},
	{"\"Utf-8\"", S("caf\xe9"), "caf\xef\xbf\xbd", DLP_ANOM_BAD_UTF8, CHARSET_UTF8},
	{"utf-8*en", S("caf\xe9"), "caf\xef\xbf\xbd", DLP_ANOM_BAD_UTF8, CHARSET_UTF8},
	{NULL, S("plain"), "plain", 0, CHARSET_UTF8},
	{"iso-8859-1", S("caf\xe9 na\xefve"), "caf\xc3\xa9 na\xc3\xafve", 0, CHARSET_TABLE},
	{"\"ISO-8859-1\"", S("\xe9"), "\xc3\xa9", 0, CHARSET_TABLE},
	{"windows-1252", S("\x93hi\x94 \x80 \x85"),
	 "\xe2\x80\x9chi\xe2\x80\x9d \xe2\x82\xac \xe2\x80\xa6", 0, CHARSET_TABLE},
	{"iso-8859-2", S("\xb1"), "\xc4\x85", 0, CHARSET_TABLE},
	{"koi8-r", S("\xc1\xc2"), "\xd0\xb0\xd0\xb1", 0, CHARSET_TABLE},
	{"windows-1251", S("\xcf\xf0\xe8"), "\xd0\x9f\xd1\x80\xd0\xb8", 0, CHARSET_TABLE},
	{"utf-16le", S("\xff\xfeH\x00i\x00"), "Hi", 0, CHARSET_UTF16},
	{"utf-16le", S("H\x00\xe9\x00"), "H\xc3\xa9", 0, CHARSET_UTF16},
	{"utf-16be", S("\x00H\x00i"), "Hi", 0, CHARSET_UTF16},
	{"utf-16", S("\xff\xfeH\x00i\x00"), "Hi", 0, CHARSET_UTF16},
	{"utf-16", S("\xfe\xff\x00H\x00i"), "Hi", 0, CHARSET_UTF16},
	{"utf-16", S("\x00H\x00i"), "Hi", 0, CHARSET_UTF16},
	{"utf-16le",
	 S("\x3d\xd8\x00\xde"
	   "A\x00"),
	 "\xf0\x9f\x98\x80"
	 "A",
	 0, CHARSET_UTF16},
	{"utf-16le",
	 S("\x00\xdc"
	   "A\x00"),
	 "\xef\xbf\xbd"
	 "A",
	 DLP_ANOM_BAD_CHARSET, CHARSET_UTF16},
	{"utf-16le",
	 S("\x3d\xd8"
	   "A\x00"),
	 "\xef\xbf\xbd"
	 "A",
	 DLP_ANOM_BAD_CHARSET, CHARSET_UTF16},
	{"utf-16le",
	 S("A\x00"
	   "B"),
	 "A\xef\xbf\xbd", DLP_ANOM_BAD_CHARSET, CHARSET_UTF16},
	{"shift_jis",
	 S("\x82\xa0"
	   "a\x82\xa2"),
	 "\xe3\x81\x82"
	 "a\xe3\x81\x84",
	 0, CHARSET_ICONV},
	{"iso-2022-jp",
	 S("\x1b$B$\"\x1b(B"
	   "x"),
	 "\xe3\x81\x82"
	 "x",
	 0, CHARSET_ICONV},
	{"gb18030", S("\xc4\xe3\xba\xc3"), "\xe4\xbd\xa0\xe5\xa5\xbd", 0, CHARSET_ICONV},
	{"shift_jis", S("a\x82"), "a\xef\xbf\xbd", DLP_ANOM_BAD_CHARSET, CHARSET_ICONV},
	{"x-bogus-charset", S("abc\xc3\xa9"), "abc\xc3\xa9", DLP_ANOM_BAD_CHARSET, CHARSET_UTF8},
	{"utf-8*en", S("x"), "x", 0, CHARSET_UTF8},
};

static size_t run_split(const struct cs_case *c, const size_t *cuts, size_t ncuts, uint8_t *out,
			uint32_t *anom, enum charset_kind *kind)
{
	struct charset_conv cv;
	const uint8_t *in = (const uint8_t *)c->in;
	size_t w = 0, prev = 0;

	charset_conv_init(&cv, c->charset, c->charset ? strlen(c->charset) : 0);
	*kind = cv.kind;
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : c->in_len;
		w += charset_conv_push(&cv, in + prev, end - prev, out + w);
		prev = end;
	}
	w += charset_conv_finish(&cv, out + w);
	*anom = cv.anomalies;
	charset_conv_fini(&cv);
	return w;
}

START_TEST(test_cases)
{
	const struct cs_case *c = &cases[_i];
	size_t w, cuts[128], olen = strlen(c->out);
	uint8_t out[1024];
	uint32_t anom;
	enum charset_kind kind;

	w = run_split(c, NULL, 0, out, &anom, &kind);
	ck_assert_int_eq(kind, c->kind);
	ck_assert_uint_eq(w, olen);
	ck_assert_mem_eq(out, c->out, w);
	ck_assert_uint_eq(anom, c->anom);
	for (size_t cut = 0; cut <= c->in_len; cut++) {
		w = run_split(c, &cut, 1, out, &anom, &kind);
		ck_assert_msg(w == olen && memcmp(out, c->out, w) == 0, "case %d (%s) split at %zu",
			      _i, c->charset, cut);
		ck_assert_uint_eq(anom, c->anom);
	}
	for (size_t i = 0; i < c->in_len; i++)
		cuts[i] = i + 1;
	w = run_split(c, cuts, c->in_len ? c->in_len - 1 : 0, out, &anom, &kind);
	ck_assert_msg(w == olen && memcmp(out, c->out, w) == 0, "case %d (%s) byte by byte", _i,
		      c->charset);
	ck_assert_uint_eq(anom, c->anom);
}
END_TEST

/* UTF-8 in ASCII runs longer than the 16-byte fast path: a multibyte
 * sequence (valid, ill-formed, or cut by a split) at every offset of the
 * run, labelled (repaired) and unlabelled (Windows-1252 from the first
 * invalid byte). */
START_TEST(test_long_runs)
{
	static const struct {
		const char *seq, *out_lab, *out_unl;
		uint32_t anom;
	} seqs[] = {
		{"\xc3\xa9", "\xc3\xa9", "\xc3\xa9", 0},
		{"\xe2\x82\xac", "\xe2\x82\xac", "\xe2\x82\xac", 0},
		{"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", 0},
		{"\xe9", "\xef\xbf\xbd", "\xc3\xa9", DLP_ANOM_BAD_UTF8},
		{"\xe2\x82", "\xef\xbf\xbd", "\xc3\xa2\xe2\x80\x9a", DLP_ANOM_BAD_UTF8},
	};
	char in[128], want[256];
	uint8_t out[1024];
	uint32_t anom;
	enum charset_kind kind;

	for (size_t si = 0; si < sizeof(seqs) / sizeof(seqs[0]); si++) {
		for (int lab = 0; lab < 2; lab++) {
			for (size_t k = 0; k <= 40; k++) {
				size_t n = 0, wn = 0;
				for (size_t i = 0; i < k; i++)
					in[n++] = want[wn++] = (char)('a' + i % 26);
				n += (size_t)sprintf(in + n, "%s", seqs[si].seq);
				wn += (size_t)sprintf(want + wn, "%s",
						      lab ? seqs[si].out_lab : seqs[si].out_unl);
				for (size_t i = 0; i < 37; i++)
					in[n++] = want[wn++] = (char)('A' + i % 26);
				want[wn] = '\0';
				struct cs_case c = {lab ? "utf-8" : NULL, in,	       n, want,
						    seqs[si].anom,	  CHARSET_UTF8};
				for (size_t cut = 0; cut <= n; cut++) {
					size_t w = run_split(&c, &cut, 1, out, &anom, &kind);
					ck_assert_msg(w == wn && memcmp(out, want, w) == 0 &&
							      anom == seqs[si].anom,
						      "seq %zu label %d at %zu split %zu", si, lab,
						      k, cut);
				}
			}
		}
	}
}
END_TEST

START_TEST(test_names)
{
	ck_assert(charset_is_utf8("UTF-8", 5));
	ck_assert(charset_is_utf8("us-ascii", 8));
	ck_assert(!charset_is_utf8("iso-8859-1", 10));
}
END_TEST

START_TEST(test_put_utf8)
{
	uint8_t o[4];

	ck_assert_uint_eq(charset_put_utf8(0x41, o), 1);
	ck_assert_uint_eq(charset_put_utf8(0xe9, o), 2);
	ck_assert_uint_eq(charset_put_utf8(0x20ac, o), 3);
	ck_assert_mem_eq(o, "\xe2\x82\xac", 3);
	ck_assert_uint_eq(charset_put_utf8(0x1f600, o), 4);
	ck_assert_uint_eq(charset_put_utf8(0xd800, o), 3);
	ck_assert_mem_eq(o, "\xef\xbf\xbd", 3);
	ck_assert_uint_eq(charset_put_utf8(0x110000, o), 3);
	ck_assert_mem_eq(o, "\xef\xbf\xbd", 3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("charset");
	TCase *tc = tcase_create("convert");
	tcase_add_loop_test(tc, test_cases, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_long_runs);
	tcase_add_test(tc, test_put_utf8);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
