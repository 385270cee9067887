/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcpload.c — the load tools' pattern and CRC (tools/lab/tcpload.h):
 * the word-at-a-time tl_fill/tl_check against the byte-wise definition of
 * the pattern, and tl_crc32 (PCLMULQDQ folding where the CPU has it)
 * against zlib's crc32 for every length up to 4 KiB at every alignment and
 * when a stream is fed in pieces. The bench and the lab tests check bytes
 * with these functions on both ends, so a wrong value would go unnoticed
 * there.
 */
#include <check.h>
#include <stdlib.h>
#include <zlib.h>

#include "tools/lab/tcpload.h"

static uint8_t
ref_byte(uint64_t key, uint64_t off)
{
	return (uint8_t)(tl_mix(key + off / 8) >> (8 * (off % 8)));
}

START_TEST(fill_matches_definition)
{
	uint8_t buf[300];
	uint64_t key = tl_key(42, 7);

	for (uint64_t off = 0; off < 40; off++)
		for (size_t len = 0; len < 200; len += 1 + len / 16) {
			memset(buf, 0xa5, sizeof(buf));
			tl_fill(key, off, buf + 1, len);
			ck_assert_uint_eq(buf[0], 0xa5);
			ck_assert_uint_eq(buf[len + 1], 0xa5);
			for (size_t i = 0; i < len; i++)
				ck_assert_uint_eq(buf[1 + i], ref_byte(key, off + i));
			ck_assert_int_eq(tl_check(key, off, buf + 1, len), 0);
			if (len > 0) {
				size_t k = (off * 31 + len) % len;
				buf[1 + k] ^= 0x10;
				ck_assert_int_eq(tl_check(key, off, buf + 1, len), -1);
			}
		}
}
END_TEST

START_TEST(crc32_matches_zlib)
{
	enum { MAX = 4096 + 64 };
	uint8_t *buf = malloc(MAX + 16);

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < MAX + 16; i++)
		buf[i] = (uint8_t)(tl_mix(i) >> 13);
	for (unsigned a = 0; a < 16; a++)
		for (size_t len = 0; len <= MAX; len += (len < 300 ? 1 : 7)) {
			uLong z = crc32(crc32(0, NULL, 0), buf + a, (uInt)len);
			ck_assert_uint_eq(tl_crc32(crc32(0, NULL, 0), buf + a, len), z);
			/* a non-trivial starting value */
			uLong z2 = crc32(0x12345678ul, buf + a, (uInt)len);
			ck_assert_uint_eq(tl_crc32(0x12345678ul, buf + a, len), z2);
		}
	/* a stream fed in uneven pieces, as segments arrive */
	uLong z = crc32(0, buf, MAX), t = 0;
	for (size_t off = 0, step = 1; off < MAX; off += step, step = step * 3 % 1461 + 1) {
		size_t n = step < MAX - off ? step : MAX - off;
		t = tl_crc32(t, buf + off, n);
	}
	ck_assert_uint_eq(t, z);
	free(buf);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("tcpload");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, fill_matches_definition);
	tcase_add_test(tc, crc32_matches_zlib);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
