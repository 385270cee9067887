/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * utf8.c — one UTF-8 sequence: validate (utf8_seq_len) and encode
 * (utf8_put). See utf8.h.
 */
#include "dlp/utf8.h"

#include <string.h>

size_t utf8_seq_len(const uint8_t *s, size_t n)
{
	if (n == 0)
		return 0;
	uint8_t c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint32_t cp, min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t utf8_put(uint32_t cp, uint8_t out[UTF8_MAX_LEN])
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = 0xfffd;
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

void utf8_json_str(const void *s, size_t n, void (*put)(void *ctx, const void *p, size_t len),
		   void *ctx)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = s;
	size_t i = 0, run = 0;

	put(ctx, "\"", 1);
	while (i < n) {
		uint8_t c = p[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			run++;
			continue;
		}
		put(ctx, p + i - run, run);
		run = 0;
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			put(ctx, e, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			static const char named[0x20] = {['\b'] = 'b',
							 ['\f'] = 'f',
							 ['\n'] = 'n',
							 ['\r'] = 'r',
							 ['\t'] = 't'};
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			if (c < 0x20 && named[c]) {
				e[1] = named[c];
				put(ctx, e, 2);
			} else {
				put(ctx, e, 6);
			}
			i++;
		} else {
			size_t l = utf8_seq_len(p + i, n - i);
			if (l == 0) {
				put(ctx, "\\ufffd", 6);
				i++;
			} else {
				put(ctx, p + i, l);
				i += l;
			}
		}
	}
	put(ctx, p + i - run, run);
	put(ctx, "\"", 1);
}

/* Bytes of an invisible character at p[0..left), or 0. */
static inline size_t invisible_at(const uint8_t *p, size_t left)
{
	if (p[0] == 0xc2)
		return left >= 2 && p[1] == 0xad ? 2 : 0;
	if (p[0] == 0xe2)
		return left >= 3 && ((p[1] == 0x80 && p[2] >= 0x8b && p[2] <= 0x8d) ||
				     (p[1] == 0x81 && p[2] == 0xa0))
			       ? 3
			       : 0;
	if (p[0] == 0xef)
		return left >= 3 && p[1] == 0xbb && p[2] == 0xbf ? 3 : 0;
	return 0;
}

size_t utf8_strip_invisible(uint8_t *p, size_t n)
{
	size_t r = 0, drop = 0;

	/* up to the first one nothing moves: ASCII a word at a time, the
	 * rest a byte at a time (lead bytes C2, E2, EF start the sequences
	 * removed) */
	for (; r < n; r++) {
		if (n - r >= 8) {
			uint64_t v;
			memcpy(&v, p + r, 8);
			if (!(v & 0x8080808080808080ull)) {
				r += 7;
				continue;
			}
		}
		if ((drop = invisible_at(p + r, n - r)) != 0)
			break;
	}
	size_t w = r;
	while (r < n) {
		if (drop == 0)
			drop = invisible_at(p + r, n - r);
		if (drop) {
			r += drop;
			drop = 0;
			continue;
		}
		p[w++] = p[r++];
	}
	return w;
}
