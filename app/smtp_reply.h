/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtp_reply.h — SMTP replies: a push parser for what an upstream MTA says,
 * and a builder for what we say.
 *
 * The parser takes bytes in any split and stops after each complete reply
 * (one or more lines "NNN-text" ... "NNN text", RFC 5321 4.2). It records the
 * code, the RFC 3463 enhanced status code of the first line when present, and
 * the text of every line (bounded; longer text is truncated and flagged).
 * A reply whose lines disagree on the code, whose code is not [2-5][0-5][0-9],
 * a line longer than SMTP_REPLY_LINE_MAX, more than SMTP_REPLY_LINES_MAX
 * lines, or NUL bytes make the parser fail: the caller treats the upstream
 * as broken (temporary failure), never guesses.
 *
 * The builder writes one reply with an optional enhanced code and text that
 * may contain '\n' to make a multi-line reply; control characters in the text
 * are replaced, so upstream text passed on to the sender cannot inject lines.
 */
#ifndef SMTPDLP_APP_SMTP_REPLY_H
#define SMTPDLP_APP_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTP_REPLY_LINE_MAX  512u  /* RFC 5321 4.5.3.1.5, including CRLF */
#define SMTP_REPLY_LINES_MAX 100u  /* lines per reply we accept */
#define SMTP_REPLY_TEXT_MAX  1024u /* text bytes kept per reply */

/* Reply flags. */
#define SMTP_REPLY_F_TRUNCATED 0x1u /* text longer than SMTP_REPLY_TEXT_MAX */
#define SMTP_REPLY_F_ENHANCED  0x2u /* first line carried an enhanced code */

struct smtp_reply {
	uint16_t code;      /* 200..559 */
	uint8_t flags;
	uint8_t enh_class;  /* enhanced status "class.subject.detail" */
	uint16_t enh_subject;
	uint16_t enh_detail;
	uint16_t n_lines;
	uint16_t text_len;
	/* The text of each line after "NNN-" / "NNN " (and, when
	 * SMTP_REPLY_F_ENHANCED, after the enhanced code and one space), lines
	 * joined by '\n'. Not NUL-terminated. */
	char text[SMTP_REPLY_TEXT_MAX];
};

enum smtp_reply_status {
	SMTP_REPLY_AGAIN = 0, /* need more bytes */
	SMTP_REPLY_DONE,      /* a reply is complete: parser->reply */
	SMTP_REPLY_ERROR,     /* malformed: give up on this peer */
};

struct smtp_reply_parser {
	uint8_t state;
	uint16_t line_len;
	uint16_t line_code;
	uint16_t line_start; /* text offset of the current line */
	bool last_line;
	struct smtp_reply reply;
};

void smtp_reply_parser_init(struct smtp_reply_parser *p);

/*
 * Feed bytes. Consumes up to the end of one reply and sets *consumed.
 * DONE: p->reply holds it, valid until the next call (the next call starts a
 * new reply). AGAIN: all bytes consumed, reply incomplete. ERROR: the parser
 * stays failed until re-initialised.
 */
enum smtp_reply_status smtp_reply_parse(struct smtp_reply_parser *p,
					const uint8_t *data, size_t len,
					size_t *consumed);

/* Class helpers. */
static inline bool smtp_reply_ok(unsigned code) { return code >= 200 && code < 300; }
static inline bool smtp_reply_temp(unsigned code) { return code >= 400 && code < 500; }
static inline bool smtp_reply_perm(unsigned code) { return code >= 500 && code < 600; }

/*
 * Write a reply: code, optional enhanced status ("5.7.1", NULL for none),
 * text of length text_len (may contain '\n' for several lines; each line is
 * cut to fit SMTP_REPLY_LINE_MAX). Returns the bytes written, or 0 if `size`
 * is too small (nothing usable written). The output ends with CRLF.
 */
size_t smtp_reply_format(char *buf, size_t size, unsigned code, const char *enh,
			 const char *text, size_t text_len);

/*
 * Re-emit a parsed reply (e.g. the upstream's answer to a RCPT, passed on to
 * the sender): same code, enhanced code and lines. Returns bytes written or
 * 0 if it does not fit.
 */
size_t smtp_reply_write(const struct smtp_reply *r, char *buf, size_t size);

/* Largest output of smtp_reply_write() for any reply. */
#define SMTP_REPLY_WRITE_MAX (SMTP_REPLY_TEXT_MAX + SMTP_REPLY_LINES_MAX * 20u + 64u)

#endif /* SMTPDLP_APP_SMTP_REPLY_H */
