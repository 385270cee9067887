/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mime_header.c — RFC 2047 encoded words (B, Q, joining, split
 * multibyte characters, malformed words), structured-value tokens and
 * RFC 2045/2231 parameters (quoting, continuations, charsets, RFC 2047
 * inside quotes), several parameters in one pass.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/dlp.h"
#include "dlp/mime_header.h"

struct word_case {
	const char *in;
	const char *out;
	uint32_t anom;
};

static const struct word_case words[] = {
	{"plain subject", "plain subject", 0},
	{"=?utf-8?B?SGVsbG8=?=", "Hello", 0},
	{"=?UTF-8?Q?a_b=3Dc?=", "a b=c", 0},
	{"=?utf-8?B?SGVsbG8=?= =?iso-8859-1?Q?caf=E9?=", "Hellocaf\xc3\xa9", 0},
	{"=?utf-8?B?SGVsbG8=?=\r\n =?utf-8?Q?_world?=", "Hello world", 0},
	{"Hello =?utf-8?q?W=C3=B6rld?= !", "Hello W\xc3\xb6rld !", 0},
	{"=?utf-8?B?4oI=?= =?utf-8?B?rA==?=", "\xe2\x82\xac", 0}, /* € split */
	{"=?utf-8?Q?=E2=82?= =?UTF-8?Q?=AC?=", "\xe2\x82\xac", 0},
	{"=?windows-1252?Q?=93Customer=94?=",
	 "\xe2\x80\x9c"
	 "Customer\xe2\x80\x9d",
	 0},
	{"=?iso-8859-1*en?Q?caf=E9?=", "caf\xc3\xa9", 0},
	{"a =?utf-8?X?abc?= b", "a =?utf-8?X?abc?= b", DLP_ANOM_BAD_HEADER},
	{"=?utf-8?Q?unterminated", "=?utf-8?Q?unterminated", DLP_ANOM_BAD_HEADER},
	{"Gr\xc3\xbc\xc3\x9f"
	 "e",
	 "Gr\xc3\xbc\xc3\x9f"
	 "e",
	 0},
	{"bad \xff byte", "bad \xc3\xbf byte", DLP_ANOM_BAD_UTF8}, /* 1252 fallback */
	{"=?x-unknown-cs?Q?abc?=", "abc", DLP_ANOM_BAD_CHARSET},
	{"x=?utf-8?Q?y?=z", "xyz", 0},
	{"=?utf-8?Q?a?= b =?utf-8?Q?c?=", "a b c", 0},
	{"= ? =?", "= ? =?", 0},
	{"", "", 0},
	{"tab\tand nul \x01 ASCII =", "tab\tand nul \x01 ASCII =", 0},
};

START_TEST(test_words)
{
	const struct word_case *c = &words[_i];
	size_t len = strlen(c->in);
	uint8_t out[MIME_HDR_OUT_MAX(256)], scratch[MIME_HDR_SCRATCH(256)];
	uint32_t anom = 0;

	size_t w = mime_hdr_decode_words((const uint8_t *)c->in, len, out, scratch, &anom);
	ck_assert_msg(w == strlen(c->out) && memcmp(out, c->out, w) == 0, "case %d: got \"%.*s\"",
		      _i, (int)w, out);
	ck_assert_uint_eq(anom, c->anom);
}
END_TEST

struct token_case {
	const char *in;
	const char *out;
};

static const struct token_case tokens[] = {
	{"Text/HTML; charset=UTF-8", "text/html"},
	{"  multipart/mixed;\r\n boundary=x", "multipart/mixed"},
	{"(comment) attachment; filename=a", "attachment"},
	{"BASE64", "base64"},
	{"", ""},
};

START_TEST(test_tokens)
{
	const struct token_case *c = &tokens[_i];
	char out[64];

	size_t n = mime_hdr_token((const uint8_t *)c->in, strlen(c->in), out, sizeof(out));
	ck_assert_uint_eq(n, strlen(c->out));
	ck_assert_str_eq(out, c->out);
}
END_TEST

struct param_case {
	const char *value;
	const char *attr;
	const char *out; /* NULL: absent */
	uint32_t anom;
};

static const struct param_case params[] = {
	{"text/plain; charset=\"utf-8\"", "charset", "utf-8", 0},
	{"text/plain; CHARSET=iso-8859-1 ; format=flowed", "charset", "iso-8859-1", 0},
	{"multipart/mixed; boundary=\"----=_Part_1;x\"", "boundary", "----=_Part_1;x", 0},
	{"multipart/mixed; boundary=simple", "boundary", "simple", 0},
	{"text/plain", "charset", NULL, 0},
	{"attachment; filename=\"a\\\"b.txt\"", "filename", "a\"b.txt", 0},
	{"attachment; filename=my file.pdf", "filename", "my file.pdf", 0},
	{"attachment;\r\n filename*0*=utf-8''%E2%82%AC%20rate;\r\n filename*1=\"s.txt\"",
	 "filename", "\xe2\x82\xac rates.txt", 0},
	{"attachment; filename*1=\"b.txt\"; filename*0=\"a\"", "filename", "ab.txt", 0},
	{"attachment; filename*=iso-8859-1'en'caf%E9.txt", "filename", "caf\xc3\xa9.txt", 0},
	{"attachment; filename*=UTF-8''%e2%82%ac", "filename", "\xe2\x82\xac", 0},
	{"attachment; filename=\"=?utf-8?B?Q3VzdG9tZXJzLmNzdg==?=\"", "filename", "Customers.csv",
	 0},
	{"attachment; filename=\"plain.txt\"; filename*=utf-8''better.txt", "filename",
	 "better.txt", 0},
	{"attachment; filename=\"unterminated", "filename", "unterminated", DLP_ANOM_BAD_HEADER},
	{"attachment; filenamex=a", "filename", NULL, 0},
	{"attachment; name=a; filename=b", "name", "a", 0},
	{"attachment; filename*0=a; filename*2=c", "filename", "ac", DLP_ANOM_BAD_HEADER},
	{"attachment; filename*0=a; filename*0=b", "filename", "a", DLP_ANOM_BAD_HEADER},
	{"attachment; filename*64=x; filename*0=a", "filename", "a", DLP_ANOM_BAD_HEADER},
	{"attachment; filename*63=z; filename*0=a", "filename", "az", DLP_ANOM_BAD_HEADER},
	{"attachment; filename*1=b", "filename", "b", DLP_ANOM_BAD_HEADER},
	{"attachment; FileName*0*=utf-8''%41; filename*1*=%42", "filename", "AB", 0},
	{"text/plain; charset=us-ascii; name=x; charset=utf-8", "charset", "us-ascii", 0},
};

START_TEST(test_params)
{
	const struct param_case *c = &params[_i];
	size_t len = strlen(c->value);
	uint8_t scratch[MIME_HDR_SCRATCH(256)];
	char out[128];
	uint32_t anom = 0;

	long n = mime_hdr_param((const uint8_t *)c->value, len, c->attr, out, sizeof(out), scratch,
				&anom);
	if (!c->out) {
		ck_assert_int_eq(n, -1);
	} else {
		ck_assert_int_eq(n, (long)strlen(c->out));
		ck_assert_str_eq(out, c->out);
	}
	ck_assert_uint_eq(anom, c->anom);
}
END_TEST

/* mime_hdr_params() on every value above with several attributes at once:
 * each one as mime_hdr_param() gives it, the anomalies their union. */
START_TEST(test_params_multi)
{
	static const char *const attrs[] = {"charset", "boundary", "name", "filename"};
	const struct param_case *c = &params[_i];
	size_t len = strlen(c->value);
	uint8_t scratch[MIME_HDR_SCRATCH(256)];
	char one[4][128], many[4][128];
	long n1[4];
	uint32_t a1 = 0, am = 0;

	for (unsigned k = 0; k < 4; k++)
		n1[k] = mime_hdr_param((const uint8_t *)c->value, len, attrs[k], one[k],
				       sizeof(one[k]), scratch, &a1);
	for (unsigned nw = 1; nw <= 4; nw++) {
		struct mime_hdr_want w[4];
		am = 0;
		for (unsigned k = 0; k < nw; k++) {
			w[k] = (struct mime_hdr_want){
				.attr = attrs[k], .out = many[k], .outcap = sizeof(many[k])};
			w[k].len = 99; /* overwritten */
		}
		mime_hdr_params((const uint8_t *)c->value, len, w, nw, scratch, &am);
		uint32_t a_expect = 0, tmp;
		for (unsigned k = 0; k < nw; k++) {
			char o[128];
			tmp = 0;
			mime_hdr_param((const uint8_t *)c->value, len, attrs[k], o, sizeof(o),
				       scratch, &tmp);
			a_expect |= tmp;
			ck_assert_int_eq(w[k].len, n1[k]);
			if (n1[k] >= 0)
				ck_assert_str_eq(many[k], one[k]);
		}
		ck_assert_uint_eq(am, a_expect);
	}
	(void)a1;
}
END_TEST

START_TEST(test_param_truncated)
{
	static const char v[] = "a; filename=\"\xe2\x82\xac\xe2\x82\xac\"";
	uint8_t scratch[MIME_HDR_SCRATCH(64)];
	char out[5];
	uint32_t anom = 0;

	/* 4 bytes of room: one whole euro sign, never half of the second */
	long n = mime_hdr_param((const uint8_t *)v, sizeof(v) - 1, "filename", out, sizeof(out),
				scratch, &anom);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(out, "\xe2\x82\xac");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mime_header");
	TCase *tc = tcase_create("header");
	tcase_add_loop_test(tc, test_words, 0, sizeof(words) / sizeof(words[0]));
	tcase_add_loop_test(tc, test_tokens, 0, sizeof(tokens) / sizeof(tokens[0]));
	tcase_add_loop_test(tc, test_params, 0, sizeof(params) / sizeof(params[0]));
	tcase_add_loop_test(tc, test_params_multi, 0, sizeof(params) / sizeof(params[0]));
	tcase_add_test(tc, test_param_truncated);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
