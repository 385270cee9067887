/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mime_header.h — decoding of one unfolded header value.
 *
 *  - mime_hdr_decode_words(): unstructured values (Subject, From, ...):
 *    RFC 2047 encoded words in B and Q, charset converted to UTF-8, adjacent
 *    encoded words joined (the whitespace between them dropped, and words of
 *    the same charset concatenated before conversion so a multibyte character
 *    split over two words survives); text outside encoded words is taken as
 *    UTF-8 (RFC 6532) and repaired.
 *  - mime_hdr_token(): the leading token of a structured value
 *    (Content-Type "type/subtype", Content-Disposition type,
 *    Content-Transfer-Encoding), lower-cased.
 *  - mime_hdr_param(): one parameter of a structured value: RFC 2045
 *    token or quoted-string, RFC 2231 extended values (charset'lang'%XX) and
 *    continuations (name*0*, name*1, ... in any order), and RFC 2047 words
 *    inside a plain value (common for filenames, though not allowed).
 *  - mime_hdr_params(): several parameters of one value in one pass over
 *    it (Content-Type wants charset, boundary and name).
 * Input is pointer + length, never NUL-terminated; outputs are bounded.
 */
#ifndef SMTPDLP_MIME_HEADER_H
#define SMTPDLP_MIME_HEADER_H

#include <stddef.h>
#include <stdint.h>

/* RFC 2231 sections kept per parameter (name*0 .. name*63). */
#define MIME_PARAM_SECTIONS 64

/* Output bound of mime_hdr_decode_words() for len input bytes. */
#define MIME_HDR_OUT_MAX(len) (3 * (len) + 64)

/* Scratch needed by the functions below for len input bytes. */
#define MIME_HDR_SCRATCH(len) (5 * (len) + 128)

/* Decode an unstructured value. out must hold MIME_HDR_OUT_MAX(len),
 * scratch MIME_HDR_SCRATCH(len) bytes. Returns the UTF-8 bytes written.
 * Sets DLP_ANOM_BAD_HEADER (malformed encoded word), DLP_ANOM_BAD_CHARSET,
 * DLP_ANOM_BAD_UTF8 in *anom. */
size_t mime_hdr_decode_words(const uint8_t *in, size_t len, uint8_t *out, uint8_t *scratch,
			     uint32_t *anom);

/* The first token of a structured value, lower-cased, leading/trailing
 * blanks and comments removed, NUL-terminated, truncated to outcap - 1.
 * Returns its length (0 if empty). */
size_t mime_hdr_token(const uint8_t *v, size_t len, char *out, size_t outcap);

/* Parameter attr (ASCII, case-insensitive) of a structured value, decoded to
 * UTF-8, NUL-terminated and truncated (on a character boundary) to
 * outcap - 1 bytes. scratch must hold MIME_HDR_SCRATCH(len) bytes.
 * Returns the length written, or -1 if the parameter is absent. */
long mime_hdr_param(const uint8_t *v, size_t len, const char *attr, char *out, size_t outcap,
		    uint8_t *scratch, uint32_t *anom);

/* Most parameters mime_hdr_params() looks for at once. */
#define MIME_HDR_WANT_MAX 4

/* One parameter wanted from a structured value. */
struct mime_hdr_want {
	const char *attr; /* ASCII, case-insensitive, NUL-terminated */
	char *out;	  /* as for mime_hdr_param() */
	size_t outcap;
	long len; /* set: the length written, or -1 if absent */
};

/* mime_hdr_param() for nwant (<= MIME_HDR_WANT_MAX) attributes with one
 * scan of the value: each want[k] gets what mime_hdr_param() would give
 * for its attr, and *anom the same bits as those calls together. */
void mime_hdr_params(const uint8_t *v, size_t len, struct mime_hdr_want *want, unsigned nwant,
		     uint8_t *scratch, uint32_t *anom);

#endif /* SMTPDLP_MIME_HEADER_H */
