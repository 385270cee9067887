/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_base64.c — streaming base64 decoder: a table of cases, each decoded
 * one-shot, split in two at every offset and byte by byte, with identical
 * output and anomalies; a round trip over every byte value with line
 * breaks. `test_dlp_base64 --bench` prints the whole-buffer decode MB/s.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dlp/decode.h"
#include "dlp/dlp.h"

struct b64_case {
	const char *in;
	const char *out;
	size_t out_len;
	uint32_t anom;
};

static const struct b64_case cases[] = {
	{"", "", 0, 0},
	{"SGVsbG8=", "Hello", 5, 0},
	{"SGVsbG8gV29ybGQ=", "Hello World", 11, 0},
	{"SGVs\r\nbG8=\r\n", "Hello", 5, 0},
	{"SGVs\nbG8=", "Hello", 5, 0},
	{"  SGVs bG8=\t", "Hello", 5, 0},
	{"QQ==", "A", 1, 0},
	{"QUI=", "AB", 2, 0},
	{"QUJD", "ABC", 3, 0},
	{"QQ==QUI=", "AAB", 3, 0},			  /* concatenated blobs */
	{"SGVsbG8", "Hello", 5, DLP_ANOM_BAD_BASE64},	  /* missing padding */
	{"SG!!Vs*bG8=", "Hello", 5, DLP_ANOM_BAD_BASE64}, /* junk */
	{"=", "", 0, DLP_ANOM_BAD_BASE64},
	{"Q", "", 0, DLP_ANOM_BAD_BASE64},
	{"Q=", "", 0, DLP_ANOM_BAD_BASE64},
	{"QQ=QUI=", "AAB", 3, DLP_ANOM_BAD_BASE64}, /* single '=' pad */
	{"AAEC/w==", "\x00\x01\x02\xff", 4, 0},
	{"+/+/", "\xfb\xff\xbf", 3, 0},
	{"SGVsbG8=\r\n\r\n", "Hello", 5, 0},
	{"SGVsbG8===", "Hello", 5, DLP_ANOM_BAD_BASE64},
};

static size_t run_split(const uint8_t *in, size_t len, const size_t *cuts, size_t ncuts,
			uint8_t *out, uint32_t *anom)
{
	struct decode_b64 st;
	size_t w = 0, prev = 0;

	decode_b64_init(&st);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		w += decode_b64_push(&st, in + prev, end - prev, out + w);
		prev = end;
	}
	w += decode_b64_finish(&st, out + w);
	*anom = st.anomalies;
	return w;
}

static void check_case(const struct b64_case *c)
{
	const uint8_t *in = (const uint8_t *)c->in;
	size_t len = strlen(c->in);
	uint8_t out[256];
	uint32_t anom;
	size_t w;

	w = decode_base64(in, len, out, &anom);
	ck_assert_uint_eq(w, c->out_len);
	ck_assert_mem_eq(out, c->out, w);
	ck_assert_uint_eq(anom, c->anom);
	for (size_t cut = 0; cut <= len; cut++) {
		w = run_split(in, len, &cut, 1, out, &anom);
		ck_assert_msg(w == c->out_len && memcmp(out, c->out, w) == 0,
			      "case \"%s\" split at %zu", c->in, cut);
		ck_assert_uint_eq(anom, c->anom);
	}
	size_t cuts[64];
	for (size_t i = 0; i < len; i++)
		cuts[i] = i + 1;
	w = run_split(in, len, cuts, len ? len - 1 : 0, out, &anom);
	ck_assert_uint_eq(w, c->out_len);
	ck_assert_mem_eq(out, c->out, w);
	ck_assert_uint_eq(anom, c->anom);
}

START_TEST(test_cases)
{
	check_case(&cases[_i]);
}
END_TEST

static const char b64_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Reference encoder, 76-character CRLF lines as MIME writes them. */
static size_t encode(const uint8_t *in, size_t len, char *out)
{
	size_t w = 0, col = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[w++] = b64_alpha[v >> 18 & 63];
		out[w++] = b64_alpha[v >> 12 & 63];
		out[w++] = i + 1 < len ? b64_alpha[v >> 6 & 63] : '=';
		out[w++] = i + 2 < len ? b64_alpha[v & 63] : '=';
		col += 4;
		if (col == 76) {
			out[w++] = '\r';
			out[w++] = '\n';
			col = 0;
		}
	}
	return w;
}

START_TEST(test_round_trip)
{
	uint8_t data[1000], out[DECODE_B64_MAX_OUT(2000)];
	char enc[2000];
	uint32_t anom;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + (i >> 8));
	for (size_t len = 0; len < 20; len++) {
		size_t el = encode(data, len, enc);
		size_t w = decode_base64((uint8_t *)enc, el, out, &anom);
		ck_assert_uint_eq(w, len);
		ck_assert_mem_eq(out, data, len);
		ck_assert_uint_eq(anom, 0);
	}
	size_t el = encode(data, sizeof(data), enc);
	for (size_t cut = 0; cut <= el; cut += 1) {
		size_t w = run_split((uint8_t *)enc, el, &cut, 1, out, &anom);
		ck_assert_uint_eq(w, sizeof(data));
		ck_assert_mem_eq(out, data, sizeof(data));
		ck_assert_uint_eq(anom, 0);
	}
}
END_TEST

/* Byte-at-a-time reference with the decoder's documented semantics, to
 * check the table and SIMD fast paths against. */
static size_t ref_decode(const uint8_t *in, size_t len, uint8_t *out, uint32_t *anom)
{
	uint32_t acc = 0;
	unsigned n = 0, skip_pad = 0;
	size_t w = 0;

	*anom = 0;
	for (size_t i = 0; i < len; i++) {
		const char *pos = in[i] ? strchr(b64_alpha, in[i]) : NULL;
		if (pos) {
			if (skip_pad) {
				*anom |= DLP_ANOM_BAD_BASE64;
				skip_pad = 0;
			}
			acc = acc << 6 | (uint32_t)(pos - b64_alpha);
			if (++n == 4) {
				out[w++] = (uint8_t)(acc >> 16);
				out[w++] = (uint8_t)(acc >> 8);
				out[w++] = (uint8_t)acc;
				n = 0;
				acc = 0;
			}
		} else if (in[i] == ' ' || in[i] == '\t' || in[i] == '\r' || in[i] == '\n') {
			continue;
		} else if (in[i] == '=') {
			if (skip_pad) {
				skip_pad = 0;
				continue;
			}
			if (n == 2) {
				out[w++] = (uint8_t)(acc >> 4);
				skip_pad = 1;
			} else if (n == 3) {
				out[w++] = (uint8_t)(acc >> 10);
				out[w++] = (uint8_t)(acc >> 2);
			} else {
				*anom |= DLP_ANOM_BAD_BASE64;
			}
			n = 0;
			acc = 0;
		} else {
			*anom |= DLP_ANOM_BAD_BASE64;
		}
	}
	if (n == 1)
		*anom |= DLP_ANOM_BAD_BASE64;
	if (n == 2) {
		out[w++] = (uint8_t)(acc >> 4);
		*anom |= DLP_ANOM_BAD_BASE64;
	}
	if (n == 3) {
		out[w++] = (uint8_t)(acc >> 10);
		out[w++] = (uint8_t)(acc >> 2);
		*anom |= DLP_ANOM_BAD_BASE64;
	}
	return w;
}

/* Every byte value at every position of 160 characters: the AVX2 blocks
 * (32) and the AVX-512 blocks (64), the first, second and a partial third. */
START_TEST(test_every_byte_everywhere)
{
	uint8_t in[160], out[DECODE_B64_MAX_OUT(160)], ref[160];
	uint32_t a1, a2;

	for (unsigned v = 0; v < 256; v++) {
		for (unsigned k = 0; k < sizeof(in); k++) {
			for (unsigned i = 0; i < sizeof(in); i++)
				in[i] = (uint8_t)b64_alpha[(i * 7 + v) & 63];
			in[k] = (uint8_t)v;
			size_t w = decode_base64(in, sizeof(in), out, &a1);
			size_t r = ref_decode(in, sizeof(in), ref, &a2);
			ck_assert_msg(w == r && memcmp(out, ref, r) == 0 && a1 == a2,
				      "byte 0x%02x at %u", v, k);
		}
	}
}
END_TEST

/* Random mixes of alphabet, whitespace, padding and junk, whole and pushed
 * in random pieces. Half the runs mix in whitespace only (the SIMD paths
 * squeeze it out and carry partial quads across blocks), at densities from
 * none to most bytes. */
START_TEST(test_random_vs_reference)
{
	static const char extra[] = "\r\n \t=!*-_.\x80\xff";
	static const char white[] = "\r\n \t";
	uint8_t in[1000], out[DECODE_B64_MAX_OUT(1000)], ref[1000];
	uint32_t seed = 12345, a1, a2;

	for (int iter = 0; iter < 20000; iter++) {
		seed = seed * 1103515245u + 12345u;
		size_t len = (seed >> 8) % (iter & 1 ? sizeof(in) : 400);
		unsigned junk = (seed >> 20) % 64; /* junk density */
		bool ws_only = iter & 2;
		if (ws_only)
			junk = (seed >> 20) % 512;
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			unsigned r = seed >> 16;
			if (r % 512 >= junk)
				in[i] = (uint8_t)b64_alpha[(r >> 9) & 63];
			else if (ws_only)
				in[i] = (uint8_t)white[(r >> 9) % (sizeof(white) - 1)];
			else
				in[i] = (uint8_t)extra[(r >> 9) % (sizeof(extra) - 1)];
		}
		size_t w = decode_base64(in, len, out, &a1);
		size_t r = ref_decode(in, len, ref, &a2);
		ck_assert_msg(w == r && memcmp(out, ref, r) == 0 && a1 == a2, "iteration %d", iter);
		size_t cuts[8], nc = 0, at = 0;
		while (nc < 8 && len) {
			seed = seed * 1103515245u + 12345u;
			at += (seed >> 16) % 200;
			if (at >= len)
				break;
			cuts[nc++] = at;
		}
		memset(out, 0, sizeof(out));
		w = run_split(in, len, cuts, nc, out, &a1);
		ck_assert_msg(w == r && memcmp(out, ref, r) == 0 && a1 == a2, "iteration %d split",
			      iter);
	}
}
END_TEST

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* MB/s of encoded input decoded by decode_base64(). */
static int bench(void)
{
	size_t n = 48u << 20;
	uint8_t *data = malloc(n), *out = malloc(DECODE_B64_MAX_OUT(n * 2));
	char *enc = malloc(n * 2);
	uint32_t anom;

	if (!data || !out || !enc)
		return 1;
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	size_t el = encode(data, n, enc);
	double best = 0;
	for (int r = 0; r < 5; r++) {
		double t = now();
		size_t w = decode_base64((uint8_t *)enc, el, out, &anom);
		t = now() - t;
		if (w != n || memcmp(out, data, n) != 0)
			return 1;
		if (el / t > best)
			best = el / t;
	}
	printf("base64 decode (76-col CRLF lines): %.0f MB/s of input\n", best / 1e6);
	free(data);
	free(out);
	free(enc);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--bench") == 0)
		return bench();
	Suite *s = suite_create("base64");
	TCase *tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_cases, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_every_byte_everywhere);
	tcase_add_test(tc, test_random_vs_reference);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
