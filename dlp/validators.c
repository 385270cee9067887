/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * validators.c — payment card (Luhn + IIN), US SSN and IBAN (mod 97)
 * validation, and value masking. See validators.h for the contracts.
 */
#include "dlp/validators.h"

#include <string.h>

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}
static inline bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

bool dlp_luhn_ok(const char *d, size_t len)
{
	unsigned sum = 0;
	bool dbl = false;

	if (len == 0)
		return false;
	for (size_t i = len; i-- > 0;) {
		if (!is_digit(d[i]))
			return false;
		unsigned v = (unsigned)(d[i] - '0');
		if (dbl) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
		dbl = !dbl;
	}
	return sum % 10 == 0;
}

/* Numeric value of the first n digits. */
static unsigned prefix(const char *d, size_t n)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(d[i] - '0');
	return v;
}

bool dlp_card_iin_ok(const char *d, size_t len)
{
	if (len < 13 || len > 19)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_digit(d[i]))
			return false;
	unsigned p1 = prefix(d, 1), p2 = prefix(d, 2), p3 = prefix(d, 3), p4 = prefix(d, 4);

	switch (p1) {
	case 4: /* Visa */
		return len == 13 || len == 16 || len == 19;
	case 5:
		if (p2 >= 51 && p2 <= 55) /* Mastercard */
			return len == 16;
		/* Maestro 50, 56-58 */
		return p2 == 50 || (p2 >= 56 && p2 <= 58);
	case 2: /* Mastercard 2-series */
		return p4 >= 2221 && p4 <= 2720 && len == 16;
	case 3:
		if (p2 == 34 || p2 == 37) /* Amex */
			return len == 15;
		if (p4 >= 3528 && p4 <= 3589) /* JCB */
			return len >= 16;
		if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39)
			return len >= 14; /* Diners */
		return false;
	case 6:
		/* Discover 6011, 644-649, 65 and UnionPay 62 are 16-19 digits;
		 * everything else starting with 6 is Maestro (12-19). */
		if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || p2 == 62)
			return len >= 16;
		return true;
	default:
		return false;
	}
}

bool dlp_card_validate(const char *s, size_t len, char *out, size_t *out_len)
{
	char sep = 0;
	size_t n = 0;

	if (len == 0 || !is_digit(s[0]) || !is_digit(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (is_digit(c)) {
			if (n >= 19)
				return false;
			out[n++] = c;
			continue;
		}
		if (c != ' ' && c != '-')
			return false;
		if (sep && c != sep)
			return false; /* mixed separators */
		if (!is_digit(s[i - 1]) || !is_digit(s[i + 1]))
			return false; /* only single separators between digits */
		sep = c;
	}
	if (!dlp_card_iin_ok(out, n) || !dlp_luhn_ok(out, n))
		return false;
	out[n] = '\0';
	*out_len = n;
	return true;
}

bool dlp_ssn_validate(const char *s, size_t len, char *out, size_t *out_len)
{
	size_t n = 0;

	if (len == 11) {
		if (s[3] != s[6] || (s[3] != '-' && s[3] != ' '))
			return false;
		for (size_t i = 0; i < 11; i++) {
			if (i == 3 || i == 6)
				continue;
			if (!is_digit(s[i]))
				return false;
			out[n++] = s[i];
		}
	} else if (len == 9) {
		for (size_t i = 0; i < 9; i++) {
			if (!is_digit(s[i]))
				return false;
			out[n++] = s[i];
		}
	} else {
		return false;
	}
	unsigned area = prefix(out, 3), group = prefix(out + 3, 2), serial = prefix(out + 5, 4);
	if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0)
		return false;
	if (area == 78 && group == 5 && serial == 1120)
		return false; /* the Woolworth wallet card number */
	out[n] = '\0';
	*out_len = n;
	return true;
}

struct iban_country {
	char cc[3];
	unsigned char len;
};

/* SWIFT IBAN registry lengths (sorted by code for bsearch-free scan). */
static const struct iban_country iban_table[] = {
	{"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
	{"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22},
	{"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20},
	{"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22},
	{"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
	{"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30},
	{"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21},
	{"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
	{"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
	{"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33},
	{"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27},
	{"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29},
	{"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

unsigned dlp_iban_country_length(char c0, char c1)
{
	for (size_t i = 0; i < sizeof(iban_table) / sizeof(iban_table[0]); i++)
		if (iban_table[i].cc[0] == c0 && iban_table[i].cc[1] == c1)
			return iban_table[i].len;
	return 0;
}

bool dlp_iban_validate(const char *s, size_t len, char *out, size_t *out_len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == ' ') {
			if (i == 0 || i + 1 == len || s[i + 1] == ' ')
				return false;
			continue;
		}
		if (!is_digit(c) && !is_upper(c))
			return false;
		if (n >= 34)
			return false;
		out[n++] = c;
	}
	if (n < 15 || !is_upper(out[0]) || !is_upper(out[1]) || !is_digit(out[2]) ||
	    !is_digit(out[3]))
		return false;
	if (dlp_iban_country_length(out[0], out[1]) != n)
		return false;
	/* mod 97 over BBAN + country + check digits, letters as 10..35 */
	unsigned rem = 0;
	for (size_t k = 0; k < n; k++) {
		char c = out[(k + 4) % n];
		if (is_digit(c)) {
			rem = (rem * 10 + (unsigned)(c - '0')) % 97;
		} else {
			unsigned v = (unsigned)(c - 'A') + 10;
			rem = (rem * 100 + v) % 97;
		}
	}
	if (rem != 1)
		return false;
	out[n] = '\0';
	*out_len = n;
	return true;
}

size_t dlp_mask_value(enum dlp_mask_kind kind, const char *v, size_t len, char *out, size_t outlen)
{
	size_t keep_head, keep_tail, n = 0;

	if (outlen == 0)
		return 0;
	switch (kind) {
	case DLP_MASK_SSN:
		if (len == 9 && outlen > 11) {
			memcpy(out, "***-**-", 7);
			memcpy(out + 7, v + 5, 4);
			out[11] = '\0';
			return 11;
		}
		keep_head = 0;
		keep_tail = len >= 4 ? 4 : 0;
		break;
	case DLP_MASK_CARD:
	case DLP_MASK_IBAN:
		keep_head = len >= 12 ? 4 : 0;
		keep_tail = len >= 12 ? 4 : 0;
		break;
	default:
		keep_head = len / 3 > 4 ? 4 : len / 3;
		keep_tail = keep_head;
		break;
	}
	for (size_t i = 0; i < len && n + 1 < outlen; i++) {
		bool keep = i < keep_head || i >= len - keep_tail;
		out[n++] = keep ? v[i] : '*';
	}
	out[n] = '\0';
	return n;
}
