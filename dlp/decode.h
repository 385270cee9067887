/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * decode.h — streaming transfer decoders: base64, quoted-printable and
 * uuencode (RFC 2045 §6.7/§6.8, POSIX uuencode).
 *
 * Each decoder is a push decoder usable on its own: a small state struct,
 * input in chunks of any size (a partial base64 quad, a QP "=X" or "=" before
 * a soft line break, a uuencode line in progress are carried across calls),
 * output written into a caller buffer whose size is bounded by the
 * *_MAX_OUT() macros. Decoding never fails: malformed input is decoded as
 * well as possible and sets enum dlp_anomaly bits (dlp.h) in st->anomalies.
 *
 * Whole-buffer entry points (decode_base64(), decode_qp(), decode_uu()) are
 * the ones the benchmark tool measures; they are init + push + finish.
 */
#ifndef SMTPDLP_DECODE_H
#define SMTPDLP_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ----------------------------------------------------------------- base64 */

struct decode_b64 {
	uint32_t acc;	    /* sextets of the quad in progress */
	unsigned n;	    /* sextets in acc (0..3) */
	unsigned skip_pad;  /* one more '=' of a "xx==" pad may follow */
	uint32_t anomalies; /* DLP_ANOM_BAD_BASE64 */
};

/* Output bound of one push of len bytes (includes the carried quad). */
#define DECODE_B64_MAX_OUT(len) (((len) / 4 + 1) * 3 + 4)

void decode_b64_init(struct decode_b64 *st);

/* Decode len bytes of base64. Characters outside the alphabet (CR, LF, SP,
 * TAB silently; anything else flagged) are skipped; '=' ends a quad, data
 * after padding starts a new quad (concatenated blobs). out must hold
 * DECODE_B64_MAX_OUT(len) bytes. Returns the bytes written. */
size_t decode_b64_push(struct decode_b64 *st, const uint8_t *in, size_t len, uint8_t *out);

/* End of input: a 2- or 3-sextet tail without padding yields 1 or 2 bytes
 * (flagged); a lone sextet is dropped (flagged). out must hold 3 bytes.
 * Returns the bytes written; st is ready for a new stream. */
size_t decode_b64_finish(struct decode_b64 *st, uint8_t *out);

/* Whole buffer: out must hold DECODE_B64_MAX_OUT(len). Returns the bytes
 * written; *anomalies (may be NULL) receives the anomaly bits. */
size_t decode_base64(const uint8_t *in, size_t len, uint8_t *out, uint32_t *anomalies);

/* ------------------------------------------------------- quoted-printable */

/* Longest whitespace run kept between '=' and a line break (soft break with
 * transport padding); longer runs make the '=' literal. */
#define DECODE_QP_WS_MAX 16

struct decode_qp {
	unsigned state;			    /* internal */
	uint8_t hold[DECODE_QP_WS_MAX + 2]; /* "=", hex digit or whitespace */
	unsigned nhold;
	uint32_t anomalies; /* DLP_ANOM_BAD_QP */
};

#define DECODE_QP_MAX_OUT(len) ((len) + DECODE_QP_WS_MAX + 4)

void decode_qp_init(struct decode_qp *st);

/* Decode len bytes of quoted-printable: "=XY" (either hex case) → byte,
 * "=" [WSP] CRLF or LF → nothing (soft line break), invalid "=..." passed
 * through literally (flagged); hard line breaks are copied as they are.
 * out must hold DECODE_QP_MAX_OUT(len). Returns the bytes written. */
size_t decode_qp_push(struct decode_qp *st, const uint8_t *in, size_t len, uint8_t *out);

/* End of input: a pending "=X" is emitted literally (flagged); a pending
 * "=" (and blanks) is a soft line break, the line break having gone to the
 * MIME boundary after it. out must hold DECODE_QP_WS_MAX + 4 bytes. Returns
 * the bytes written. */
size_t decode_qp_finish(struct decode_qp *st, uint8_t *out);

/* Whole buffer: out must hold DECODE_QP_MAX_OUT(len). */
size_t decode_qp(const uint8_t *in, size_t len, uint8_t *out, uint32_t *anomalies);

/* --------------------------------------------------------------- uuencode */

struct decode_uu {
	unsigned state;	 /* internal */
	unsigned remain; /* bytes still expected on the current line */
	uint32_t acc;	 /* characters of the group in progress */
	unsigned n;
	unsigned match;	    /* progress in "begin " / "end" */
	uint32_t anomalies; /* DLP_ANOM_BAD_BASE64 (documented: uuencode errors) */
};

#define DECODE_UU_MAX_OUT(len) ((len) + 4)

/* expect_begin: true to skip lines up to a "begin " line (Content-Transfer-
 * Encoding: x-uuencode), false when the caller already consumed it (a
 * uuencode block found in a plain-text body). */
void decode_uu_init(struct decode_uu *st, bool expect_begin);

/* Decode len bytes. Decoding stops for good after the "end" line; lines
 * shorter than their length character (trailing spaces stripped in transit)
 * are completed with zero sextets. out must hold DECODE_UU_MAX_OUT(len).
 * Returns the bytes written. */
size_t decode_uu_push(struct decode_uu *st, const uint8_t *in, size_t len, uint8_t *out);

/* True once the "end" line has been seen. */
bool decode_uu_done(const struct decode_uu *st);

/* End of input: completes a short last line. out must hold 4 bytes. */
size_t decode_uu_finish(struct decode_uu *st, uint8_t *out);

/* Whole buffer (expects the "begin" line). out must hold
 * DECODE_UU_MAX_OUT(len). */
size_t decode_uu(const uint8_t *in, size_t len, uint8_t *out, uint32_t *anomalies);

#endif /* SMTPDLP_DECODE_H */
