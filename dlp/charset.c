/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * charset.c — charset to UTF-8 conversion (see charset.h for the backends).
 *
 * Everything a mail commonly carries (UTF-8, US-ASCII, Latin-1/Windows-1252,
 * UTF-16) is converted without iconv; iconv is used once at init to build
 * the table of other single-byte charsets, and streaming only for the
 * multibyte ones. Every backend carries an incomplete sequence across pushes
 * in c->carry so that output does not depend on how the input was split.
 */
#include "dlp/charset.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dlp/dlp.h"
#include "dlp/utf8.h"

#define UTF8_REPL_LEN 3
static const uint8_t utf8_repl[UTF8_REPL_LEN] = {0xef, 0xbf, 0xbd};

/* Windows-1252 0x80..0x9f; the five undefined bytes map to the C1 control
 * of the same value, as in the WHATWG encoding standard. */
static const uint16_t cp1252_c1[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
	0x2039, 0x0152, 0x008d, 0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
	0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

/* Kept under its charset_ name for html_text.c and the tests. */
size_t charset_put_utf8(uint32_t cp, uint8_t *out)
{
	return utf8_put(cp, out);
}

/* Lower-cased name without quotes, blanks and an RFC 2231 "*lang". */
static size_t cs_normalise(const char *name, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < CHARSET_NAME_MAX - 1; i++) {
		char ch = name[i];
		if (ch == '*')
			break;
		if (ch == '"' || ch == '\'' || ch == ' ' || ch == '\t')
			continue;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		out[n++] = ch;
	}
	out[n] = '\0';
	return n;
}

static bool cs_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

static const char *const cs_utf8_names[] = {
	"utf-8",
	"utf8",
	"unicode-1-1-utf-8",
	NULL,
};

/* Labels that say nothing reliable about 8-bit bytes. */
static const char *const cs_unlabelled_names[] = {
	"",	   "us-ascii",	"ascii",	"ansi_x3.4-1968", "iso646-us", "us",
	"csascii", "x-unknown", "unknown-8bit", "x-user-defined", "unknown",   NULL,
};

static const char *const cs_1252_names[] = {
	"iso-8859-1",	 "iso8859-1",	 "iso_8859-1",	"iso_8859-1:1987",
	"latin1",	 "latin-1",	 "l1",		"cp819",
	"ibm819",	 "windows-1252", "cp1252",	"x-cp1252",
	"cswindows1252", "iso-ir-100",	 "csisolatin1", NULL,
};

bool charset_is_utf8(const char *name, size_t name_len)
{
	char n[CHARSET_NAME_MAX];

	if (!name)
		return true;
	cs_normalise(name, name_len, n);
	return cs_in(n, cs_utf8_names) || cs_in(n, cs_unlabelled_names);
}

static void cs_map_set(struct charset_conv *c, unsigned byte, uint32_t cp)
{
	c->map[byte][3] = (uint8_t)charset_put_utf8(cp, c->map[byte]);
}

static void cs_set_1252(struct charset_conv *c)
{
	c->kind = CHARSET_TABLE;
	for (unsigned b = 0; b < 256; b++)
		cs_map_set(c, b, b >= 0x80 && b < 0xa0 ? cp1252_c1[b - 0x80] : b);
}

/* Build the table of a single-byte charset with iconv, or return false if
 * some byte alone is an incomplete sequence (a multibyte charset). */
static bool cs_build_table(struct charset_conv *c, iconv_t cd)
{
	for (unsigned b = 0; b < 256; b++) {
		char in = (char)b, out[8];
		char *ip = &in, *op = out;
		size_t il = 1, ol = sizeof(out);

		iconv(cd, NULL, NULL, NULL, NULL);
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		if (r == (size_t)-1 && errno == EINVAL)
			return false;
		if (r == (size_t)-1 || op == out || op - out > 3) {
			memcpy(c->map[b], utf8_repl, UTF8_REPL_LEN);
			c->map[b][3] = UTF8_REPL_LEN;
		} else {
			memcpy(c->map[b], out, (size_t)(op - out));
			c->map[b][3] = (uint8_t)(op - out);
		}
	}
	iconv(cd, NULL, NULL, NULL, NULL);
	return true;
}

void charset_conv_init(struct charset_conv *c, const char *name, size_t name_len)
{
	char n[CHARSET_NAME_MAX];

	memset(c, 0, offsetof(struct charset_conv, map));
	c->kind = CHARSET_UTF8;
	c->fallback_1252 = true;
	if (!name)
		return;
	cs_normalise(name, name_len, n);
	if (strcmp(n, "utf-8") == 0) { /* the usual label: no list walks */
		c->fallback_1252 = false;
		return;
	}
	if (cs_in(n, cs_unlabelled_names))
		return;
	c->fallback_1252 = false;
	if (cs_in(n, cs_utf8_names))
		return;
	if (cs_in(n, cs_1252_names)) {
		cs_set_1252(c);
		return;
	}
	if (strcmp(n, "utf-16") == 0 || strcmp(n, "utf16") == 0 || strcmp(n, "unicode") == 0) {
		c->kind = CHARSET_UTF16;
		c->big_endian = true;
		c->bom_check = true;
		c->bom_sets_order = true;
		return;
	}
	if (strcmp(n, "utf-16le") == 0 || strcmp(n, "utf-16be") == 0 || strcmp(n, "utf16le") == 0 ||
	    strcmp(n, "utf16be") == 0) {
		c->kind = CHARSET_UTF16;
		c->big_endian = n[strlen(n) - 2] == 'b';
		c->bom_check = true;
		return;
	}
	iconv_t cd = iconv_open("UTF-8", n);
	if (cd == (iconv_t)-1) {
		c->anomalies |= DLP_ANOM_BAD_CHARSET;
		c->fallback_1252 = true;
		return;
	}
	if (cs_build_table(c, cd)) {
		iconv_close(cd);
		c->kind = CHARSET_TABLE;
		return;
	}
	c->kind = CHARSET_ICONV;
	c->cd = cd;
}

void charset_conv_fini(struct charset_conv *c)
{
	if (c->kind == CHARSET_ICONV && c->cd) {
		iconv_close((iconv_t)c->cd);
		c->cd = NULL;
	}
	c->kind = CHARSET_UTF8;
}

/* ------------------------------------------------------------------ UTF-8 */

/*
 * Validate and copy UTF-8. Stops before an incomplete but so far valid
 * sequence at the end of the input unless final; *used receives the input
 * bytes consumed. Each maximal subpart of an ill-formed sequence becomes one
 * U+FFFD (Unicode §3.9 best practice).
 */
static size_t utf8_core(struct charset_conv *c, const uint8_t *in, size_t len, uint8_t *out,
			size_t *used, bool final, bool *sw)
{
	size_t i = 0;
	uint8_t *o = out;

	*sw = false;
	while (i < len) {
		/* ASCII run, 16 bytes at a time with SSE2 (a block is stored
		 * whole: out has room for 3 bytes per input byte), then a
		 * word at a time */
#ifdef __SSE2__
		while (len - i >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(in + i));
			_mm_storeu_si128((__m128i *)(void *)o, v);
			unsigned m = (unsigned)_mm_movemask_epi8(v);
			if (m) {
				unsigned k = (unsigned)__builtin_ctz(m);
				o += k;
				i += k;
				break;
			}
			o += 16;
			i += 16;
		}
#endif
		while (len - i >= 8) {
			uint64_t w;
			memcpy(&w, in + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			memcpy(o, &w, 8);
			o += 8;
			i += 8;
		}
		if (i >= len)
			break;
		uint8_t b = in[i];
		if (b < 0x80) {
			*o++ = b;
			i++;
			continue;
		}
		unsigned need;
		uint8_t lo = 0x80, hi = 0xbf;
		if (b >= 0xc2 && b <= 0xdf) {
			need = 1;
		} else if (b >= 0xe0 && b <= 0xef) {
			need = 2;
			if (b == 0xe0)
				lo = 0xa0;
			else if (b == 0xed)
				hi = 0x9f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			need = 3;
			if (b == 0xf0)
				lo = 0x90;
			else if (b == 0xf4)
				hi = 0x8f;
		} else {
			if (c->fallback_1252) {
				*sw = true; /* Windows-1252 from here */
				break;
			}
			memcpy(o, utf8_repl, UTF8_REPL_LEN);
			o += UTF8_REPL_LEN;
			c->anomalies |= DLP_ANOM_BAD_UTF8;
			i++;
			continue;
		}
		size_t j = i + 1;
		unsigned got = 0;
		while (got < need && j < len) {
			uint8_t t = in[j];
			if (t < lo || t > hi)
				break;
			lo = 0x80;
			hi = 0xbf;
			got++;
			j++;
		}
		if (got == need) {
			memcpy(o, in + i, need + 1);
			o += need + 1;
			i = j;
			continue;
		}
		if (j == len && !final)
			break; /* incomplete: carried */
		if (c->fallback_1252) {
			*sw = true; /* Windows-1252 from here */
			break;
		}
		memcpy(o, utf8_repl, UTF8_REPL_LEN);
		o += UTF8_REPL_LEN;
		c->anomalies |= DLP_ANOM_BAD_UTF8;
		i = j;
	}
	*used = i;
	return (size_t)(o - out);
}

static size_t table_push(struct charset_conv *c, const uint8_t *in, size_t len, uint8_t *out);

/* Unlabelled text turned out not to be UTF-8: Windows-1252 from now on. */
static void utf8_switch(struct charset_conv *c)
{
	c->anomalies |= DLP_ANOM_BAD_UTF8;
	c->fallback_1252 = false;
	c->ncarry = 0;
	cs_set_1252(c);
}

static size_t utf8_push(struct charset_conv *c, const uint8_t *in, size_t len, uint8_t *out)
{
	size_t w = 0, used;
	bool sw;

	if (c->ncarry) {
		uint8_t tmp[8];
		size_t take = len < 3 ? len : 3, n = c->ncarry;
		memcpy(tmp, c->carry, n);
		memcpy(tmp + n, in, take);
		w = utf8_core(c, tmp, n + take, out, &used, false, &sw);
		if (sw) {
			/* the rest of the carry, then the input, as 1252 */
			size_t from = used > n ? used - n : 0;
			utf8_switch(c);
			if (used < n)
				w += table_push(c, tmp + used, n - used, out + w);
			return w + table_push(c, in + from, len - from, out + w);
		}
		if (used < n) {
			/* still incomplete: only possible when take == len */
			c->ncarry = (unsigned)(n + take - used);
			memcpy(c->carry, tmp + used, c->ncarry);
			return w;
		}
		c->ncarry = 0;
		in += used - n;
		len -= used - n;
	}
	w += utf8_core(c, in, len, out + w, &used, false, &sw);
	if (sw) {
		utf8_switch(c);
		return w + table_push(c, in + used, len - used, out + w);
	}
	c->ncarry = (unsigned)(len - used);
	memcpy(c->carry, in + used, c->ncarry);
	return w;
}

/* ----------------------------------------------------------------- table */

static size_t table_push(struct charset_conv *c, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t *o = out;

	for (size_t i = 0; i < len; i++) {
		const uint8_t *m = c->map[in[i]];
		if (m[3] == 1) {
			*o++ = m[0];
		} else {
			memcpy(o, m, 4); /* room: CHARSET_MAX_OUT slack */
			o += m[3];
		}
	}
	return (size_t)(o - out);
}

/* ----------------------------------------------------------------- UTF-16 */

static uint8_t *u16_unit(struct charset_conv *c, uint16_t u, uint8_t *o)
{
	if (c->bom_check) {
		c->bom_check = false;
		if (u == 0xfeff)
			return o;
		if (u == 0xfffe && c->bom_sets_order) {
			c->big_endian = !c->big_endian;
			return o;
		}
	}
	if (c->high) {
		if (u >= 0xdc00 && u <= 0xdfff) {
			uint32_t cp = 0x10000 + ((uint32_t)(c->high - 0xd800) << 10) + (u - 0xdc00);
			c->high = 0;
			return o + charset_put_utf8(cp, o);
		}
		c->high = 0;
		c->anomalies |= DLP_ANOM_BAD_CHARSET;
		memcpy(o, utf8_repl, UTF8_REPL_LEN);
		o += UTF8_REPL_LEN;
	}
	if (u >= 0xd800 && u <= 0xdbff) {
		c->high = u;
		return o;
	}
	if (u >= 0xdc00 && u <= 0xdfff) {
		c->anomalies |= DLP_ANOM_BAD_CHARSET;
		memcpy(o, utf8_repl, UTF8_REPL_LEN);
		return o + UTF8_REPL_LEN;
	}
	return o + charset_put_utf8(u, o);
}

static size_t u16_push(struct charset_conv *c, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t *o = out;
	size_t i = 0;

	if (c->ncarry && len) {
		uint8_t a = c->carry[0], b = in[0];
		o = u16_unit(c, c->big_endian ? (uint16_t)(a << 8 | b) : (uint16_t)(b << 8 | a), o);
		c->ncarry = 0;
		i = 1;
	}
	if (c->bom_check && len - i >= 2) {
		/* the BOM may switch the byte order for the loops below */
		uint8_t a = in[i], b = in[i + 1];
		o = u16_unit(c, c->big_endian ? (uint16_t)(a << 8 | b) : (uint16_t)(b << 8 | a), o);
		i += 2;
	}
	if (c->big_endian) {
		for (; len - i >= 2; i += 2) {
			uint16_t u = (uint16_t)(in[i] << 8 | in[i + 1]);
			if (u < 0x80 && !c->high && !c->bom_check)
				*o++ = (uint8_t)u;
			else
				o = u16_unit(c, u, o);
		}
	} else {
		for (; len - i >= 2; i += 2) {
			uint16_t u = (uint16_t)(in[i + 1] << 8 | in[i]);
			if (u < 0x80 && !c->high && !c->bom_check)
				*o++ = (uint8_t)u;
			else
				o = u16_unit(c, u, o);
		}
	}
	if (i < len) {
		c->carry[0] = in[i];
		c->ncarry = 1;
	}
	return (size_t)(o - out);
}

/* ------------------------------------------------------------------ iconv */

/* Convert as much as iconv takes; invalid bytes become U+FFFD. Returns the
 * input consumed; stops at an incomplete sequence at the end. */
static size_t iconv_run(struct charset_conv *c, const uint8_t *in, size_t len, uint8_t **op,
			size_t *ol)
{
	char *ip = (char *)(uintptr_t)in;
	size_t il = len;

	while (il > 0) {
		char *o = (char *)*op;
		size_t r = iconv((iconv_t)c->cd, &ip, &il, &o, ol);
		*op = (uint8_t *)o;
		if (r != (size_t)-1)
			break;
		if (errno == EILSEQ) {
			c->anomalies |= DLP_ANOM_BAD_CHARSET;
			if (*ol < UTF8_REPL_LEN)
				break;
			memcpy(*op, utf8_repl, UTF8_REPL_LEN);
			*op += UTF8_REPL_LEN;
			*ol -= UTF8_REPL_LEN;
			ip++;
			il--;
			continue;
		}
		if (errno == E2BIG) {
			/* beyond CHARSET_MAX_OUT: drop the rest, flagged */
			c->anomalies |= DLP_ANOM_BAD_CHARSET;
			return len;
		}
		break; /* EINVAL: incomplete sequence at the end */
	}
	return len - il;
}

static size_t iconv_push(struct charset_conv *c, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t *o = out;
	size_t ol = CHARSET_MAX_OUT(len);

	if (c->ncarry) {
		uint8_t tmp[sizeof(c->carry) + 8];
		size_t n = c->ncarry, take = len < 8 ? len : 8;
		memcpy(tmp, c->carry, n);
		memcpy(tmp + n, in, take);
		size_t used = iconv_run(c, tmp, n + take, &o, &ol);
		if (used < n || (take == len && used < n + take)) {
			size_t rest = n + take - used;
			if (rest > sizeof(c->carry)) {
				c->anomalies |= DLP_ANOM_BAD_CHARSET;
				rest = 0;
			}
			if (take == len) {
				memmove(c->carry, tmp + used, rest);
				c->ncarry = (unsigned)rest;
				return (size_t)(o - out);
			}
			/* cannot happen with <= 8 bytes of carry: drop it */
			c->anomalies |= DLP_ANOM_BAD_CHARSET;
			used = n;
		}
		c->ncarry = 0;
		in += used - n;
		len -= used - n;
	}
	size_t used = iconv_run(c, in, len, &o, &ol);
	size_t rest = len - used;
	if (rest > sizeof(c->carry)) {
		c->anomalies |= DLP_ANOM_BAD_CHARSET;
		rest = 0;
	}
	memcpy(c->carry, in + len - rest, rest);
	c->ncarry = (unsigned)rest;
	return (size_t)(o - out);
}

size_t charset_conv_push(struct charset_conv *c, const uint8_t *in, size_t len, uint8_t *out)
{
	switch (c->kind) {
	case CHARSET_TABLE:
		return table_push(c, in, len, out);
	case CHARSET_UTF16:
		return u16_push(c, in, len, out);
	case CHARSET_ICONV:
		return iconv_push(c, in, len, out);
	case CHARSET_UTF8:
	default:
		return utf8_push(c, in, len, out);
	}
}

size_t charset_conv_finish(struct charset_conv *c, uint8_t *out)
{
	size_t w = 0;

	if (c->kind == CHARSET_UTF8 && c->ncarry) {
		size_t used;
		bool sw;
		uint8_t tmp[sizeof(c->carry)];
		unsigned n = c->ncarry;
		memcpy(tmp, c->carry, n);
		w = utf8_core(c, tmp, n, out, &used, true, &sw);
		if (sw) {
			utf8_switch(c);
			w += table_push(c, tmp + used, n - used, out + w);
		}
	} else if (c->ncarry || (c->kind == CHARSET_UTF16 && c->high)) {
		memcpy(out, utf8_repl, UTF8_REPL_LEN);
		w = UTF8_REPL_LEN;
		c->anomalies |= c->kind == CHARSET_UTF8 ? DLP_ANOM_BAD_UTF8 : DLP_ANOM_BAD_CHARSET;
	}
	c->ncarry = 0;
	c->high = 0;
	if (c->kind == CHARSET_ICONV && c->cd)
		iconv((iconv_t)c->cd, NULL, NULL, NULL, NULL);
	return w;
}
