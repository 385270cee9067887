/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * decode_base64.c — table-driven streaming base64 decoder (RFC 2045 §6.8).
 *
 * The hot loop decodes whole quads with one 256-byte table lookup per
 * character and a single branch per quad (all four lookups OR-ed together:
 * any non-alphabet byte has the high bit set). Whitespace, junk, padding and
 * quads split across calls fall to the byte-at-a-time path, which keeps the
 * partial quad in the state struct. Not constant time: mail bodies are not
 * secrets of this process.
 *
 * On x86-64 CPUs with AVX2 (checked once at run time), runs of 32 alphabet
 * characters are translated and validated with nibble lookup tables and
 * packed with multiply-add (the method of W. Muła and D. Lemire, "Faster
 * Base64 Encoding and Decoding Using AVX2 Instructions", 2018); a block
 * holding anything else falls back to the table loop.
 *
 * On CPUs with AVX-512 VBMI and VBMI2 (checked the same way), 64 bytes at a
 * time are translated with one two-table byte permute, the line breaks and
 * other whitespace between characters are squeezed out with a byte
 * compress, and every 64 sextets gathered are packed into 48 bytes with
 * multiply-add and one byte permute (the packing of W. Muła and D. Lemire,
 * "Base64 encoding and decoding at almost the speed of a memory copy",
 * 2019). MIME's 76-character lines then cost no branch per line. A block
 * holding anything but alphabet and whitespace ('=', junk, 8-bit bytes)
 * ends the run there and goes to the paths above, so anomalies and output
 * are the same on every path.
 */
#include "dlp/decode.h"

#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define B64_AVX2 1
#endif

#include "dlp/dlp.h"

#define B64_WS 0x80  /* CR LF SP TAB: ignored silently */
#define B64_PAD 0x81 /* '=' */
#define B64_BAD 0xff /* anything else: skipped, flagged */

static const uint8_t b64_tab[256] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80, 0x80, 0xff, 0xff, 0x80, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3e, 0xff,
	0xff, 0xff, 0x3f, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0xff, 0xff,
	0xff, 0x81, 0xff, 0xff, 0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
	0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
	0x19, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21,
	0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
	0x31, 0x32, 0x33, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff,
};

void decode_b64_init(struct decode_b64 *st)
{
	memset(st, 0, sizeof(*st));
}

#ifdef B64_AVX2
/* Up to 32 characters → 24 bytes at o (all 24 written: the caller's bound
 * is that of 32 input characters). Returns the characters consumed: 32, or
 * the whole quads before the first one outside the alphabet (0 to 28). */
__attribute__((target("avx2"))) static inline unsigned b64_avx2_block(const uint8_t *p, uint8_t *o)
{
	const __m256i lut_lo =
		_mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13,
				 0x1a, 0x1b, 0x1b, 0x1b, 0x1a, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11,
				 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
	const __m256i lut_hi =
		_mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10,
				 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08,
				 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
	const __m256i lut_roll =
		_mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16,
				 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i mask_2f = _mm256_set1_epi8(0x2f);
	__m256i str = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i hi_nib = _mm256_and_si256(_mm256_srli_epi32(str, 4), mask_2f);
	__m256i lo_nib = _mm256_and_si256(str, mask_2f);
	__m256i hi = _mm256_shuffle_epi8(lut_hi, hi_nib);
	__m256i lo = _mm256_shuffle_epi8(lut_lo, lo_nib);

	unsigned take = 32;
	if (!_mm256_testz_si256(lo, hi)) {
		/* the whole quads before the first byte outside the alphabet
		 * (a line break, usually): decoded all the same, the bytes
		 * of the quads after it are not counted */
		unsigned ok = (unsigned)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(_mm256_and_si256(lo, hi), _mm256_setzero_si256()));
		take = (unsigned)__builtin_ctz(~ok) & ~3u;
		if (!take)
			return 0;
	}
	__m256i eq_2f = _mm256_cmpeq_epi8(str, mask_2f);
	__m256i roll = _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(eq_2f, hi_nib));
	str = _mm256_add_epi8(str, roll); /* sextets */
	__m256i ab = _mm256_maddubs_epi16(str, _mm256_set1_epi32(0x01400140));
	__m256i out = _mm256_madd_epi16(ab, _mm256_set1_epi32(0x00011000));
	out = _mm256_shuffle_epi8(out, _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1,
							-1, -1, -1, 2, 1, 0, 6, 5, 4, 10, 9, 8, 14,
							13, 12, -1, -1, -1, -1));
	out = _mm256_permutevar8x32_epi32(out, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7));
	_mm_storeu_si128((__m128i *)(void *)o, _mm256_castsi256_si128(out));
	_mm_storel_epi64((__m128i *)(void *)(o + 16), _mm256_extracti128_si256(out, 1));
	return take;
}

/* Blocks of 32 characters across line breaks: whitespace between whole
 * quads is skipped here (the table loop would ignore it the same way).
 * Returns where a block stopped at something else, or fewer than 32 bytes
 * are left. */
__attribute__((target("avx2"))) static const uint8_t *b64_avx2_run(const uint8_t *p,
								   const uint8_t *e, uint8_t **op)
{
	uint8_t *o = *op;

	while (e - p >= 32) {
		unsigned k = b64_avx2_block(p, o);
		p += k;
		o += k / 4 * 3;
		if (k == 32)
			continue;
		if (b64_tab[*p] != B64_WS)
			break;
		do
			p++;
		while (p < e && b64_tab[*p] == B64_WS);
	}
	*op = o;
	return p;
}

#define B64_VBMI_TARGET "avx512f,avx512bw,avx512vbmi,avx512vbmi2,bmi2,popcnt"

/* b64_tab's first 128 entries as two permute tables: sextets, 0x80 for
 * the whitespace the decoder ignores, 0xff for the rest ('=' included). */
static uint8_t b64_vbmi_lut[128] __attribute__((aligned(64)));

/* Permute indices that put r carried sextets (r = 0..3) before a block's:
 * lane i < r from the carry, lane i >= r from the block's i - r (64 + i - r). */
static uint8_t b64_vbmi_join[4][64] __attribute__((aligned(64)));

/* The first 4q sextets of v → 3q bytes at o (q <= 16; masked store:
 * nothing beyond). */
__attribute__((target(B64_VBMI_TARGET))) static inline void b64_vbmi_pack(__m512i v, uint8_t *o,
									  unsigned q)
{
	static const uint8_t order[64] __attribute__((aligned(64))) = {
		2,  1,	0,  6,	5,  4,	10, 9,	8,  14, 13, 12, 18, 17, 16, 22,
		21, 20, 26, 25, 24, 30, 29, 28, 34, 33, 32, 38, 37, 36, 42, 41,
		40, 46, 45, 44, 50, 49, 48, 54, 53, 52, 58, 57, 56, 62, 61, 60,
	};
	/* pairs of sextets → 12 bits, pairs of those → 24 bits per dword */
	v = _mm512_maddubs_epi16(v, _mm512_set1_epi32(0x01400140));
	v = _mm512_madd_epi16(v, _mm512_set1_epi32(0x00011000));
	v = _mm512_permutexvar_epi8(_mm512_load_si512((const void *)order), v);
	_mm512_mask_storeu_epi8(o, _bzhi_u64(~0ull, q * 3), v);
}

/* From p (no quad in progress): whole 64-byte blocks of alphabet and
 * whitespace. Each block's sextets are compressed (whitespace out) behind
 * the 0-3 carried over from the block before, the whole quads among the
 * first 64 are packed and the rest carried on; all in registers. Returns
 * where it stopped (a block holding anything else, or fewer than 64 bytes
 * left); the sextets of an unfinished quad go to *acc and *n, as the table
 * loop would have left them. */
__attribute__((target(B64_VBMI_TARGET))) static const uint8_t *
b64_vbmi_run(const uint8_t *p, const uint8_t *e, uint8_t **op, uint32_t *acc, unsigned *n)
{
	uint8_t *o = *op;
	const __m512i lut0 = _mm512_load_si512((const void *)b64_vbmi_lut);
	const __m512i lut1 = _mm512_load_si512((const void *)(b64_vbmi_lut + 64));
	const __m512i ws = _mm512_set1_epi8((char)0x80);
	/* join[0] is 64 + i: vpermb reads 6 index bits, so it is also 0..63 */
	const __m512i iota = _mm512_load_si512((const void *)b64_vbmi_join[0]);
	__m512i carry = _mm512_setzero_si512();
	unsigned r = 0; /* sextets in carry (0..3) */

	while (e - p >= 64) {
		__m512i in = _mm512_loadu_si512((const void *)p);
		/* bit 6 of each byte picks the table, bits 0-5 the entry;
		 * bytes >= 0x80 alias ASCII and are caught by their top bit */
		__m512i t = _mm512_permutex2var_epi8(lut0, in, lut1);
		__mmask64 bad = _mm512_movepi8_mask(_mm512_or_si512(t, in));
		__mmask64 white = _mm512_cmpeq_epi8_mask(t, ws) & ~_mm512_movepi8_mask(in);
		if (bad & ~white)
			break;
		p += 64;
		__m512i cur = _mm512_maskz_compress_epi8(~bad, t);
		unsigned total = r + (unsigned)_mm_popcnt_u64(~bad);
		/* carry[0..r) then cur: lane i < r from carry, else cur[i - r] */
		__m512i all = _mm512_permutex2var_epi8(
			carry, _mm512_load_si512((const void *)b64_vbmi_join[r]), cur);
		unsigned q = (total < 64 ? total : 64) / 4;
		b64_vbmi_pack(all, o, q);
		o += q * 3;
		/* carry on sextets 4q.. of the same concatenation: from cur
		 * once a quad was packed (4q >= 4 > r), else all of them */
		if (__builtin_expect(q != 0, 1))
			carry = _mm512_permutexvar_epi8(
				_mm512_add_epi8(iota, _mm512_set1_epi8((char)(q * 4 - r))), cur);
		else
			carry = all;
		r = total - q * 4;
	}
	uint8_t left[64] __attribute__((aligned(64)));
	_mm512_store_si512((void *)left, carry);
	uint32_t a = 0;
	for (unsigned i = 0; i < r; i++)
		a = a << 6 | left[i];
	*acc = a;
	*n = r;
	*op = o;
	return p;
}

/* Set once at load time, before any worker thread runs: read-only after. */
static bool b64_has_avx2, b64_has_vbmi;

__attribute__((constructor)) static void b64_cpu_init(void)
{
	__builtin_cpu_init();
	b64_has_avx2 = __builtin_cpu_supports("avx2");
	b64_has_vbmi = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		       __builtin_cpu_supports("avx512vbmi") &&
		       __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("bmi2") &&
		       __builtin_cpu_supports("popcnt");
	for (unsigned i = 0; i < 128; i++)
		b64_vbmi_lut[i] = b64_tab[i] == B64_PAD ? B64_BAD : b64_tab[i];
	for (unsigned r = 0; r < 4; r++)
		for (unsigned i = 0; i < 64; i++)
			b64_vbmi_join[r][i] = (uint8_t)(i < r ? i : 64 + i - r);
}

static inline bool b64_avx2(void)
{
	return b64_has_avx2;
}
#endif

/* Whole quads: 32 characters at a time with AVX2, then 8 and 4. Returns the
 * first byte it could not handle (junk, whitespace, padding, or fewer than
 * 4 bytes left). */
static inline const uint8_t *b64_fast(const uint8_t *p, const uint8_t *e, uint8_t **op)
{
	uint8_t *o = *op;

#ifdef B64_AVX2
	if (e - p >= 32 && b64_avx2()) {
		p = b64_avx2_run(p, e, &o);
	}
#endif

	while (e - p >= 8) {
		uint32_t a = b64_tab[p[0]], b = b64_tab[p[1]];
		uint32_t c = b64_tab[p[2]], d = b64_tab[p[3]];
		uint32_t f = b64_tab[p[4]], g = b64_tab[p[5]];
		uint32_t h = b64_tab[p[6]], i = b64_tab[p[7]];
		if ((a | b | c | d | f | g | h | i) & 0x80)
			break;
		uint32_t v = a << 18 | b << 12 | c << 6 | d;
		uint32_t w = f << 18 | g << 12 | h << 6 | i;
		o[0] = (uint8_t)(v >> 16);
		o[1] = (uint8_t)(v >> 8);
		o[2] = (uint8_t)v;
		o[3] = (uint8_t)(w >> 16);
		o[4] = (uint8_t)(w >> 8);
		o[5] = (uint8_t)w;
		o += 6;
		p += 8;
	}
	while (e - p >= 4) {
		uint32_t a = b64_tab[p[0]], b = b64_tab[p[1]];
		uint32_t c = b64_tab[p[2]], d = b64_tab[p[3]];
		if ((a | b | c | d) & 0x80)
			break;
		uint32_t v = a << 18 | b << 12 | c << 6 | d;
		o[0] = (uint8_t)(v >> 16);
		o[1] = (uint8_t)(v >> 8);
		o[2] = (uint8_t)v;
		o += 3;
		p += 4;
	}
	*op = o;
	return p;
}

size_t decode_b64_push(struct decode_b64 *st, const uint8_t *in, size_t len, uint8_t *out)
{
	const uint8_t *p = in, *e = in + len;
	uint8_t *o = out;
	uint32_t acc = st->acc;
	unsigned n = st->n, skip_pad = st->skip_pad;
	uint32_t anom = 0;

	while (p < e) {
		if (n == 0 && !skip_pad) {
#ifdef B64_AVX2
			if (b64_has_vbmi && e - p >= 64) {
				p = b64_vbmi_run(p, e, &o, &acc, &n);
				if (n)
					continue; /* the table loop ends the quad */
			}
#endif
			p = b64_fast(p, e, &o);
			if (p == e)
				break;
		}
		unsigned t = b64_tab[*p++];
		if (t < 64) {
			if (skip_pad) {
				/* "xx=" followed by data: one pad missing */
				anom |= DLP_ANOM_BAD_BASE64;
				skip_pad = 0;
			}
			acc = acc << 6 | t;
			if (++n == 4) {
				o[0] = (uint8_t)(acc >> 16);
				o[1] = (uint8_t)(acc >> 8);
				o[2] = (uint8_t)acc;
				o += 3;
				n = 0;
				acc = 0;
			}
		} else if (t == B64_WS) {
			continue;
		} else if (t == B64_PAD) {
			if (skip_pad) {
				skip_pad = 0;
				continue;
			}
			switch (n) {
			case 2:
				*o++ = (uint8_t)(acc >> 4);
				skip_pad = 1;
				break;
			case 3:
				*o++ = (uint8_t)(acc >> 10);
				*o++ = (uint8_t)(acc >> 2);
				break;
			default: /* "=" at the start of a quad or after one sextet */
				anom |= DLP_ANOM_BAD_BASE64;
				break;
			}
			n = 0;
			acc = 0;
		} else {
			anom |= DLP_ANOM_BAD_BASE64;
		}
	}
	st->acc = acc;
	st->n = n;
	st->skip_pad = skip_pad;
	st->anomalies |= anom;
	return (size_t)(o - out);
}

size_t decode_b64_finish(struct decode_b64 *st, uint8_t *out)
{
	size_t w = 0;

	switch (st->n) {
	case 1:
		st->anomalies |= DLP_ANOM_BAD_BASE64;
		break;
	case 2:
		out[w++] = (uint8_t)(st->acc >> 4);
		st->anomalies |= DLP_ANOM_BAD_BASE64;
		break;
	case 3:
		out[w++] = (uint8_t)(st->acc >> 10);
		out[w++] = (uint8_t)(st->acc >> 2);
		st->anomalies |= DLP_ANOM_BAD_BASE64;
		break;
	default:
		break;
	}
	st->acc = 0;
	st->n = 0;
	st->skip_pad = 0;
	return w;
}

size_t decode_base64(const uint8_t *in, size_t len, uint8_t *out, uint32_t *anomalies)
{
	struct decode_b64 st;
	size_t w;

	decode_b64_init(&st);
	w = decode_b64_push(&st, in, len, out);
	w += decode_b64_finish(&st, out + w);
	if (anomalies)
		*anomalies = st.anomalies;
	return w;
}
