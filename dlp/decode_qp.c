/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * decode_qp.c — streaming quoted-printable decoder (RFC 2045 §6.7).
 *
 * Literal runs are found with memchr('=') and copied in one go; only the
 * bytes after an '=' go through the state machine, which carries "=",
 * "=X", "=" + whitespace and "=" [WSP] CR across calls. Tolerant like the
 * mail clients the recipients use: lowercase hex is accepted, an invalid
 * escape is passed through literally (flagged), "=" followed by trailing
 * whitespace before the line break is still a soft break. Hard line breaks
 * and trailing whitespace of ordinary lines are copied as they are: the
 * scanner treats any whitespace run alike.
 */
#include "dlp/decode.h"

#include <string.h>

#include "dlp/dlp.h"

enum { QP_TEXT, QP_EQ, QP_HEX, QP_WS, QP_CR };

static inline int qp_hex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void decode_qp_init(struct decode_qp *st)
{
	memset(st, 0, sizeof(*st));
}

/* An escape turned out invalid: its bytes are content. */
static inline uint8_t *qp_literal(struct decode_qp *st, uint8_t *o)
{
	memcpy(o, st->hold, st->nhold);
	o += st->nhold;
	st->nhold = 0;
	st->state = QP_TEXT;
	st->anomalies |= DLP_ANOM_BAD_QP;
	return o;
}

size_t decode_qp_push(struct decode_qp *st, const uint8_t *in, size_t len, uint8_t *out)
{
	const uint8_t *p = in, *e = in + len;
	uint8_t *o = out;

	while (p < e) {
		uint8_t c;
		const uint8_t *q;
		int h;

		switch (st->state) {
		case QP_TEXT:
			q = memchr(p, '=', (size_t)(e - p));
			if (!q) {
				memcpy(o, p, (size_t)(e - p));
				o += e - p;
				p = e;
				break;
			}
			memcpy(o, p, (size_t)(q - p));
			o += q - p;
			p = q + 1;
			st->hold[0] = '=';
			st->nhold = 1;
			st->state = QP_EQ;
			break;
		case QP_EQ:
			c = *p;
			if (qp_hex(c) >= 0) {
				st->hold[st->nhold++] = c;
				st->state = QP_HEX;
				p++;
			} else if (c == ' ' || c == '\t') {
				st->hold[st->nhold++] = c;
				st->state = QP_WS;
				p++;
			} else if (c == '\r') {
				st->state = QP_CR;
				p++;
			} else if (c == '\n') {
				st->nhold = 0;
				st->state = QP_TEXT;
				p++;
			} else {
				o = qp_literal(st, o); /* c is reprocessed */
			}
			break;
		case QP_HEX:
			h = qp_hex(*p);
			if (h >= 0) {
				*o++ = (uint8_t)(qp_hex(st->hold[1]) << 4 | h);
				st->nhold = 0;
				st->state = QP_TEXT;
				p++;
			} else {
				o = qp_literal(st, o);
			}
			break;
		case QP_WS:
			c = *p;
			if ((c == ' ' || c == '\t') && st->nhold < sizeof(st->hold)) {
				st->hold[st->nhold++] = c;
				p++;
			} else if (c == '\r') {
				st->state = QP_CR;
				p++;
			} else if (c == '\n') {
				st->nhold = 0;
				st->state = QP_TEXT;
				p++;
			} else {
				o = qp_literal(st, o);
			}
			break;
		case QP_CR:
			/* soft break; a bare CR after '=' is taken as one too */
			if (*p == '\n')
				p++;
			st->nhold = 0;
			st->state = QP_TEXT;
			break;
		}
	}
	return (size_t)(o - out);
}

size_t decode_qp_finish(struct decode_qp *st, uint8_t *out)
{
	size_t w = 0;

	/* "=" [WSP] at the very end is a soft line break whose line break went
	 * to the MIME boundary that follows (RFC 2046 §5.1.1); "=X" is not */
	if (st->state == QP_HEX)
		w = (size_t)(qp_literal(st, out) - out);
	st->nhold = 0;
	st->state = QP_TEXT;
	return w;
}

size_t decode_qp(const uint8_t *in, size_t len, uint8_t *out, uint32_t *anomalies)
{
	struct decode_qp st;
	size_t w;

	decode_qp_init(&st);
	w = decode_qp_push(&st, in, len, out);
	w += decode_qp_finish(&st, out + w);
	if (anomalies)
		*anomalies = st.anomalies;
	return w;
}
