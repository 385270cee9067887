/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mime_header.c — RFC 2047 encoded words, RFC 2045/2231 parameters and
 * structured-value tokens (see mime_header.h).
 *
 * Header values are small and bounded by the parser's header limit, so this
 * code favours clarity: simple scans over pointer + length, no allocation
 * (the caller lends a scratch buffer sized by MIME_HDR_SCRATCH()).
 */
#include "dlp/mime_header.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "dlp/charset.h"
#include "dlp/decode.h"
#include "dlp/dlp.h"

static inline bool mh_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline int mh_hex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static inline uint8_t mh_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Whether p[0..n) is all ASCII (NUL included). */
static bool mh_ascii(const uint8_t *p, size_t n)
{
	size_t i = 0;
	uint64_t acc = 0;

	for (; n - i >= 8; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= p[i];
	return !(acc & 0x8080808080808080ull);
}

/* Convert raw bytes in charset cs to UTF-8 at out. Unlabelled ASCII (the
 * usual header text) is copied: the UTF-8 backend writes ASCII bytes as
 * they are and flags nothing, so setting one up would only cost time. */
static size_t mh_convert(const char *cs, size_t cslen, const uint8_t *raw, size_t n, uint8_t *out,
			 uint32_t *anom)
{
	struct charset_conv c;
	size_t w;

	if (!cs && mh_ascii(raw, n)) {
		if (n)
			memcpy(out, raw, n);
		return n;
	}
	charset_conv_init(&c, cs, cslen);
	w = charset_conv_push(&c, raw, n, out);
	w += charset_conv_finish(&c, out + w);
	*anom |= c.anomalies;
	charset_conv_fini(&c);
	return w;
}

/* One encoded word at in[0..len): "=?cs?E?text?=". On success fills the
 * charset and text slices and the encoding, returns the word length. */
static size_t mh_word(const uint8_t *in, size_t len, const uint8_t **cs, size_t *cslen,
		      uint8_t *enc, const uint8_t **text, size_t *tlen)
{
	size_t i = 2, s;

	if (len < 8 || in[0] != '=' || in[1] != '?')
		return 0;
	s = i;
	while (i < len && in[i] != '?' && !mh_space(in[i]))
		i++;
	if (i == s || i + 2 >= len || in[i] != '?')
		return 0;
	*cs = in + s;
	*cslen = i - s;
	*enc = mh_lower(in[i + 1]);
	if ((*enc != 'b' && *enc != 'q') || in[i + 2] != '?')
		return 0;
	i += 3;
	s = i;
	while (i < len && in[i] != '?' && !mh_space(in[i]))
		i++;
	if (i + 1 >= len || in[i] != '?' || in[i + 1] != '=')
		return 0;
	*text = in + s;
	*tlen = i - s;
	return i + 2;
}

/* Q encoding of RFC 2047 §4.2 into raw. */
static size_t mh_q(const uint8_t *t, size_t n, uint8_t *raw, uint32_t *anom)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		if (t[i] == '_') {
			raw[w++] = ' ';
		} else if (t[i] == '=' && i + 2 < n && mh_hex(t[i + 1]) >= 0 &&
			   mh_hex(t[i + 2]) >= 0) {
			raw[w++] = (uint8_t)(mh_hex(t[i + 1]) << 4 | mh_hex(t[i + 2]));
			i += 2;
		} else {
			if (t[i] == '=')
				*anom |= DLP_ANOM_BAD_HEADER;
			raw[w++] = t[i];
		}
	}
	return w;
}

/* Whether p[0..n) is ASCII without '=' (no encoded word can start) and,
 * if esc, without '\\': such text decodes to itself and flags nothing. */
static bool mh_verbatim(const uint8_t *p, size_t n, bool esc)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] >= 0x80 || p[i] == '=' || (esc && p[i] == '\\'))
			return false;
	return true;
}

size_t mime_hdr_decode_words(const uint8_t *in, size_t len, uint8_t *out, uint8_t *scratch,
			     uint32_t *anom)
{
	uint8_t *o = out;
	size_t i = 0, lit = 0; /* literal text starts at lit */
	size_t nraw = 0;       /* decoded bytes of pending words in scratch */
	const uint8_t *pcs = NULL;
	size_t pcslen = 0;

	if (mh_verbatim(in, len, false)) { /* most header values */
		if (len)
			memcpy(out, in, len);
		return len;
	}
	while (i + 1 < len) {
		const uint8_t *q = memchr(in + i, '=', len - i - 1);
		if (!q)
			break;
		i = (size_t)(q - in);
		const uint8_t *cs, *text;
		size_t cslen, tlen;
		uint8_t enc;
		size_t wl = mh_word(in + i, len - i, &cs, &cslen, &enc, &text, &tlen);
		if (!wl) {
			/* "=?" then a charset name: a broken encoded word */
			if (in[i + 1] == '?' && i + 2 < len && in[i + 2] != '?' &&
			    !mh_space(in[i + 2]))
				*anom |= DLP_ANOM_BAD_HEADER;
			i++;
			continue;
		}
		/* literal text before the word: dropped if only blanks between
		 * two encoded words */
		bool blank = true;
		for (size_t k = lit; k < i; k++)
			if (!mh_space(in[k]))
				blank = false;
		if (!(blank && pcs)) {
			if (pcs) {
				o += mh_convert((const char *)pcs, pcslen, scratch, nraw, o, anom);
				pcs = NULL;
				nraw = 0;
			}
			o += mh_convert(NULL, 0, in + lit, i - lit, o, anom);
		} else if (pcs && (cslen != pcslen ||
				   strncasecmp((const char *)cs, (const char *)pcs, cslen) != 0)) {
			o += mh_convert((const char *)pcs, pcslen, scratch, nraw, o, anom);
			pcs = NULL;
			nraw = 0;
		}
		pcs = cs;
		pcslen = cslen;
		if (enc == 'b') {
			struct decode_b64 b;
			decode_b64_init(&b);
			nraw += decode_b64_push(&b, text, tlen, scratch + nraw);
			nraw += decode_b64_finish(&b, scratch + nraw);
			if (b.anomalies)
				*anom |= DLP_ANOM_BAD_HEADER;
		} else {
			nraw += mh_q(text, tlen, scratch + nraw, anom);
		}
		i += wl;
		lit = i;
	}
	if (pcs)
		o += mh_convert((const char *)pcs, pcslen, scratch, nraw, o, anom);
	o += mh_convert(NULL, 0, in + lit, len - lit, o, anom);
	return (size_t)(o - out);
}

size_t mime_hdr_token(const uint8_t *v, size_t len, char *out, size_t outcap)
{
	size_t i = 0, n = 0;

	for (;;) {
		while (i < len && mh_space(v[i]))
			i++;
		if (i < len && v[i] == '(') { /* RFC 5322 comment */
			unsigned depth = 0;
			for (; i < len; i++) {
				if (v[i] == '(')
					depth++;
				else if (v[i] == ')' && --depth == 0)
					break;
			}
			i++;
			continue;
		}
		break;
	}
	for (; i < len && v[i] != ';' && v[i] != '(' && !mh_space(v[i]); i++)
		if (n + 1 < outcap)
			out[n++] = (char)mh_lower(v[i]);
	if (outcap)
		out[n] = '\0';
	return n;
}

struct mh_slice {
	const uint8_t *p;
	size_t len;
	bool quoted;
	bool extended;
	bool present;
};

/* Copy a value, undoing quoted-string backslash escapes. */
static size_t mh_unquote(const struct mh_slice *s, uint8_t *out)
{
	size_t w = 0;

	for (size_t i = 0; i < s->len; i++) {
		if (s->quoted && s->p[i] == '\\' && i + 1 < s->len)
			i++;
		out[w++] = s->p[i];
	}
	return w;
}

/* RFC 2231 %XX decoding. */
static size_t mh_pct(const uint8_t *p, size_t n, uint8_t *out)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '%' && i + 2 < n && mh_hex(p[i + 1]) >= 0 && mh_hex(p[i + 2]) >= 0) {
			out[w++] = (uint8_t)(mh_hex(p[i + 1]) << 4 | mh_hex(p[i + 2]));
			i += 2;
		} else {
			out[w++] = p[i];
		}
	}
	return w;
}

/* Match attribute a (alen) against attr (n bytes): 0 = no, 1 = plain,
 * 2 = "attr*", 3 = "attr*N", 4 = "attr*N*" (section in *sec). */
static int mh_attr(const uint8_t *a, size_t alen, const char *attr, size_t n, unsigned *sec)
{
	size_t i;

	if (alen < n)
		return 0;
	for (i = 0; i < n; i++) /* ASCII case folding, as strncasecmp in "C" */
		if (mh_lower(a[i]) != mh_lower((uint8_t)attr[i]))
			return 0;
	if (alen == n)
		return 1;
	if (a[n] != '*')
		return 0;
	if (alen == n + 1)
		return 2;
	unsigned v = 0;
	for (i = n + 1; i < alen && a[i] >= '0' && a[i] <= '9'; i++)
		if (v < 100000)
			v = v * 10 + (unsigned)(a[i] - '0');
	if (i == n + 1)
		return 0;
	*sec = v;
	if (i == alen)
		return 3;
	if (i + 1 == alen && a[i] == '*')
		return 4;
	return 0;
}

/* Copy UTF-8 src into out, truncated on a character boundary. */
static long mh_out(const uint8_t *src, size_t n, char *out, size_t outcap)
{
	if (outcap == 0)
		return 0;
	if (n > outcap - 1) {
		n = outcap - 1;
		while (n > 0 && (src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, src, n);
	out[n] = '\0';
	return (long)n;
}

/* What one pass over the parameters found for one wanted attribute:
 * sec[k] is valid only where bit k of secmask is set (so that nothing
 * needs clearing per call). */
struct mh_found {
	size_t alen;
	struct mh_slice plain, ext;
	uint64_t secmask;
	struct mh_slice sec[MIME_PARAM_SECTIONS];
};

/* Put a found parameter together (sections in order, RFC 2231 charset of
 * the first extended one) and decode it into w->out. */
static long mh_param_finish(const struct mh_found *f, size_t len, struct mime_hdr_want *w,
			    uint8_t *scratch, uint32_t *anom)
{
	/* raw bytes in scratch[0, len), converted text after them */
	uint8_t *raw = scratch, *conv = scratch + len + 16;
	size_t nraw = 0;
	const uint8_t *cs = NULL;
	size_t cslen = 0;
	bool any_sec = f->secmask != 0;

	if (any_sec || f->ext.present) {
		/* a missing section followed by a present one: a gap */
		if (any_sec && ((f->secmask >> 1) & ~f->secmask))
			*anom |= DLP_ANOM_BAD_HEADER;
		unsigned count = any_sec ? MIME_PARAM_SECTIONS : 1;
		for (unsigned k = 0; k < count; k++) {
			if (any_sec && !(f->secmask >> k & 1))
				continue;
			const struct mh_slice *s = any_sec ? &f->sec[k] : &f->ext;
			const uint8_t *p = s->p;
			size_t n = s->len;
			if (k == 0 && s->extended) {
				/* charset'language'value */
				const uint8_t *q1 = memchr(p, '\'', n);
				const uint8_t *q2 =
					q1 ? memchr(q1 + 1, '\'', (size_t)(p + n - q1 - 1)) : NULL;
				if (q2) {
					cs = p;
					cslen = (size_t)(q1 - p);
					n -= (size_t)(q2 + 1 - p);
					p = q2 + 1;
				}
			}
			if (s->extended) {
				nraw += mh_pct(p, n, raw + nraw);
			} else {
				struct mh_slice t = *s;
				t.p = p;
				t.len = n;
				nraw += mh_unquote(&t, raw + nraw);
			}
		}
		size_t wl;
		if (cs && cslen)
			wl = mh_convert((const char *)cs, cslen, raw, nraw, conv, anom);
		else
			wl = mime_hdr_decode_words(raw, nraw, conv, conv + MIME_HDR_OUT_MAX(len),
						   anom);
		return mh_out(conv, wl, w->out, w->outcap);
	}
	if (!f->plain.present)
		return -1;
	/* a plain value that unquotes and decodes to itself: straight out */
	if (mh_verbatim(f->plain.p, f->plain.len, f->plain.quoted))
		return mh_out(f->plain.p, f->plain.len, w->out, w->outcap);
	nraw = mh_unquote(&f->plain, raw);
	size_t wl = mime_hdr_decode_words(raw, nraw, conv, conv + MIME_HDR_OUT_MAX(len), anom);
	return mh_out(conv, wl, w->out, w->outcap);
}

void mime_hdr_params(const uint8_t *v, size_t len, struct mime_hdr_want *want, unsigned nwant,
		     uint8_t *scratch, uint32_t *anom)
{
	struct mh_found found[MIME_HDR_WANT_MAX];
	size_t i = 0;

	assert(nwant <= MIME_HDR_WANT_MAX);
	for (unsigned k = 0; k < nwant; k++) {
		struct mh_found *f = &found[k];
		f->alen = strlen(want[k].attr);
		f->plain.present = false;
		f->ext.present = false;
		f->secmask = 0;
	}
	/* skip the leading token, then ";"-separated attribute=value pairs */
	while (i < len && v[i] != ';') {
		if (v[i] == '"') { /* tolerate a quoted leading token */
			for (i++; i < len && v[i] != '"'; i++)
				;
		}
		i++;
	}
	while (i < len) {
		while (i < len && (mh_space(v[i]) || v[i] == ';'))
			i++;
		size_t as = i;
		while (i < len && v[i] != '=' && v[i] != ';')
			i++;
		size_t ae = i;
		while (ae > as && mh_space(v[ae - 1]))
			ae--;
		if (i >= len || v[i] != '=')
			continue;
		i++;
		while (i < len && mh_space(v[i]))
			i++;
		struct mh_slice s = {.present = true};
		if (i < len && v[i] == '"') {
			s.quoted = true;
			s.p = v + ++i;
			while (i < len && v[i] != '"') {
				if (v[i] == '\\' && i + 1 < len)
					i++;
				i++;
			}
			s.len = (size_t)(v + (i < len ? i : len) - s.p);
			if (i >= len)
				*anom |= DLP_ANOM_BAD_HEADER; /* unterminated */
			i++;
			while (i < len && v[i] != ';')
				i++;
		} else {
			s.p = v + i;
			while (i < len && v[i] != ';')
				i++;
			size_t e = i;
			while (e > (size_t)(s.p - v) && mh_space(v[e - 1]))
				e--;
			s.len = e - (size_t)(s.p - v);
		}
		for (unsigned k = 0; k < nwant; k++) {
			struct mh_found *f = &found[k];
			unsigned n = 0;
			int kind = mh_attr(v + as, ae - as, want[k].attr, f->alen, &n);
			switch (kind) {
			case 1:
				if (!f->plain.present)
					f->plain = s;
				break;
			case 2:
				f->ext = s;
				f->ext.extended = true;
				break;
			case 3:
			case 4:
				if (n < MIME_PARAM_SECTIONS && !(f->secmask >> n & 1)) {
					f->sec[n] = s;
					f->sec[n].extended = kind == 4;
					f->secmask |= 1ull << n;
				} else {
					*anom |= DLP_ANOM_BAD_HEADER;
				}
				break;
			default:
				break;
			}
		}
	}
	for (unsigned k = 0; k < nwant; k++)
		want[k].len = mh_param_finish(&found[k], len, &want[k], scratch, anom);
}

long mime_hdr_param(const uint8_t *v, size_t len, const char *attr, char *out, size_t outcap,
		    uint8_t *scratch, uint32_t *anom)
{
	struct mime_hdr_want w = {.attr = attr, .out = out, .outcap = outcap};

	mime_hdr_params(v, len, &w, 1, scratch, anom);
	return w.len;
}
