/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * validators.h — checks for predefined identifiers (payment cards, US SSNs,
 * IBANs) and the masking used when their values are reported.
 *
 * The engine finds candidates with cheap Hyperscan patterns and hands the
 * candidate bytes (taken from its per-stream look-back window) to these
 * functions, which decide whether the candidate is a real identifier and
 * produce its normalised value (digits / characters without separators) for
 * unique counting. All functions take pointer + length and never read past
 * it; none allocates.
 */
#ifndef SMTPDLP_DLP_VALIDATORS_H
#define SMTPDLP_DLP_VALIDATORS_H

#include <stdbool.h>
#include <stddef.h>

/* Longest normalised value any validator produces (IBAN: 34). */
#define DLP_ID_MAX 40

/* Luhn check over `len` ASCII digits. false if any byte is not a digit. */
bool dlp_luhn_ok(const char *digits, size_t len);

/* Payment card: `s` is exactly the candidate, 13-19 digits, optionally
 * separated by a single space or a single dash between digit groups (one
 * separator kind per number). Checks Luhn and known IIN ranges (Visa,
 * Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). On success
 * writes the digits (no separators) to out[DLP_ID_MAX], sets *out_len and
 * returns true. Context checks (not part of a longer run) are the caller's. */
bool dlp_card_validate(const char *s, size_t len, char *out, size_t *out_len);

/* Only the IIN (issuer prefix + length) check over plain digits. */
bool dlp_card_iin_ok(const char *digits, size_t len);

/* US SSN: "AAA-GG-SSSS", "AAA GG SSSS" or 9 digits. Rejects area 000, 666,
 * 900-999, group 00, serial 0000 and the advertising number 078-05-1120.
 * Writes the 9 digits to out on success. */
bool dlp_ssn_validate(const char *s, size_t len, char *out, size_t *out_len);

/* IBAN with or without single spaces (groups of 4 usually): country code
 * with known length, two check digits, mod-97 == 1. Upper-case letters only.
 * Writes the compact IBAN to out on success. */
bool dlp_iban_validate(const char *s, size_t len, char *out, size_t *out_len);

/* Length of a valid IBAN for country code c0c1 (upper case), 0 if unknown. */
unsigned dlp_iban_country_length(char c0, char c1);

/* Kinds of masking for reported values. */
enum dlp_mask_kind {
	DLP_MASK_CARD = 0, /* first 4 and last 4 kept: 4111********1111 */
	DLP_MASK_SSN,	   /* ***-**-6789 */
	DLP_MASK_IBAN,	   /* first 4 and last 4 kept */
	DLP_MASK_GENERIC,  /* regex values: about a third kept at each end */
};

/* Write the masked form of value[0..len) to out (NUL-terminated, at most
 * outlen bytes including the NUL, truncated if needed). Returns the length
 * written without the NUL. */
size_t dlp_mask_value(enum dlp_mask_kind kind, const char *value, size_t len, char *out,
		      size_t outlen);

#endif /* SMTPDLP_DLP_VALIDATORS_H */
