/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * utf8.h — UTF-8 (RFC 3629) validation and encoding of one sequence, the
 * single copy used by the JSON writers (and their one string escaper), notices, the API's JSON
 * parser and the charset converters. Stateless: a streaming decoder that must carry an incomplete
 * sequence across buffers (charset.c) keeps its own state.
 *
 * config/ sits below dlp/ and keeps its own validator (cfg_utf8_valid).
 */
#ifndef SMTPDLP_DLP_UTF8_H
#define SMTPDLP_DLP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Longest UTF-8 sequence, the room utf8_put() needs. */
#define UTF8_MAX_LEN 4

/* Length (1..4) of the valid UTF-8 sequence at s, of which n bytes are
 * readable; 0 if n is 0 or the sequence is invalid: a stray continuation
 * byte, a lead byte 0xc0, 0xc1 or 0xf5..0xff, a missing continuation byte
 * (truncated by n or interrupted), an overlong form, a surrogate
 * (U+D800..U+DFFF) or a code point above U+10FFFF. s is borrowed. */
size_t utf8_seq_len(const uint8_t *s, size_t n);

/* Encode code point cp as UTF-8 into out (UTF8_MAX_LEN bytes of room);
 * a surrogate or a value above U+10FFFF is written as U+FFFD. Returns the
 * bytes written (1..4). */
size_t utf8_put(uint32_t cp, uint8_t out[UTF8_MAX_LEN]);

/* Remove, in place, the characters that render as nothing inside a word:
 * U+00AD soft hyphen, U+200B zero-width space, U+200C/U+200D zero-width
 * (non-)joiner, U+2060 word joiner, U+FEFF zero-width no-break space.
 * "Cus&shy;tomer" and "Cus\u200btomer" show as "Customer" to a reader and
 * must be scanned as such. p holds complete UTF-8 sequences. Returns the
 * new length (<= n). */
size_t utf8_strip_invisible(uint8_t *p, size_t n);

/* Write s[0..n) as one JSON string (RFC 8259), quotes included, through
 * put(ctx, bytes, len): '"' and '\\' escaped, \b \f \n \r \t by name,
 * the other control bytes and DEL as \u00XX, each byte of an invalid UTF-8
 * sequence as \ufffd, so the output is always valid UTF-8 JSON. The one
 * escaper of the verdict JSON, the alerts API and the logs. */
void utf8_json_str(const void *s, size_t n, void (*put)(void *ctx, const void *p, size_t len),
		   void *ctx);

#endif /* SMTPDLP_DLP_UTF8_H */
