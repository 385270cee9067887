/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtp_reply.c — push parser and builder for SMTP replies (RFC 5321 4.2,
 * RFC 3463 / RFC 2034 enhanced status codes).
 */
#include "app/smtp_reply.h"

#include <stdio.h>
#include <string.h>

enum {
	RS_D1 = 0, RS_D2, RS_D3, RS_SEP, RS_TEXT, RS_LF, RS_ERR,
};

void smtp_reply_parser_init(struct smtp_reply_parser *p)
{
	p->state = RS_D1;
	p->line_len = 0;
	p->line_code = 0;
	p->line_start = 0;
	p->last_line = false;
	p->reply.code = 0;
	p->reply.flags = 0;
	p->reply.enh_class = 0;
	p->reply.enh_subject = p->reply.enh_detail = 0;
	p->reply.n_lines = 0;
	p->reply.text_len = 0;
}

/* Parse "c.sss.ddd" at s[0..n); returns its length (not counting the space
 * that must follow unless it ends the line), 0 if absent. */
static size_t parse_enhanced(const char *s, size_t n, unsigned klass,
			     unsigned *sub, unsigned *det)
{
	size_t i = 0;
	unsigned v[2] = { 0, 0 };

	if (n < 5 || (unsigned)(s[0] - '0') != klass || s[1] != '.')
		return 0;
	i = 2;
	for (int k = 0; k < 2; k++) {
		size_t d = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && d < 3) {
			v[k] = v[k] * 10 + (unsigned)(s[i] - '0');
			i++;
			d++;
		}
		if (d == 0)
			return 0;
		if (k == 0) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < n && s[i] != ' ')
		return 0;
	*sub = v[0];
	*det = v[1];
	return i;
}

/* A line is complete: check its code, strip its enhanced code. */
static bool end_line(struct smtp_reply_parser *p)
{
	struct smtp_reply *r = &p->reply;

	if (r->n_lines == 0)
		r->code = p->line_code;
	else if (p->line_code != r->code)
		return false;
	if (++r->n_lines > SMTP_REPLY_LINES_MAX)
		return false;

	char *t = r->text + p->line_start;
	size_t n = r->text_len - p->line_start;
	unsigned sub, det;
	size_t e = parse_enhanced(t, n, r->code / 100, &sub, &det);
	if (e > 0) {
		if (r->n_lines == 1) {
			r->flags |= SMTP_REPLY_F_ENHANCED;
			r->enh_class = (uint8_t)(r->code / 100);
			r->enh_subject = (uint16_t)sub;
			r->enh_detail = (uint16_t)det;
		}
		if ((r->flags & SMTP_REPLY_F_ENHANCED) && sub == r->enh_subject &&
		    det == r->enh_detail) {
			size_t skip = e < n ? e + 1 : e;
			memmove(t, t + skip, n - skip);
			r->text_len = (uint16_t)(r->text_len - skip);
		}
	}
	return true;
}

static void text_byte(struct smtp_reply *r, uint8_t c)
{
	if (r->text_len < SMTP_REPLY_TEXT_MAX)
		r->text[r->text_len++] = (char)c;
	else
		r->flags |= SMTP_REPLY_F_TRUNCATED;
}

enum smtp_reply_status smtp_reply_parse(struct smtp_reply_parser *p,
					const uint8_t *data, size_t len,
					size_t *consumed)
{
	size_t i;

	if (p->state == RS_ERR) {
		*consumed = 0;
		return SMTP_REPLY_ERROR;
	}
	/* A reply was returned by the previous call: start a new one. */
	if (p->last_line && p->state == RS_D1)
		smtp_reply_parser_init(p);

	for (i = 0; i < len; i++) {
		uint8_t c = data[i];

		if (++p->line_len > SMTP_REPLY_LINE_MAX || c == 0)
			goto fail;
		switch (p->state) {
		case RS_D1:
			if (c < '2' || c > '5')
				goto fail;
			p->line_code = (uint16_t)((c - '0') * 100);
			p->state = RS_D2;
			break;
		case RS_D2:
			if (c < '0' || c > '5')
				goto fail;
			p->line_code = (uint16_t)(p->line_code + (c - '0') * 10);
			p->state = RS_D3;
			break;
		case RS_D3:
			if (c < '0' || c > '9')
				goto fail;
			p->line_code = (uint16_t)(p->line_code + (c - '0'));
			p->state = RS_SEP;
			break;
		case RS_SEP:
			if (p->reply.n_lines > 0)
				text_byte(&p->reply, '\n');
			p->line_start = p->reply.text_len;
			if (c == ' ' || c == '-') {
				p->last_line = (c == ' ');
				p->state = RS_TEXT;
			} else if (c == '\r' || c == '\n') {
				/* "250" alone: a last line without text */
				p->last_line = true;
				p->state = RS_TEXT;
				i--; /* reprocess the line end in RS_TEXT */
				p->line_len--;
			} else {
				goto fail;
			}
			break;
		case RS_TEXT:
			if (c == '\r') {
				p->state = RS_LF;
			} else if (c == '\n') {
				goto line_done;
			} else {
				text_byte(&p->reply, c);
			}
			break;
		case RS_LF:
			if (c != '\n')
				goto fail; /* bare CR inside a reply line */
			goto line_done;
		}
		continue;
line_done:
		if (!end_line(p))
			goto fail;
		p->line_len = 0;
		p->state = RS_D1;
		if (p->last_line) {
			*consumed = i + 1;
			return SMTP_REPLY_DONE;
		}
	}
	*consumed = len;
	return SMTP_REPLY_AGAIN;
fail:
	p->state = RS_ERR;
	*consumed = i;
	return SMTP_REPLY_ERROR;
}

size_t smtp_reply_format(char *buf, size_t size, unsigned code, const char *enh,
			 const char *text, size_t text_len)
{
	size_t o = 0, i = 0;
	size_t enh_len = enh ? strlen(enh) : 0;

	if (code < 200 || code > 599 || enh_len > 16)
		return 0;
	do {
		size_t e = i;
		while (e < text_len && text[e] != '\n')
			e++;
		bool last = (e >= text_len);
		/* room for this line: "NNN-" + enh + ' ' + text + CRLF */
		size_t ll = e - i;
		size_t fixed = 4 + (enh_len ? enh_len + 1 : 0) + 2;
		if (fixed + ll > SMTP_REPLY_LINE_MAX)
			ll = SMTP_REPLY_LINE_MAX - fixed;
		if (o + fixed + ll > size)
			return 0;
		buf[o++] = (char)('0' + code / 100);
		buf[o++] = (char)('0' + code / 10 % 10);
		buf[o++] = (char)('0' + code % 10);
		buf[o++] = last ? ' ' : '-';
		if (enh_len) {
			memcpy(buf + o, enh, enh_len);
			o += enh_len;
			if (ll > 0 || !last)
				buf[o++] = ' ';
			else
				buf[o++] = ' ';
		}
		for (size_t k = 0; k < ll; k++) {
			unsigned char c = (unsigned char)text[i + k];
			buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
		}
		if (enh_len && ll == 0)
			o--; /* no trailing space after a bare enhanced code */
		buf[o++] = '\r';
		buf[o++] = '\n';
		i = e + 1;
		if (last)
			break;
	} while (1);
	return o;
}

size_t smtp_reply_write(const struct smtp_reply *r, char *buf, size_t size)
{
	char enh[24];
	const char *e = NULL;

	if (r->flags & SMTP_REPLY_F_ENHANCED) {
		snprintf(enh, sizeof(enh), "%u.%u.%u", r->enh_class, r->enh_subject,
			 r->enh_detail);
		e = enh;
	}
	return smtp_reply_format(buf, size, r->code, e, r->text, r->text_len);
}
