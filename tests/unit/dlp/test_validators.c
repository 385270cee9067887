/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_validators.c — payment card (Luhn, IIN, separators), US SSN and IBAN
 * validation, and value masking, as tables of accepted / rejected inputs.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/validators.h"

struct vcase {
	const char *in;
	bool ok;
	const char *norm; /* expected normalised value when ok */
};

static const struct vcase card_cases[] = {
	{"4111111111111111", true, "4111111111111111"}, /* Visa 16 */
	{"4111 1111 1111 1111", true, "4111111111111111"},
	{"4111-1111-1111-1111", true, "4111111111111111"},
	{"4222222222222", true, "4222222222222"},	/* Visa 13 */
	{"5555555555554444", true, "5555555555554444"}, /* Mastercard */
	{"2223003122003222", true, "2223003122003222"}, /* MC 2-series */
	{"378282246310005", true, "378282246310005"},	/* Amex */
	{"3782 822463 10005", true, "378282246310005"}, /* Amex grouping */
	{"6011111111111117", true, "6011111111111117"}, /* Discover */
	{"3530111333300000", true, "3530111333300000"}, /* JCB */
	{"30569309025904", true, "30569309025904"},	/* Diners 14 */
	{"6200000000000005", true, "6200000000000005"}, /* UnionPay */
	{"4111111111111112", false, NULL},		/* bad Luhn */
	{"1234567812345670", false, NULL},		/* Luhn ok, no IIN */
	{"4111 1111-1111 1111", false, NULL},		/* mixed separators */
	{"4111  1111 1111 1111", false, NULL},		/* double separator */
	{"411111111111", false, NULL},			/* 12 digits */
	{"41111111111111111111", false, NULL},		/* 20 digits */
	{"4111x111111111111", false, NULL},
	{"378282246310005 ", false, NULL}, /* trailing sep */
	{"5105105105105100", true, "5105105105105100"},
	{"5610591081018250", true, "5610591081018250"}, /* Maestro/AU BankCard */
};

START_TEST(test_card)
{
	const struct vcase *c = &card_cases[_i];
	char out[DLP_ID_MAX + 1];
	size_t n = 0;
	bool ok = dlp_card_validate(c->in, strlen(c->in), out, &n);
	ck_assert_msg(ok == c->ok, "%s: expected %d", c->in, c->ok);
	if (ok) {
		ck_assert_uint_eq(n, strlen(c->norm));
		ck_assert_str_eq(out, c->norm);
	}
}
END_TEST

static const struct vcase ssn_cases[] = {
	{"123-45-6789", true, "123456789"}, {"123 45 6789", true, "123456789"},
	{"123456789", true, "123456789"},   {"000-12-3456", false, NULL}, /* area 000 */
	{"666-12-3456", false, NULL},					  /* area 666 */
	{"900-12-3456", false, NULL},					  /* area 9xx */
	{"999-12-3456", false, NULL},	    {"123-00-4567", false, NULL}, /* group 00 */
	{"123-45-0000", false, NULL},					  /* serial 0000 */
	{"078-05-1120", false, NULL},					  /* advertising number */
	{"123-45 6789", false, NULL},					  /* mixed separators */
	{"12-345-6789", false, NULL},	    {"899-99-9999", true, "899999999"},
	{"001-01-0001", true, "001010001"},
};

START_TEST(test_ssn)
{
	const struct vcase *c = &ssn_cases[_i];
	char out[DLP_ID_MAX + 1];
	size_t n = 0;
	bool ok = dlp_ssn_validate(c->in, strlen(c->in), out, &n);
	ck_assert_msg(ok == c->ok, "%s: expected %d", c->in, c->ok);
	if (ok)
		ck_assert_str_eq(out, c->norm);
}
END_TEST

static const struct vcase iban_cases[] = {
	{"DE89370400440532013000", true, "DE89370400440532013000"},
	{"DE89 3704 0044 0532 0130 00", true, "DE89370400440532013000"},
	{"GB82WEST12345698765432", true, "GB82WEST12345698765432"},
	{"GB82 WEST 1234 5698 7654 32", true, "GB82WEST12345698765432"},
	{"FR1420041010050500013M02606", true, "FR1420041010050500013M02606"},
	{"NO9386011117947", true, "NO9386011117947"},
	{"DE89370400440532013001", false, NULL}, /* bad check */
	{"DE8937040044053201300", false, NULL},	 /* DE wrong length */
	{"XX89370400440532013000", false, NULL}, /* unknown country */
	{"de89370400440532013000", false, NULL}, /* lower case */
	{"DE89  3704 0044 0532 0130 00", false, NULL},
	{"GB82WEST1234569876543", false, NULL},
};

START_TEST(test_iban)
{
	const struct vcase *c = &iban_cases[_i];
	char out[DLP_ID_MAX + 1];
	size_t n = 0;
	bool ok = dlp_iban_validate(c->in, strlen(c->in), out, &n);
	ck_assert_msg(ok == c->ok, "%s: expected %d", c->in, c->ok);
	if (ok)
		ck_assert_str_eq(out, c->norm);
}
END_TEST

static const struct {
	const char *d;
	bool ok;
} luhn_cases[] = {
	{"79927398713", true}, {"79927398710", false}, {"0", true},
	{"", false},	       {"12a4", false},	       {"4111111111111111", true},
};

START_TEST(test_luhn)
{
	ck_assert_int_eq(dlp_luhn_ok(luhn_cases[_i].d, strlen(luhn_cases[_i].d)),
			 luhn_cases[_i].ok);
}
END_TEST

static const struct {
	enum dlp_mask_kind k;
	const char *in, *out;
} mask_cases[] = {
	{DLP_MASK_CARD, "4111111111111111", "4111********1111"},
	{DLP_MASK_SSN, "123456789", "***-**-6789"},
	{DLP_MASK_IBAN, "DE89370400440532013000", "DE89**************3000"},
	{DLP_MASK_GENERIC, "PRJ-123456", "PRJ****456"},
	{DLP_MASK_GENERIC, "ab", "**"},
};

START_TEST(test_mask)
{
	char out[64];
	size_t n = dlp_mask_value(mask_cases[_i].k, mask_cases[_i].in, strlen(mask_cases[_i].in),
				  out, sizeof(out));
	ck_assert_str_eq(out, mask_cases[_i].out);
	ck_assert_uint_eq(n, strlen(mask_cases[_i].out));
	/* truncation keeps NUL termination */
	n = dlp_mask_value(mask_cases[_i].k, mask_cases[_i].in, strlen(mask_cases[_i].in), out, 2);
	ck_assert_uint_le(n, 1);
	ck_assert_uint_eq(strlen(out), n);
}
END_TEST

START_TEST(test_iban_table)
{
	ck_assert_uint_eq(dlp_iban_country_length('D', 'E'), 22);
	ck_assert_uint_eq(dlp_iban_country_length('G', 'B'), 22);
	ck_assert_uint_eq(dlp_iban_country_length('N', 'O'), 15);
	ck_assert_uint_eq(dlp_iban_country_length('L', 'C'), 32);
	ck_assert_uint_eq(dlp_iban_country_length('Z', 'Z'), 0);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
	Suite *s = suite_create("validators");
	TCase *tc = tcase_create("all");
	tcase_add_loop_test(tc, test_card, 0, N(card_cases));
	tcase_add_loop_test(tc, test_ssn, 0, N(ssn_cases));
	tcase_add_loop_test(tc, test_iban, 0, N(iban_cases));
	tcase_add_loop_test(tc, test_luhn, 0, N(luhn_cases));
	tcase_add_loop_test(tc, test_mask, 0, N(mask_cases));
	tcase_add_test(tc, test_iban_table);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
