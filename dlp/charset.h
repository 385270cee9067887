/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * charset.h — streaming conversion of a MIME charset to UTF-8.
 *
 * One struct charset_conv per text stream (a body part, or the bytes of
 * adjacent RFC 2047 words). Input arrives in chunks of any split: an
 * incomplete multibyte sequence, an odd UTF-16 byte or a lone high surrogate
 * is carried to the next call. Backends, chosen by charset_conv_init():
 *  - UTF-8 and US-ASCII: validation and repair without iconv (ASCII runs
 *    copied 8 bytes at a time); each maximal ill-formed subsequence becomes
 *    U+FFFD and sets DLP_ANOM_BAD_UTF8;
 *  - ISO-8859-1 / Windows-1252 (decoded as Windows-1252, as browsers do) and
 *    every other single-byte charset iconv knows: a 256-entry table built
 *    once at init, then one lookup per byte;
 *  - UTF-16, UTF-16LE, UTF-16BE: native; "utf-16" honours a BOM and is big
 *    endian without one (RFC 2781 §4.3); a leading BOM is always dropped;
 *  - any other charset iconv knows (Shift_JIS, GB18030, ISO-2022-JP, ...):
 *    streaming iconv; invalid input becomes U+FFFD (DLP_ANOM_BAD_CHARSET).
 * An unknown charset sets DLP_ANOM_BAD_CHARSET and is read like an
 * unlabelled one. Unlabelled text (no charset, US-ASCII, unknown-8bit, an
 * unknown name) is read as UTF-8 until its first invalid sequence and as
 * Windows-1252 from there on (DLP_ANOM_BAD_UTF8): 8-bit mail without a
 * label is mostly Latin-1/Windows-1252, and its accented words then still
 * match. An explicit UTF-8 label is repaired (U+FFFD) instead. Names are matched
 * case-insensitively; an RFC 2231 "*lang" suffix and surrounding quotes are ignored.
 */
#ifndef SMTPDLP_CHARSET_H
#define SMTPDLP_CHARSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest charset name kept (IANA names are at most 40 characters). */
#define CHARSET_NAME_MAX 64

/* Output bound of one push of len input bytes, carry included. */
#define CHARSET_MAX_OUT(len) (3 * (len) + 32)

enum charset_kind {
	CHARSET_UTF8,  /* UTF-8 / US-ASCII / unknown: validate and repair */
	CHARSET_TABLE, /* single-byte charset, table lookup */
	CHARSET_UTF16, /* UTF-16, endianness in big_endian */
	CHARSET_ICONV, /* multibyte or stateful charset via iconv */
};

struct charset_conv {
	enum charset_kind kind;
	bool big_endian;     /* CHARSET_UTF16 */
	bool bom_check;	     /* CHARSET_UTF16: first unit not seen yet */
	bool bom_sets_order; /* "utf-16": the BOM decides the byte order */
	bool fallback_1252;  /* unlabelled UTF-8: Windows-1252 from the first
			      * invalid sequence on */
	uint16_t high;	     /* CHARSET_UTF16: pending high surrogate or 0 */
	uint8_t carry[8];    /* incomplete sequence from the previous push */
	unsigned ncarry;
	void *cd;	     /* iconv_t for CHARSET_ICONV */
	uint32_t anomalies;  /* DLP_ANOM_BAD_UTF8 / DLP_ANOM_BAD_CHARSET */
	uint8_t map[256][4]; /* CHARSET_TABLE: UTF-8 bytes, [3] = length */
};

/* Prepare c for charset name (name_len bytes, not NUL-terminated; NULL or
 * empty means US-ASCII). Never fails: an unknown or unusable charset falls
 * back to UTF-8 with repair and sets DLP_ANOM_BAD_CHARSET in c->anomalies.
 * Release with charset_conv_fini(). */
void charset_conv_init(struct charset_conv *c, const char *name, size_t name_len);

/* Release iconv resources. Safe on an initialised or zeroed struct. */
void charset_conv_fini(struct charset_conv *c);

/* Convert len bytes; out must hold CHARSET_MAX_OUT(len). Returns the UTF-8
 * bytes written (always valid UTF-8 when pieced together with the following
 * calls). */
size_t charset_conv_push(struct charset_conv *c, const uint8_t *in, size_t len, uint8_t *out);

/* End of stream: a carried incomplete sequence becomes U+FFFD (flagged).
 * out must hold CHARSET_MAX_OUT(0). Returns the bytes written; c can then
 * take a new stream of the same charset. */
size_t charset_conv_finish(struct charset_conv *c, uint8_t *out);

/* Whether the next push of ASCII bytes other than NUL (0x01..0x7f) would
 * write exactly those bytes and change no state: UTF-8 backend (labelled
 * or unlabelled) with no incomplete sequence carried. Lets a caller pass
 * such text through without converting it. */
static inline bool charset_conv_ascii_identity(const struct charset_conv *c)
{
	return c->kind == CHARSET_UTF8 && c->ncarry == 0;
}

/* Whether the name denotes UTF-8 or US-ASCII (no conversion needed beyond
 * validation). */
bool charset_is_utf8(const char *name, size_t name_len);

/* Encode code point cp (invalid ones as U+FFFD) as UTF-8 into out (4 bytes
 * room). Returns the length. */
size_t charset_put_utf8(uint32_t cp, uint8_t *out);

#endif /* SMTPDLP_CHARSET_H */
