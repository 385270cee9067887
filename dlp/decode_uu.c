/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * decode_uu.c — streaming uuencode decoder.
 *
 * Format: "begin <mode> <name>" line, data lines (a length character
 * ' '+n then groups of four characters ' '+sextet, '`' standing for 0),
 * an empty line ("`" or " ") and "end". The state machine runs per byte (uu
 * blocks are rare and short); it carries the group and the line state across
 * calls. Lines whose trailing spaces were stripped in transit have their last
 * group completed with zero sextets. Errors set DLP_ANOM_BAD_BASE64 (the
 * transfer-encoding error bit) and decoding goes on with the next line.
 */
#include "dlp/decode.h"

#include <string.h>

#include "dlp/dlp.h"

enum {
	UU_SEEK,      /* line start, looking for "begin " */
	UU_SEEK_SKIP, /* rest of a line before the data */
	UU_LINE,      /* data line start: the length character */
	UU_DATA,
	UU_SKIP, /* rest of a data line (checksum, padding) */
	UU_END,	 /* matching "end" */
	UU_END_TAIL,
	UU_DONE,
};

static const char uu_begin[] = "begin ";
static const char uu_end[] = "end";

void decode_uu_init(struct decode_uu *st, bool expect_begin)
{
	memset(st, 0, sizeof(*st));
	st->state = expect_begin ? UU_SEEK : UU_LINE;
}

bool decode_uu_done(const struct decode_uu *st)
{
	return st->state == UU_DONE;
}

static inline uint8_t *uu_group(struct decode_uu *st, uint8_t *o)
{
	unsigned k = st->remain < 3 ? st->remain : 3;

	if (k > 0)
		*o++ = (uint8_t)(st->acc >> 16);
	if (k > 1)
		*o++ = (uint8_t)(st->acc >> 8);
	if (k > 2)
		*o++ = (uint8_t)st->acc;
	st->remain -= k;
	st->acc = 0;
	st->n = 0;
	return o;
}

/* The line ended early: complete the group in progress with zeros. */
static inline uint8_t *uu_short_line(struct decode_uu *st, uint8_t *o)
{
	if (st->n > 0) {
		while (st->n < 4) {
			st->acc <<= 6;
			st->n++;
		}
		o = uu_group(st, o);
	}
	if (st->remain > 0)
		st->anomalies |= DLP_ANOM_BAD_BASE64;
	st->remain = 0;
	return o;
}

size_t decode_uu_push(struct decode_uu *st, const uint8_t *in, size_t len, uint8_t *out)
{
	const uint8_t *p = in, *e = in + len;
	uint8_t *o = out;

	for (; p < e; p++) {
		uint8_t c = *p;

		switch (st->state) {
		case UU_SEEK:
			if (c == (uint8_t)uu_begin[st->match]) {
				if (++st->match == sizeof(uu_begin) - 1)
					st->state = UU_SEEK_SKIP;
			} else if (c != '\n') {
				st->match = 0;
				st->state = UU_SEEK_SKIP;
			} else {
				st->match = 0;
			}
			break;
		case UU_SEEK_SKIP:
			if (c == '\n') {
				st->state = st->match == sizeof(uu_begin) - 1 ? UU_LINE : UU_SEEK;
				st->match = 0;
			}
			break;
		case UU_LINE:
			if (c == '\n' || c == '\r') {
				break;
			} else if (c == 'e') {
				st->match = 1;
				st->state = UU_END;
			} else if (c >= 0x20 && c <= 0x60) {
				st->remain = (c - 0x20) & 0x3f;
				st->acc = 0;
				st->n = 0;
				st->state = st->remain ? UU_DATA : UU_SKIP;
			} else {
				st->anomalies |= DLP_ANOM_BAD_BASE64;
				st->state = UU_SKIP;
			}
			break;
		case UU_DATA:
			if (c == '\n' || c == '\r') {
				o = uu_short_line(st, o);
				st->state = c == '\n' ? UU_LINE : UU_SKIP;
				break;
			}
			if (c < 0x20 || c > 0x60)
				st->anomalies |= DLP_ANOM_BAD_BASE64;
			st->acc = st->acc << 6 | ((c - 0x20) & 0x3f);
			if (++st->n == 4) {
				o = uu_group(st, o);
				if (st->remain == 0)
					st->state = UU_SKIP;
			}
			break;
		case UU_SKIP:
			if (c == '\n')
				st->state = UU_LINE;
			break;
		case UU_END:
			if (c == (uint8_t)uu_end[st->match]) {
				if (++st->match == sizeof(uu_end) - 1)
					st->state = UU_END_TAIL;
			} else {
				st->anomalies |= DLP_ANOM_BAD_BASE64;
				st->state = c == '\n' ? UU_LINE : UU_SKIP;
			}
			break;
		case UU_END_TAIL:
			if (c == '\n') {
				st->state = UU_DONE;
			} else if (c != '\r' && c != ' ' && c != '\t') {
				st->anomalies |= DLP_ANOM_BAD_BASE64;
				st->state = UU_SKIP;
			}
			break;
		case UU_DONE:
			return (size_t)(o - out);
		}
	}
	return (size_t)(o - out);
}

size_t decode_uu_finish(struct decode_uu *st, uint8_t *out)
{
	uint8_t *o = out;

	if (st->state == UU_DATA)
		o = uu_short_line(st, o);
	if (st->state == UU_END_TAIL)
		st->state = UU_DONE;
	else if (st->state != UU_DONE && st->state != UU_SEEK && st->state != UU_SEEK_SKIP)
		st->anomalies |= DLP_ANOM_BAD_BASE64; /* no "end" line */
	if (st->state != UU_DONE)
		st->state = UU_SKIP;
	return (size_t)(o - out);
}

size_t decode_uu(const uint8_t *in, size_t len, uint8_t *out, uint32_t *anomalies)
{
	struct decode_uu st;
	size_t w;

	decode_uu_init(&st, true);
	w = decode_uu_push(&st, in, len, out);
	w += decode_uu_finish(&st, out + w);
	if (anomalies)
		*anomalies = st.anomalies;
	return w;
}
