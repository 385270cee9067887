/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_utf8.c — utf8_seq_len() on a table of valid and invalid sequences at
 * every boundary of RFC 3629 (lead bytes, overlongs, surrogates, U+10FFFF,
 * truncation), utf8_put() on the same boundaries, and a round trip of every
 * scalar value.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/utf8.h"

struct len_case {
	const char *in;
	size_t n;    /* readable bytes */
	size_t want; /* utf8_seq_len() */
};

static const struct len_case len_cases[] = {
	{"", 0, 0}, /* nothing to read */
	/* one byte */
	{"\x00", 1, 1},
	{"A", 1, 1},
	{"\x7f", 1, 1},
	{"Ab", 2, 1}, /* only the first sequence counts */
	/* stray continuation bytes and lead bytes that never start one */
	{"\x80", 1, 0},
	{"\xbf", 1, 0},
	{"\xc0\x80", 2, 0}, /* overlong U+0000 */
	{"\xc1\xbf", 2, 0}, /* overlong U+007F */
	{"\xf5\x80\x80\x80", 4, 0},
	{"\xf7\xbf\xbf\xbf", 4, 0},
	{"\xf8\x88\x80\x80\x80", 5, 0},
	{"\xfe", 1, 0},
	{"\xff", 1, 0},
	/* two bytes: U+0080..U+07FF */
	{"\xc2\x80", 2, 2},
	{"\xc3\xa9x", 3, 2},
	{"\xdf\xbf", 2, 2},
	{"\xc2", 1, 0},	    /* truncated */
	{"\xc2\x41", 2, 0}, /* interrupted */
	{"\xc2\xc0", 2, 0},
	/* three bytes: U+0800..U+FFFF without surrogates */
	{"\xe0\x80\x80", 3, 0}, /* overlong U+0000 */
	{"\xe0\x9f\xbf", 3, 0}, /* overlong U+07FF */
	{"\xe0\xa0\x80", 3, 3}, /* U+0800 */
	{"\xe2\x82\xac", 3, 3}, /* U+20AC */
	{"\xed\x9f\xbf", 3, 3}, /* U+D7FF */
	{"\xed\xa0\x80", 3, 0}, /* U+D800 */
	{"\xed\xbf\xbf", 3, 0}, /* U+DFFF */
	{"\xee\x80\x80", 3, 3}, /* U+E000 */
	{"\xef\xbf\xbd", 3, 3}, /* U+FFFD */
	{"\xef\xbf\xbf", 3, 3}, /* U+FFFF */
	{"\xe2\x82", 2, 0},	/* truncated by n */
	{"\xe2\x82\xac", 2, 0}, /* the third byte is past n */
	{"\xe2", 1, 0},
	{"\xe2\x28\xac", 3, 0}, /* interrupted */
	{"\xe2\x82\x28", 3, 0},
	/* four bytes: U+10000..U+10FFFF */
	{"\xf0\x80\x80\x80", 4, 0}, /* overlong U+0000 */
	{"\xf0\x8f\xbf\xbf", 4, 0}, /* overlong U+FFFF */
	{"\xf0\x90\x80\x80", 4, 4}, /* U+10000 */
	{"\xf0\x9f\x98\x80", 4, 4}, /* U+1F600 */
	{"\xf4\x8f\xbf\xbf", 4, 4}, /* U+10FFFF */
	{"\xf4\x90\x80\x80", 4, 0}, /* U+110000 */
	{"\xf4\xbf\xbf\xbf", 4, 0},
	{"\xf0\x90\x80", 3, 0}, /* truncated */
	{"\xf0\x90", 2, 0},
	{"\xf0", 1, 0},
	{"\xf0\x90\x80\x41", 4, 0}, /* interrupted */
	{"\xf0\x41\x80\x80", 4, 0},
};

START_TEST(test_seq_len)
{
	const struct len_case *c = &len_cases[_i];
	/* Exactly n bytes on the heap: a read past them fails under ASan. */
	uint8_t *p = malloc(c->n ? c->n : 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, c->in, c->n);
	ck_assert_uint_eq(utf8_seq_len(p, c->n), c->want);
	free(p);
}
END_TEST

struct put_case {
	uint32_t cp;
	const char *out;
	size_t len;
};

static const struct put_case put_cases[] = {
	{0x0, "\x00", 1},
	{0x41, "A", 1},
	{0x7f, "\x7f", 1},
	{0x80, "\xc2\x80", 2},
	{0xe9, "\xc3\xa9", 2},
	{0x7ff, "\xdf\xbf", 2},
	{0x800, "\xe0\xa0\x80", 3},
	{0x20ac, "\xe2\x82\xac", 3},
	{0xd7ff, "\xed\x9f\xbf", 3},
	{0xd800, "\xef\xbf\xbd", 3}, /* surrogates become U+FFFD */
	{0xdbff, "\xef\xbf\xbd", 3},
	{0xdc00, "\xef\xbf\xbd", 3},
	{0xdfff, "\xef\xbf\xbd", 3},
	{0xe000, "\xee\x80\x80", 3},
	{0xfffd, "\xef\xbf\xbd", 3},
	{0xffff, "\xef\xbf\xbf", 3},
	{0x10000, "\xf0\x90\x80\x80", 4},
	{0x1f600, "\xf0\x9f\x98\x80", 4},
	{0x10ffff, "\xf4\x8f\xbf\xbf", 4},
	{0x110000, "\xef\xbf\xbd", 3}, /* above U+10FFFF: U+FFFD */
	{0x7fffffff, "\xef\xbf\xbd", 3},
	{0xffffffff, "\xef\xbf\xbd", 3},
};

START_TEST(test_put)
{
	const struct put_case *c = &put_cases[_i];
	uint8_t out[UTF8_MAX_LEN] = {0};
	size_t len = utf8_put(c->cp, out);
	ck_assert_uint_eq(len, c->len);
	ck_assert_mem_eq(out, c->out, len);
	ck_assert_uint_eq(utf8_seq_len(out, len), len);
}
END_TEST

/* Every scalar value encodes to a sequence utf8_seq_len() accepts whole
 * (and not one byte short), and that decodes back to it. Plain checks in
 * the loop: a ck_assert per value would cost a message to the runner. */
START_TEST(test_round_trip)
{
	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		uint8_t out[UTF8_MAX_LEN];
		size_t len = utf8_put(cp, out);
		size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		uint32_t back = len == 1 ? out[0] : out[0] & (0x7fu >> len);
		for (size_t i = 1; i < len; i++)
			back = back << 6 | (out[i] & 0x3f);
		if (len != want || utf8_seq_len(out, len) != len ||
		    (len > 1 && utf8_seq_len(out, len - 1) != 0) || back != cp)
			ck_abort_msg("U+%04X: %zu bytes, decodes to U+%04X", (unsigned)cp, len,
				     (unsigned)back);
	}
}
END_TEST

struct sbuf {
	char b[256];
	size_t n;
};

static void sput(void *ctx, const void *p, size_t n)
{
	struct sbuf *sb = ctx;
	ck_assert_uint_le(sb->n + n, sizeof(sb->b) - 1);
	memcpy(sb->b + sb->n, p, n);
	sb->n += n;
	sb->b[sb->n] = '\0';
}

static const struct {
	const char *in;
	size_t n;
	const char *out;
} json_cases[] = {
	{"", 0, "\"\""},
	{"plain ASCII", 11, "\"plain ASCII\""},
	{"q\"b\\", 4, "\"q\\\"b\\\\\""},
	{"\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\""},
	{"\x00\x01\x1f\x7f", 4, "\"\\u0000\\u0001\\u001f\\u007f\""},
	{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
	 "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
	/* invalid: Latin-1 byte, overlong, surrogate, truncated at the end */
	{"caf\xe9", 4, "\"caf\\ufffd\""},
	{"\xc0\xaf", 2, "\"\\ufffd\\ufffd\""},
	{"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""},
	{"ab\xe2\x82", 4, "\"ab\\ufffd\\ufffd\""},
};

START_TEST(test_json_str)
{
	struct sbuf sb = {.n = 0};
	utf8_json_str(json_cases[_i].in, json_cases[_i].n, sput, &sb);
	ck_assert_str_eq(sb.b, json_cases[_i].out);
}
END_TEST

static const struct {
	const char *in, *out;
} strip_cases[] = {
	{"Customer", "Customer"},
	{"Cus\xc2\xad" "tomer", "Customer"},		/* soft hyphen */
	{"plain ASCII words before the Cus\xc2\xad" "tomer and after it",
	 "plain ASCII words before the Customer and after it"},
	{"Cus\xe2\x80\x8b" "tomer", "Customer"},		/* zero-width space */
	{"A\xe2\x80\x8c" "B\xe2\x80\x8d" "C\xe2\x81\xa0" "D", "ABCD"}, /* ZWNJ ZWJ WJ */
	{"\xef\xbb\xbf" "Customer\xef\xbb\xbf", "Customer"}, /* BOM / ZWNBSP */
	/* kept: NBSP, en dash, typographic apostrophe, U+200A hair space,
	 * U+2061, other EF sequences, truncated sequences at the end */
	{"a\xc2\xa0" "b\xe2\x80\x93" "c\xe2\x80\x99" "d\xe2\x80\x8a" "e\xe2\x81\xa1" "f\xef\xbc\xa1",
	 "a\xc2\xa0" "b\xe2\x80\x93" "c\xe2\x80\x99" "d\xe2\x80\x8a" "e\xe2\x81\xa1" "f\xef\xbc\xa1"},
	{"x\xe2\x80", "x\xe2\x80"},
	{"x\xc2", "x\xc2"},
	{"", ""},
};

START_TEST(test_strip_invisible)
{
	uint8_t b[64];
	size_t n = strlen(strip_cases[_i].in);
	memcpy(b, strip_cases[_i].in, n);
	size_t w = utf8_strip_invisible(b, n);
	ck_assert_uint_eq(w, strlen(strip_cases[_i].out));
	ck_assert_mem_eq(b, strip_cases[_i].out, w);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("all");
	tcase_add_loop_test(tc, test_seq_len, 0, N(len_cases));
	tcase_add_loop_test(tc, test_put, 0, N(put_cases));
	tcase_add_test(tc, test_round_trip);
	tcase_add_loop_test(tc, test_json_str, 0, N(json_cases));
	tcase_add_loop_test(tc, test_strip_invisible, 0, N(strip_cases));
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
