/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mime.c — the streaming MIME parser behind mime.h.
 *
 * Model. The parser walks a tree of entities (RFC 2045/2046): the message,
 * multipart children, message/rfc822 bodies. Open containers sit on a frame
 * stack (a multipart frame holds its boundary; a message frame marks a
 * nested message); the entity being read is either in its header block or
 * in its body. Header blocks are collected header by header (bounded by
 * max_header_bytes); bodies are never buffered: body bytes are handed on
 * in runs up to the next line that may be a boundary ("--") or a uuencode
 * "begin " line (found with one search per run, not per line), and the first
 * bytes of such a line are held (bounded) until they decide. The line break
 * before a boundary belongs to the boundary (RFC 2046 §5.1.1), so the last
 * line break seen is held back too. ASCII text with the charset stage idle
 * skips conversion and goes to text() in place when the run is large.
 *
 * Leaf body pipeline: transfer decoding (base64, QP, uuencode, identity) →
 * for text/ *: charset → UTF-8, NUL bytes dropped (flagged: readers do not
 * see them, and dropping them keeps "Cust\0omer" whole), text/html → text;
 * other types pass their decoded bytes as they are → a 64 KiB coalescing
 * buffer → sink text(). image/ *, audio/ * and video/ * bodies are decoded
 * and passed like other non-text types (a type does not prove the body is
 * not text). A uuencoded
 * block inside a text/plain body is decoded in place and its bytes go to
 * text() like an attachment's. Zip-based attachments are collected (bounded,
 * mime_archive.h) and their members reported as parts "<path>/<n>" when the
 * archive part ends.
 *
 * A message/rfc822 part sent base64 or quoted-printable encoded (which RFC
 * 2046 does not allow; flagged bad-header) is decoded into a nested parser
 * whose events are passed on under the part's path and depth, as if the
 * message had been sent unencoded (at most MIME_NESTED_MAX deep).
 *
 * Paths and depths (documented in mime.h terms): the top-level message has
 * path "" and depth 0 — its headers reach header() with path "" and depth 0;
 * the children of a multipart at path P are P.1, P.2, ... (1, 2, ... at the
 * top); a message/rfc822 part at path P has its own headers at (P, d) and the
 * nested message's headers at (P, d + 1); a non-multipart message body (top
 * level or nested) is the leaf P.1 ("1" at the top), as IMAP numbers them.
 * Every entity (message, multipart, leaf, nested message) counts as a part
 * for max_parts; an entity whose depth would exceed max_depth is not
 * descended into (its body is skipped, flagged).
 */
#include "dlp/mime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
/* AVX2 paths chosen at run time; -DSMTPDLP_NO_AVX2 builds without them so
 * that the SSE2/scalar paths can be tested on any machine. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SMTPDLP_NO_AVX2)
#include <immintrin.h>
#define MIME_AVX2 1
#endif

#include "dlp/mime_archive.h"
#include "dlp/charset.h"
#include "dlp/decode.h"
#include "dlp/dlp.h"
#include "dlp/html_text.h"
#include "dlp/mime_header.h"
#include "dlp/utf8.h"

/* RFC 2046 allows 70 characters; longer boundaries seen in the wild are
 * accepted up to this, beyond it the multipart is read as one opaque part. */
#define MIME_BOUNDARY_MAX 256
/* RFC 5322 §2.1.1: 998 characters per line, so a field name is shorter. */
#define MIME_FIELD_NAME_MAX 998
/* Transport padding (blanks after a boundary) kept while deciding. */
#define MIME_PADDING_MAX 998
#define MIME_HOLD_MAX (2 + MIME_BOUNDARY_MAX + 2 + MIME_PADDING_MAX)
#define MIME_CTYPE_MAX 128
#define MIME_TOKEN_MAX 64
#define MIME_FILENAME_MAX 1024
/* Body bytes per pipeline step, and the text() coalescing buffer. */
#define MIME_CHUNK 4096
#define MIME_OUT_MAX 65536
/* Longest ASCII text run passed through in one step (HTML output of it
 * must fit the coalescing buffer). */
#define MIME_TEXT_RUN (MIME_OUT_MAX / 2)
/* message/rfc822 parts sent base64 or quoted-printable encoded are
 * decoded into a nested parser (a few MiB of buffers each with the default
 * header limit): at most this many inside each other, deeper is DEPTH. */
#define MIME_NESTED_MAX 3
/* Archive buffer kept from one message to the next. */
#define MIME_ARCHIVE_KEEP (1u << 20)

/* Defaults for zero limits (the config's defaults). */
#define MIME_DEF_DEPTH 20
#define MIME_DEF_PARTS 1000
#define MIME_DEF_HEADER (256u * 1024)
#define MIME_DEF_LINE (64u * 1024)
#define MIME_DEF_DECODED (32ull * 1024 * 1024)

enum frame_kind { FR_MESSAGE, FR_MULTIPART };

struct mime_frame {
	enum frame_kind kind;
	bool digest; /* multipart/digest: children default message/rfc822 */
	bool closed; /* its close delimiter was seen: in its epilogue */
	char path[MIME_PATH_MAX];
	unsigned depth; /* of the container entity */
	unsigned nchild;
	size_t blen;
	char boundary[MIME_BOUNDARY_MAX];
};

/* The entity being read. entity_init() resets each field by hand (the
 * strings to ""): a new field needs a line there. */
struct mime_entity {
	char path[MIME_PATH_MAX];
	unsigned depth;
	bool in_message; /* body of a message: a leaf is path.1 */
	bool digest_child;
	bool has_ctype;
	bool ctype_seen, cte_seen; /* a first Content-Type / -Transfer-Encoding */
	char ctype[MIME_CTYPE_MAX];
	char charset[CHARSET_NAME_MAX];
	char disposition[MIME_TOKEN_MAX];
	char cte[MIME_TOKEN_MAX];
	bool bad_boundary;
	size_t blen;
	char filename[MIME_FILENAME_MAX];
	char boundary[MIME_BOUNDARY_MAX]; /* blen bytes */
};

enum parse_state { PS_HEADERS, PS_BODY };

enum hdr_state {
	HS_LINE_START,
	HS_NAME,
	HS_NAME_WS,
	HS_VALUE,
	HS_CR,
	HS_SKIP,
	HS_SKIP_LINE_START,
};

enum body_state { BS_LINE_START, BS_HOLD, BS_MID, BS_SKIP_LINE };

enum cte { CTE_IDENTITY, CTE_BASE64, CTE_QP, CTE_UU };

struct mime_parser {
	struct mime_limits lim;
	const struct mime_sink *sink;
	void *ctx;
	uint32_t anomalies;
	uint64_t decoded;
	unsigned nparts;
	bool stopped;	/* part limit hit: the rest is ignored */
	bool limit_hit; /* max_decoded_bytes reached */

	struct mime_frame *frames;
	unsigned nframes, cap_frames, nmultipart;
	struct mime_entity ent;
	enum parse_state ps;

	/* header block */
	enum hdr_state hs;
	uint8_t *hbuf;
	size_t hlen, hcap, name_len, hblock, hline;
	bool have_hdr, hline_flagged;
	uint8_t *hout, *hscratch;
	char hname[MIME_FIELD_NAME_MAX + 1];
	char hfn[MIME_FILENAME_MAX]; /* Content-Disposition filename */
	uint8_t replay[MIME_FIELD_NAME_MAX + 8];
	size_t nreplay;

	/* body lines */
	bool leaf; /* body goes through the pipeline */
	enum body_state bs;
	uint8_t *lb;
	size_t lbn, lbcap;
	uint8_t *alive; /* per frame: held line may still be its boundary */
	bool uu_cand;
	uint8_t eol[2];
	unsigned neol;
	bool cr;
	size_t col;
	bool col_flagged;
	bool run_clean; /* the bytes content() is given are ASCII without NUL */

	/* leaf pipeline */
	struct mime_part_info info;
	bool leaf_open, is_text, html, uu_detect, in_uu;
	bool arch_on; /* collecting an archive part */
	struct mime_archive arch;
	struct mime_part_info minfo; /* archive member being reported */
	char mname[MIME_FILENAME_MAX];
	unsigned nmember;
	enum cte cte;
	struct decode_b64 b64;
	struct decode_qp qp;
	struct decode_uu uu;
	struct charset_conv cs;
	struct html_text ht;
	uint8_t *t1, *t2;
	uint8_t *out;
	size_t outn;

	/* an encoded message/rfc822 part: its decoded bytes go to sub, whose
	 * events reach the sink below sub_base (path) and sub_depth */
	struct mime_parser *sub;
	unsigned nested; /* parsers around this one */
	char sub_base[MIME_PATH_MAX];
	unsigned sub_depth;
	struct mime_part_info sub_info;
};

#define T1_SIZE (MIME_CHUNK + 64)
#define T2_SIZE CHARSET_MAX_OUT(T1_SIZE)

/* ------------------------------------------------------------- output */

static void out_flush(struct mime_parser *P)
{
	size_t n = P->outn;

	if (n == 0)
		return;
	P->outn = 0;
	if (P->limit_hit)
		return;
	if (P->decoded + n > P->lim.max_decoded_bytes) {
		n = (size_t)(P->lim.max_decoded_bytes - P->decoded);
		P->anomalies |= DLP_ANOM_SCAN_LIMIT;
		P->limit_hit = true;
	}
	if (n) {
		P->decoded += n;
		if (P->sink->text)
			P->sink->text(P->ctx, P->out, n);
	}
}

/* Make room for n more output bytes (n <= MIME_OUT_MAX). */
static inline uint8_t *out_room(struct mime_parser *P, size_t n)
{
	if (P->outn + n > MIME_OUT_MAX)
		out_flush(P);
	return P->out + P->outn;
}

static size_t text_tidy(struct mime_parser *P, uint8_t *o, size_t w);

/* Append bytes; text parts (text) lose their NUL bytes (flagged) and
 * invisible characters (text_tidy), in pieces cut between UTF-8 sequences. */
static void out_put(struct mime_parser *P, const uint8_t *d, size_t n, bool text)
{
	while (n) {
		size_t k = n < MIME_OUT_MAX / 2 ? n : MIME_OUT_MAX / 2;
		if (text && k < n)
			for (int b = 0; b < 3 && k > 1 && (d[k] & 0xc0) == 0x80; b++)
				k--;
		uint8_t *o = out_room(P, k);
		memcpy(o, d, k);
		P->outn += text ? text_tidy(P, o, k) : k;
		d += k;
		n -= k;
	}
}

#ifdef MIME_AVX2
static inline bool cpu_avx2(void)
{
	return __builtin_cpu_supports("avx2");
}

/* ascii_clean() for n >= 128, 128 bytes per round: a byte is 0x01..0x7f
 * exactly when it is greater than 0 as a signed byte. */
__attribute__((target("avx2"))) static bool ascii_clean_avx2(const uint8_t *d, size_t n)
{
	const __m256i z = _mm256_setzero_si256();
	size_t i = 0;

	for (; n - i >= 128; i += 128) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(d + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(d + i + 32));
		__m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(d + i + 64));
		__m256i f = _mm256_loadu_si256((const __m256i *)(const void *)(d + i + 96));
		__m256i m = _mm256_min_epi8(_mm256_min_epi8(a, b), _mm256_min_epi8(c, f));
		if ((unsigned)_mm256_movemask_epi8(_mm256_cmpgt_epi8(m, z)) != 0xffffffffu)
			return false;
	}
	/* the last 128 bytes again, overlapping: no scalar tail */
	if (i < n) {
		const uint8_t *t = d + n - 128;
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)t);
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(t + 32));
		__m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(t + 64));
		__m256i f = _mm256_loadu_si256((const __m256i *)(const void *)(t + 96));
		__m256i m = _mm256_min_epi8(_mm256_min_epi8(a, b), _mm256_min_epi8(c, f));
		if ((unsigned)_mm256_movemask_epi8(_mm256_cmpgt_epi8(m, z)) != 0xffffffffu)
			return false;
	}
	return true;
}
#endif

/* Whether d[0..n) is ASCII without NUL (0x01..0x7f): such text needs no
 * charset conversion and no NUL stripping. */
static bool ascii_clean(const uint8_t *d, size_t n)
{
	size_t i = 0;
#ifdef MIME_AVX2
	if (n >= 128 && cpu_avx2())
		return ascii_clean_avx2(d, n);
#endif
#ifdef __SSE2__
	const __m128i z = _mm_setzero_si128();
	for (; n - i >= 64; i += 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(d + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(d + i + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(const void *)(d + i + 32));
		__m128i f = _mm_loadu_si128((const __m128i *)(const void *)(d + i + 48));
		/* the sign bit of each byte: >= 0x80, or == 0 after cmpeq */
		__m128i x = _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, f));
		__m128i zz = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(a, z), _mm_cmpeq_epi8(b, z)),
					  _mm_or_si128(_mm_cmpeq_epi8(c, z), _mm_cmpeq_epi8(f, z)));
		if (_mm_movemask_epi8(_mm_or_si128(x, zz)))
			return false;
	}
#endif
	for (; n - i >= 8; i += 8) {
		uint64_t w;
		memcpy(&w, d + i, 8);
		/* a byte >= 0x80 sets its top bit; a zero byte borrows */
		if (((w - 0x0101010101010101ull) | w) & 0x8080808080808080ull)
			return false;
	}
	for (; i < n; i++)
		if (d[i] == 0 || d[i] >= 0x80)
			return false;
	return true;
}

/* text() for bytes that need no more processing (n <= MIME_OUT_MAX): large
 * runs go to the sink where they are, after what is buffered; small ones
 * are gathered so that the sink is not called per line. */
static void out_direct(struct mime_parser *P, const uint8_t *d, size_t n)
{
	if (n < MIME_CHUNK) {
		memcpy(out_room(P, n), d, n);
		P->outn += n;
		return;
	}
	out_flush(P);
	if (P->limit_hit)
		return;
	if (P->decoded + n > P->lim.max_decoded_bytes) {
		n = (size_t)(P->lim.max_decoded_bytes - P->decoded);
		P->anomalies |= DLP_ANOM_SCAN_LIMIT;
		P->limit_hit = true;
	}
	if (n) {
		P->decoded += n;
		if (P->sink->text)
			P->sink->text(P->ctx, d, n);
	}
}

/* Text written at o (w bytes) loses its NUL bytes (flagged). Returns the
 * length left. */
static size_t drop_nul(struct mime_parser *P, uint8_t *o, size_t w)
{
	if (!memchr(o, 0, w))
		return w;
	size_t k = 0;
	for (size_t i = 0; i < w; i++)
		if (o[i])
			o[k++] = o[i];
	P->anomalies |= DLP_ANOM_NUL;
	return k;
}

/* Text written at o (w bytes) loses its NUL bytes (flagged) and the
 * characters that show as nothing inside a word (soft hyphen, zero-width
 * space and joiners, BOM: utf8_strip_invisible), so "Cus&shy;tomer" is
 * scanned as the reader sees it. Returns the length left. */
static size_t text_tidy(struct mime_parser *P, uint8_t *o, size_t w)
{
	return utf8_strip_invisible(o, drop_nul(P, o, w));
}

/* Converted UTF-8 of a text part: HTML reduced, then out. */
static void stage_utf8(struct mime_parser *P, const uint8_t *d, size_t n)
{
	if (!n)
		return;
	if (P->html) {
		uint8_t *o = out_room(P, HTML_TEXT_MAX_OUT(n));
		size_t w = html_text_push(&P->ht, d, n, o);
		P->outn += text_tidy(P, o, w);
	} else {
		out_put(P, d, n, true);
	}
}

/* Text part bytes known to be ASCII without NUL while the charset stage
 * passes ASCII through (n <= MIME_TEXT_RUN): the conversion and the NUL
 * check are skipped (no NUL in, none out of the HTML stage either). */
static void stage_ascii(struct mime_parser *P, const uint8_t *d, size_t n)
{
	if (P->html) {
		/* ASCII in, so nothing invisible but entities, which
		 * html_text drops itself (ht_put_cp) */
		uint8_t *o = out_room(P, HTML_TEXT_MAX_OUT(n));
		P->outn += html_text_push(&P->ht, d, n, o);
	} else {
		out_direct(P, d, n);
	}
}

/* Transfer-decoded bytes (n <= T1_SIZE). */
static void stage_decoded(struct mime_parser *P, const uint8_t *d, size_t n)
{
	if (!n)
		return;
	if (P->sub) {
		mime_parser_feed(P->sub, d, n); /* cannot fail */
		return;
	}
	if (!P->is_text) {
		if (P->arch_on) {
			int r = mime_archive_append(&P->arch, d, n);
			if (r == 0)
				return;
			/* too big to expand (flagged at part end) or no
			 * memory: scan it as it is from here on */
			P->arch_on = false;
			P->anomalies |= DLP_ANOM_BAD_ARCHIVE;
			out_put(P, P->arch.buf, P->arch.len, false);
			mime_archive_reset(&P->arch);
		}
		out_put(P, d, n, false);
		return;
	}
	if (charset_conv_ascii_identity(&P->cs) && ascii_clean(d, n)) {
		stage_ascii(P, d, n);
		return;
	}
	if (!P->html) {
		/* converted straight into the output buffer */
		uint8_t *o = out_room(P, CHARSET_MAX_OUT(n));
		size_t w = charset_conv_push(&P->cs, d, n, o);
		P->outn += text_tidy(P, o, w);
		return;
	}
	size_t w = charset_conv_push(&P->cs, d, n, P->t2);
	stage_utf8(P, P->t2, w);
}

/* End of the charset/HTML stages of a text stream. */
static void stage_text_finish(struct mime_parser *P)
{
	if (!P->is_text)
		return;
	size_t w = charset_conv_finish(&P->cs, P->t2);
	stage_utf8(P, P->t2, w);
	if (P->html) {
		uint8_t *o = out_room(P, HTML_TEXT_MAX_OUT(0));
		P->outn += html_text_finish(&P->ht, o);
	}
}

static void stage_transfer(struct mime_parser *P, const uint8_t *d, size_t n);

/* uuencoded lines: one line per push so that the bytes after "end" go back
 * to the text path. */
static void stage_uu(struct mime_parser *P, const uint8_t *d, size_t n)
{
	while (n) {
		const uint8_t *nl = memchr(d, '\n', n);
		size_t k = nl ? (size_t)(nl - d) + 1 : n;
		if (k > MIME_CHUNK)
			k = MIME_CHUNK; /* t1 holds DECODE_UU_MAX_OUT(MIME_CHUNK) */
		size_t w = decode_uu_push(&P->uu, d, k, P->t1);
		out_put(P, P->t1, w, false);
		d += k;
		n -= k;
		if (decode_uu_done(&P->uu)) {
			P->anomalies |= P->uu.anomalies;
			if (P->in_uu) {
				P->in_uu = false;
				stage_transfer(P, d, n);
			}
			return;
		}
	}
}

/* Base64 / QP decoded straight into the output buffer when nothing else is
 * to be done with the bytes: a part that is not text and not collected as
 * an archive, or text with the charset stage idle that turns out to be ASCII
 * without NUL (otherwise the bytes take the usual path from t1). Returns
 * false if the part needs the usual path from the start. */
static bool decode_to_out(struct mime_parser *P, const uint8_t *d, size_t k)
{
	bool text = P->is_text && !P->html && charset_conv_ascii_identity(&P->cs);

	if (!text && (P->is_text || P->arch_on || P->sub))
		return false;
	size_t room = P->cte == CTE_BASE64 ? DECODE_B64_MAX_OUT(k) : DECODE_QP_MAX_OUT(k);
	uint8_t *o = out_room(P, room);
	size_t w = P->cte == CTE_BASE64 ? decode_b64_push(&P->b64, d, k, o)
					: decode_qp_push(&P->qp, d, k, o);
	if (!text || ascii_clean(o, w)) {
		P->outn += w;
		return true;
	}
	memcpy(P->t1, o, w);
	stage_decoded(P, P->t1, w);
	return true;
}

static void stage_transfer(struct mime_parser *P, const uint8_t *d, size_t n)
{
	while (n) {
		size_t k = n < MIME_CHUNK ? n : MIME_CHUNK, w;

		if (P->in_uu) {
			stage_uu(P, d, n);
			return;
		}
		switch (P->cte) {
		case CTE_BASE64:
		case CTE_QP:
			if (decode_to_out(P, d, k))
				break;
			w = P->cte == CTE_BASE64 ? decode_b64_push(&P->b64, d, k, P->t1)
						 : decode_qp_push(&P->qp, d, k, P->t1);
			stage_decoded(P, P->t1, w);
			break;
		case CTE_UU:
			if (!decode_uu_done(&P->uu)) {
				w = decode_uu_push(&P->uu, d, k, P->t1);
				out_put(P, P->t1, w, false);
			}
			break;
		case CTE_IDENTITY:
		default:
			/* ASCII text in larger runs: stage_decoded() converts
			 * at most T1_SIZE bytes, passes through any length */
			if (P->is_text && charset_conv_ascii_identity(&P->cs)) {
				size_t big = n < MIME_TEXT_RUN ? n : MIME_TEXT_RUN;
				if (P->run_clean || ascii_clean(d, big)) {
					stage_ascii(P, d, big);
					k = big;
					break;
				}
			}
			stage_decoded(P, d, k);
			break;
		}
		d += k;
		n -= k;
	}
}

/* Raw body bytes of the current entity. */
static void leaf_content(struct mime_parser *P, const uint8_t *d, size_t n)
{
	/* past max_decoded_bytes the text is still decoded, only not handed
	 * on: where the limit is noticed depends on buffering, and the
	 * anomaly bits of the rest must not depend on how input was split */
	if (!P->leaf_open || !n)
		return;
	stage_transfer(P, d, n);
}

/* Body content: a held line break first. */
static void content(struct mime_parser *P, const uint8_t *d, size_t n)
{
	if (P->neol) {
		unsigned k = P->neol;
		P->neol = 0;
		leaf_content(P, P->eol, k);
	}
	leaf_content(P, d, n);
}

/* ------------------------------------------------------------- parts */

/* Copy a part path (NUL-terminated, truncated to MIME_PATH_MAX - 1). */
static void path_copy(char *dst, const char *src)
{
	size_t n = strnlen(src, MIME_PATH_MAX - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* dst = "base.n" ("n" for an empty base); false if that does not fit
 * MIME_PATH_MAX (dst is then unusable). Paths are built per part, so
 * without snprintf. */
static bool path_join(char *dst, const char *base, unsigned n)
{
	char num[16];
	size_t k = sizeof(num);

	do {
		num[--k] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	size_t bl = strnlen(base, MIME_PATH_MAX), sep = bl ? 1 : 0, nl = sizeof(num) - k;
	if (bl + sep + nl >= MIME_PATH_MAX)
		return false;
	memcpy(dst, base, bl);
	if (sep)
		dst[bl] = '.';
	memcpy(dst + bl + sep, num + k, nl);
	dst[bl + sep + nl] = '\0';
	return true;
}

/* String compares against a literal for the entity's NUL-terminated char
 * arrays, which are longer than any literal used here: memcmp over the
 * literal's bytes (its NUL too for STR_IS) gives the same answer as
 * strcmp/strncmp (a shorter s differs from the literal at its own NUL,
 * whatever follows it) and is expanded inline instead of a libc call. */
#define STR_IS(s, lit) (memcmp((s), (lit), sizeof(lit)) == 0)
#define STR_PREFIX(s, lit) (memcmp((s), (lit), sizeof(lit) - 1) == 0)

static void count_part(struct mime_parser *P)
{
	if (++P->nparts > P->lim.max_parts) {
		P->anomalies |= DLP_ANOM_PARTS;
		P->stopped = true;
	}
}

static void entity_init(struct mime_parser *P, const char *path, unsigned depth, bool in_message,
			bool digest_child)
{
	struct mime_entity *E = &P->ent;

	/* every field, strings as empty strings: the arrays are ~1.4 KiB */
	path_copy(E->path, path);
	E->has_ctype = false;
	E->ctype_seen = false;
	E->cte_seen = false;
	E->ctype[0] = '\0';
	E->charset[0] = '\0';
	E->disposition[0] = '\0';
	E->cte[0] = '\0';
	E->bad_boundary = false;
	E->blen = 0;
	E->filename[0] = '\0';
	E->depth = depth;
	E->in_message = in_message;
	E->digest_child = digest_child;
	P->ps = PS_HEADERS;
	P->hs = HS_LINE_START;
	P->hlen = 0;
	P->hblock = 0;
	P->hline = 0;
	P->have_hdr = false;
	P->hline_flagged = false;
	count_part(P);
}

static void leaf_begin(struct mime_parser *P, const char *path)
{
	struct mime_entity *E = &P->ent;
	struct mime_part_info *I = &P->info;

	memset(I, 0, sizeof(*I));
	path_copy(I->path, path);
	I->depth = E->depth;
	I->content_type = E->ctype;
	I->charset = E->charset[0] ? E->charset : NULL;
	I->filename = E->filename[0] ? E->filename : NULL;
	I->attachment = STR_IS(E->disposition, "attachment") || E->filename[0] != '\0';
	/* one look at the first letter before any compare: this runs per part.
	 * image/ *, audio/ * and video/ * are decoded and scanned like any
	 * other non-text type: the type is the sender's word, the body may
	 * well be text. */
	const char *ct = E->ctype;
	P->is_text = ct[0] == 't' && STR_PREFIX(ct, "text/");
	I->is_text = P->is_text;
	P->html = P->is_text && STR_IS(ct + 5, "html");

	switch (E->cte[0]) {
	case 'b':
		P->cte = STR_IS(E->cte, "base64") ? CTE_BASE64 : CTE_IDENTITY;
		break;
	case 'q':
		P->cte = STR_IS(E->cte, "quoted-printable") ? CTE_QP : CTE_IDENTITY;
		break;
	case 'u':
	case 'x':
		P->cte = STR_IS(E->cte, "x-uuencode") || STR_IS(E->cte, "uuencode") ||
					 STR_IS(E->cte, "x-uue")
				 ? CTE_UU
				 : CTE_IDENTITY;
		break;
	default:
		P->cte = CTE_IDENTITY;
		break;
	}
	decode_b64_init(&P->b64);
	decode_qp_init(&P->qp);
	decode_uu_init(&P->uu, true);
	P->in_uu = false;
	P->uu_detect = P->is_text && !P->html && P->cte == CTE_IDENTITY;
	if (P->is_text) {
		charset_conv_init(&P->cs, I->charset, I->charset ? strlen(I->charset) : 0);
		if (P->html)
			html_text_init(&P->ht);
	}
	P->arch_on = !P->is_text && !P->sub && mime_archive_candidate(E->ctype, I->filename);
	mime_archive_reset(&P->arch);
	P->leaf_open = true;
	if (P->sink->part_begin && !P->sub) /* a container: no part events */
		P->sink->part_begin(P->ctx, I);
}

/* ------------------------------------------------------ archive members */

static void member_begin(void *ctx, const char *name, bool has_text)
{
	struct mime_parser *P = ctx;
	struct mime_part_info *M = &P->minfo;

	memset(M, 0, sizeof(*M));
	++P->nmember;
	int r = snprintf(M->path, sizeof(M->path), "%s/%u", P->info.path, P->nmember);
	if (r < 0 || r >= (int)sizeof(M->path))
		P->anomalies |= DLP_ANOM_DEPTH; /* path cut, still reported */
	P->nparts++;
	M->depth = P->info.depth + 1;
	snprintf(P->mname, sizeof(P->mname), "%s", name);
	M->content_type = has_text ? "text/plain" : "application/octet-stream";
	M->filename = P->mname;
	M->attachment = true;
	M->is_text = has_text;
	if (P->sink->part_begin)
		P->sink->part_begin(P->ctx, M);
}

static void member_text(void *ctx, const uint8_t *d, size_t n)
{
	struct mime_parser *P = ctx;

	if (!P->limit_hit)
		out_put(P, d, n, true);
}

static void member_end(void *ctx)
{
	struct mime_parser *P = ctx;

	out_flush(P);
	if (P->sink->part_end)
		P->sink->part_end(P->ctx, &P->minfo);
}

static const struct mime_archive_sink member_sink = {
	.member_begin = member_begin,
	.member_text = member_text,
	.member_end = member_end,
};

/* The archive part ended: its members become parts "<path>/<n>". */
static void archive_end(struct mime_parser *P)
{
	bool opened;
	unsigned budget = P->nparts < P->lim.max_parts ? P->lim.max_parts - P->nparts : 0;

	P->arch_on = false;
	P->nmember = 0;
	/* not opened: BAD_ARCHIVE is set; the "PK" check in leaf_end() makes
	 * that a corrupt zip, not some other format */
	P->anomalies |= mime_archive_expand(&P->arch, &member_sink, P, budget, &opened);
	mime_archive_reset(&P->arch);
}

/* ------------------------------------------- encoded message/rfc822 */

/* A path of the nested parser as a path of this one: below sub_base. */
static void sub_path(struct mime_parser *P, const char *path, char *out)
{
	const char *b = P->sub_base;
	int r = snprintf(out, MIME_PATH_MAX, "%s%s%s", b, b[0] && path[0] ? "." : "", path);

	if (r < 0 || r >= MIME_PATH_MAX)
		P->anomalies |= DLP_ANOM_DEPTH; /* path cut, still reported */
}

static void sub_header(void *ctx, const char *path, unsigned depth, const char *name,
		       const char *value, size_t value_len)
{
	struct mime_parser *P = ctx;
	char p[MIME_PATH_MAX];

	if (!P->sink->header)
		return;
	sub_path(P, path, p);
	P->sink->header(P->ctx, p, P->sub_depth + 1 + depth, name, value, value_len);
}

static const struct mime_part_info *sub_part(struct mime_parser *P, const struct mime_part_info *I)
{
	struct mime_part_info *S = &P->sub_info;

	*S = *I;
	sub_path(P, I->path, S->path);
	S->depth = P->sub_depth + 1 + I->depth;
	return S;
}

static void sub_part_begin(void *ctx, const struct mime_part_info *I)
{
	struct mime_parser *P = ctx;

	if (P->sink->part_begin)
		P->sink->part_begin(P->ctx, sub_part(P, I));
}

static void sub_text(void *ctx, const uint8_t *d, size_t n)
{
	struct mime_parser *P = ctx;

	/* within the budget the nested parser was given */
	P->decoded += n;
	if (P->sink->text)
		P->sink->text(P->ctx, d, n);
}

static void sub_part_end(void *ctx, const struct mime_part_info *I)
{
	struct mime_parser *P = ctx;

	if (P->sink->part_end)
		P->sink->part_end(P->ctx, sub_part(P, I));
}

static const struct mime_sink sub_sink = {
	.header = sub_header,
	.part_begin = sub_part_begin,
	.text = sub_text,
	.part_end = sub_part_end,
};

/* The message/rfc822 entity E, base64 or quoted-printable encoded (RFC
 * 2046 §5.2.1 allows neither, so flagged): a nested parser for what it
 * decodes to, with what is left of the limits. false: read it as an
 * opaque leaf instead (past the decoded limit, or no memory). */
static bool sub_begin(struct mime_parser *P)
{
	struct mime_entity *E = &P->ent;
	struct mime_limits l = P->lim;

	if (P->limit_hit || P->decoded >= P->lim.max_decoded_bytes)
		return false;
	l.max_depth = P->lim.max_depth - (E->depth + 1); /* > 0: checked */
	l.max_parts = P->lim.max_parts - P->nparts;	 /* > 0: not stopped */
	l.max_decoded_bytes = P->lim.max_decoded_bytes - P->decoded;
	P->sub = mime_parser_create(&l, &sub_sink, P);
	if (!P->sub)
		return false;
	P->sub->nested = P->nested + 1;
	path_copy(P->sub_base, E->path);
	P->sub_depth = E->depth;
	P->anomalies |= DLP_ANOM_BAD_HEADER;
	return true;
}

static void sub_end(struct mime_parser *P)
{
	struct mime_parser *S = P->sub;

	mime_parser_finish(S); /* cannot fail */
	uint32_t a = mime_parser_anomalies(S);
	P->anomalies |= a;
	P->nparts += S->nparts;
	if (a & DLP_ANOM_PARTS)
		P->stopped = true;
	if (a & DLP_ANOM_SCAN_LIMIT)
		P->limit_hit = true;
	mime_parser_destroy(S);
	P->sub = NULL;
}

static void leaf_end(struct mime_parser *P)
{
	size_t w;

	if (!P->leaf_open)
		return;
	if (P->in_uu || P->cte == CTE_UU) {
		w = decode_uu_finish(&P->uu, P->t1);
		out_put(P, P->t1, w, false);
	} else if (P->cte == CTE_BASE64) {
		w = decode_b64_finish(&P->b64, P->t1);
		stage_decoded(P, P->t1, w);
	} else if (P->cte == CTE_QP) {
		w = decode_qp_finish(&P->qp, P->t1);
		stage_decoded(P, P->t1, w);
	}
	stage_text_finish(P);
	bool container = P->sub != NULL;
	if (container)
		sub_end(P);
	bool expand = false;
	if (P->arch_on) {
		bool zip = P->arch.len >= 4 && memcmp(P->arch.buf, "PK\3\4", 4) == 0;
		if (zip) {
			expand = true;
		} else {
			/* named or typed as a zip but not one: scanned as it
			 * is, so nothing is left unscanned and no flag */
			out_put(P, P->arch.buf, P->arch.len, false);
			P->arch_on = false;
		}
	}
	out_flush(P);
	P->anomalies |= P->b64.anomalies | P->qp.anomalies | P->uu.anomalies;
	if (P->is_text) {
		P->anomalies |= P->cs.anomalies;
		charset_conv_fini(&P->cs);
	}
	P->leaf_open = false;
	if (P->sink->part_end && !container)
		P->sink->part_end(P->ctx, &P->info);
	if (expand && !P->limit_hit)
		archive_end(P);
	P->arch_on = false;
}

static void body_start(struct mime_parser *P, bool leaf)
{
	P->ps = PS_BODY;
	P->leaf = leaf;
	P->bs = BS_LINE_START;
	P->neol = 0;
	P->cr = false;
	P->col = 0;
	P->col_flagged = false;
}

/* The header block of the current entity is complete. */
static void entity_body(struct mime_parser *P)
{
	struct mime_entity *E = &P->ent;
	char leafpath[MIME_PATH_MAX];

	if (!E->has_ctype || !strchr(E->ctype, '/')) {
		if (E->digest_child)
			memcpy(E->ctype, "message/rfc822", sizeof("message/rfc822"));
		else
			memcpy(E->ctype, "text/plain", sizeof("text/plain"));
	}

	if (E->ctype[0] == 'm' && STR_PREFIX(E->ctype, "multipart/")) {
		if (E->blen == 0 || E->bad_boundary) {
			P->anomalies |= DLP_ANOM_BAD_BOUNDARY;
			/* read as one opaque part so its bytes are still scanned */
		} else if (E->depth + 1 > P->lim.max_depth || P->nframes >= P->cap_frames) {
			P->anomalies |= DLP_ANOM_DEPTH;
			body_start(P, false);
			return;
		} else {
			struct mime_frame *F = &P->frames[P->nframes++];
			F->kind = FR_MULTIPART;
			F->digest = STR_IS(E->ctype, "multipart/digest");
			F->closed = false;
			memcpy(F->path, E->path, sizeof(F->path));
			F->depth = E->depth;
			F->nchild = 0;
			F->blen = E->blen;
			memcpy(F->boundary, E->boundary, E->blen);
			P->nmultipart++;
			body_start(P, false); /* preamble */
			return;
		}
	} else if (E->ctype[0] == 'm' &&
		   (STR_IS(E->ctype, "message/rfc822") || STR_IS(E->ctype, "message/global")) &&
		   !STR_IS(E->cte, "base64") && !STR_IS(E->cte, "quoted-printable")) {
		if (E->depth + 1 > P->lim.max_depth || P->nframes >= P->cap_frames) {
			P->anomalies |= DLP_ANOM_DEPTH;
			body_start(P, false);
			return;
		}
		struct mime_frame *F = &P->frames[P->nframes++];
		F->kind = FR_MESSAGE;
		F->closed = false;
		memcpy(F->path, E->path, sizeof(F->path));
		F->depth = E->depth;
		F->nchild = 0;
		F->blen = 0;
		char path[MIME_PATH_MAX];
		memcpy(path, E->path, sizeof(path));
		entity_init(P, path, F->depth + 1, true, false);
		return;
	} else if (E->ctype[0] == 'm' &&
		   (STR_IS(E->ctype, "message/rfc822") || STR_IS(E->ctype, "message/global"))) {
		/* base64 or quoted-printable: decoded, then parsed as a message */
		if (E->depth + 1 >= P->lim.max_depth || P->nested >= MIME_NESTED_MAX) {
			P->anomalies |= DLP_ANOM_DEPTH;
			body_start(P, false);
			return;
		}
		if (P->nparts >= P->lim.max_parts) { /* the nested message is one more */
			P->anomalies |= DLP_ANOM_PARTS;
			P->stopped = true;
			body_start(P, false);
			return;
		}
		if (sub_begin(P)) {
			body_start(P, true);
			leaf_begin(P, E->path);
			return;
		}
	}
	if (E->in_message) {
		if (!path_join(leafpath, E->path, 1)) {
			P->anomalies |= DLP_ANOM_DEPTH;
			body_start(P, false);
			return;
		}
	} else {
		memcpy(leafpath, E->path, sizeof(leafpath));
	}
	body_start(P, true);
	leaf_begin(P, leafpath);
}

/* A boundary line of frame fi. */
static void on_boundary(struct mime_parser *P, unsigned fi, bool closing)
{
	P->neol = 0; /* the line break before it belongs to the boundary */
	P->cr = false;
	leaf_end(P);
	for (unsigned i = P->nframes; i-- > fi + 1;) {
		if (P->frames[i].kind == FR_MULTIPART) {
			if (!P->frames[i].closed)
				P->anomalies |= DLP_ANOM_BAD_BOUNDARY; /* not closed */
			P->nmultipart--;
		}
	}
	P->nframes = fi + 1;
	struct mime_frame *F = &P->frames[fi];
	/* A closed multipart stays on the stack for its epilogue: a delimiter
	 * line of it there would otherwise hide what follows from the scan,
	 * while readers differ on whether it starts another part. It does:
	 * flagged, and the multipart is open again. */
	if (closing) {
		F->closed = true;
		body_start(P, false); /* epilogue */
		return;
	}
	if (F->closed) {
		P->anomalies |= DLP_ANOM_BAD_BOUNDARY;
		F->closed = false;
	}
	char path[MIME_PATH_MAX];
	if (!path_join(path, F->path, ++F->nchild)) {
		P->anomalies |= DLP_ANOM_DEPTH;
		body_start(P, false);
		return;
	}
	entity_init(P, path, F->depth + 1, false, F->digest);
}

/* --------------------------------------------------------------- headers */

/* The header fields the parser acts on; the others only go to the sink. */
enum hdr_kind { HK_OTHER, HK_CTYPE, HK_CDISP, HK_CTE };

/* Whether name[0..n) is lit (lower case letters and '-') in any case. A
 * field name is printable ASCII (33..126), where setting bit 5 maps only
 * 'A'-'Z' to 'a'-'z' and leaves '-' alone: what else becomes a letter or '-'
 * (0x01-0x1a, 0x0d) is not in a name. */
static inline bool hdr_name_eq(const uint8_t *name, const char *lit, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((name[i] | 0x20) != (uint8_t)lit[i])
			return false;
	return true;
}

/* Which field a name is: by its length first, so that most names cost one
 * switch and no compare. */
static enum hdr_kind hdr_kind(const uint8_t *name, size_t n)
{
	switch (n) {
	case 12:
		return hdr_name_eq(name, "content-type", 12) ? HK_CTYPE : HK_OTHER;
	case 19:
		return hdr_name_eq(name, "content-disposition", 19) ? HK_CDISP : HK_OTHER;
	case 25:
		return hdr_name_eq(name, "content-transfer-encoding", 25) ? HK_CTE : HK_OTHER;
	default:
		return HK_OTHER;
	}
}

/* Content-Type: the type, and charset, boundary and name (when no
 * Content-Disposition filename came first) in one scan of the value. */
static void hdr_content_type(struct mime_parser *P, const uint8_t *v, size_t vlen)
{
	struct mime_entity *E = &P->ent;
	char tok[MIME_CTYPE_MAX];
	char b[MIME_BOUNDARY_MAX + 2];

	mime_hdr_token(v, vlen, tok, sizeof(tok));
	if (strchr(tok, '/')) {
		memcpy(E->ctype, tok, sizeof(E->ctype));
		E->has_ctype = true;
	} else {
		P->anomalies |= DLP_ANOM_BAD_HEADER;
	}
	E->charset[0] = '\0';
	struct mime_hdr_want w[3] = {
		{.attr = "charset", .out = E->charset, .outcap = sizeof(E->charset)},
		{.attr = "boundary", .out = b, .outcap = sizeof(b)},
		{.attr = "name", .out = E->filename, .outcap = sizeof(E->filename)},
	};
	mime_hdr_params(v, vlen, w, E->filename[0] ? 2 : 3, P->hscratch, &P->anomalies);
	if (w[0].len > 0) {
		for (char *c = E->charset; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c + 32);
	}
	long bl = w[1].len;
	E->bad_boundary = false;
	E->blen = 0;
	if (bl > MIME_BOUNDARY_MAX || (bl > 0 && (size_t)bl + 4 > P->lbcap))
		E->bad_boundary = true;
	else if (bl > 0) {
		E->blen = (size_t)bl;
		memcpy(E->boundary, b, E->blen);
	}
}

static void hdr_dispatch(struct mime_parser *P)
{
	struct mime_entity *E = &P->ent;
	size_t nl = P->name_len, vs = P->name_len, ve = P->hlen;

	P->have_hdr = false;
	while (nl > 0 && (P->hbuf[nl - 1] == ' ' || P->hbuf[nl - 1] == '\t'))
		nl--;
	while (vs < ve && (P->hbuf[vs] == ' ' || P->hbuf[vs] == '\t'))
		vs++;
	while (ve > vs &&
	       (P->hbuf[ve - 1] == ' ' || P->hbuf[ve - 1] == '\t' || P->hbuf[ve - 1] == '\r'))
		ve--;
	const uint8_t *v = P->hbuf + vs;
	size_t vlen = ve - vs;

	if (P->sink->header) {
		memcpy(P->hname, P->hbuf, nl);
		P->hname[nl] = '\0';
		size_t w = mime_hdr_decode_words(v, vlen, P->hout, P->hscratch, &P->anomalies);
		P->sink->header(P->ctx, E->path, E->depth, P->hname, (const char *)P->hout, w);
	}
	/* A second Content-Type or Content-Transfer-Encoding: readers differ
	 * on which one counts (most take the first, as here); flagged so that
	 * dlp.on_unscannable decides. */
	switch (hdr_kind(P->hbuf, nl)) {
	case HK_CTYPE:
		if (E->ctype_seen) {
			P->anomalies |= DLP_ANOM_AMBIGUOUS_HEADER;
			break;
		}
		E->ctype_seen = true;
		hdr_content_type(P, v, vlen);
		break;
	case HK_CDISP: {
		struct mime_hdr_want w = {
			.attr = "filename", .out = P->hfn, .outcap = sizeof(P->hfn)};
		mime_hdr_token(v, vlen, E->disposition, sizeof(E->disposition));
		/* the disposition filename wins over Content-Type name */
		mime_hdr_params(v, vlen, &w, 1, P->hscratch, &P->anomalies);
		if (w.len > 0)
			memcpy(E->filename, P->hfn, (size_t)w.len + 1);
		break;
	}
	case HK_CTE:
		if (E->cte_seen) {
			P->anomalies |= DLP_ANOM_AMBIGUOUS_HEADER;
			break;
		}
		E->cte_seen = true;
		mime_hdr_token(v, vlen, E->cte, sizeof(E->cte));
		break;
	case HK_OTHER:
		break;
	}
}

/* Append a header byte; false once the block is over its limit. */
static inline bool hdr_put(struct mime_parser *P, uint8_t c)
{
	if (P->hblock >= P->lim.max_header_bytes || P->hlen >= P->hcap) {
		P->anomalies |= DLP_ANOM_HEADER_SIZE;
		P->have_hdr = false;
		P->hlen = 0;
		return false;
	}
	P->hbuf[P->hlen++] = c;
	return true;
}

/* n more bytes of the current header line (the block size is separate). */
static inline void hdr_line_add(struct mime_parser *P, size_t n)
{
	P->hline += n;
	if (P->hline > P->lim.max_line_length && !P->hline_flagged) {
		P->anomalies |= DLP_ANOM_LINE_LENGTH;
		P->hline_flagged = true;
	}
}

static inline void hdr_line_byte(struct mime_parser *P)
{
	if (++P->hline > P->lim.max_line_length && !P->hline_flagged) {
		P->anomalies |= DLP_ANOM_LINE_LENGTH;
		P->hline_flagged = true;
	}
	P->hblock++;
}

/* The line being read as a field name is not one: the header block ends
 * and the line is body (flagged). */
static void hdr_not_header(struct mime_parser *P)
{
	P->anomalies |= DLP_ANOM_BAD_HEADER;
	memcpy(P->replay, P->hbuf, P->hlen);
	P->nreplay = P->hlen;
	P->hlen = 0;
	entity_body(P);
}

static void hdr_end_block(struct mime_parser *P)
{
	if (P->have_hdr)
		hdr_dispatch(P);
	entity_body(P);
}

/* A byte of a field name: printable ASCII but ':' (RFC 5322 ftext). */
static inline bool hdr_name_byte(uint8_t c)
{
	return c > 32 && c < 127 && c != ':';
}

/* Header bytes; returns where the block ended (or e). */
static const uint8_t *hdr_feed(struct mime_parser *P, const uint8_t *p, const uint8_t *e)
{
	for (; p < e; p++) {
		uint8_t c = *p;

		switch (P->hs) {
		case HS_LINE_START:
			P->hline = 0;
			P->hline_flagged = false;
			if (c == '\r') {
				P->hs = HS_CR;
				hdr_line_byte(P);
				break;
			}
			if (c == '\n') {
				hdr_end_block(P);
				return p + 1;
			}
			hdr_line_byte(P);
			if (c == ' ' || c == '\t') {
				if (P->have_hdr) {
					P->hs = hdr_put(P, c) ? HS_VALUE : HS_SKIP;
				} else {
					/* continuation of nothing, or of a
					 * skipped header */
					P->hs = HS_SKIP;
				}
				break;
			}
			if (P->have_hdr)
				hdr_dispatch(P);
			P->hlen = 0;
			if (P->hblock > P->lim.max_header_bytes) {
				P->anomalies |= DLP_ANOM_HEADER_SIZE;
				P->hs = HS_SKIP;
				break;
			}
			if (c == ':' || c < 33 || c > 126) {
				P->hbuf[P->hlen++] = c;
				hdr_not_header(P);
				return p + 1;
			}
			P->hbuf[P->hlen++] = c;
			P->hs = HS_NAME;
			break;
		case HS_CR:
			if (c == '\n') {
				hdr_end_block(P);
				return p + 1;
			}
			hdr_end_block(P); /* a bare CR line ends it too */
			return p;
		case HS_NAME:
		case HS_NAME_WS:
			if (P->hs == HS_NAME) {
				/* the rest of a name at once: the bytes the
				 * per-byte path below would append one by one */
				size_t room = MIME_FIELD_NAME_MAX - P->hlen;
				size_t left = P->lim.max_header_bytes > P->hblock
						      ? P->lim.max_header_bytes - P->hblock
						      : 0;
				size_t max = room < left ? room : left;
				const uint8_t *q = p;
				if ((size_t)(e - q) < max)
					max = (size_t)(e - q);
				while (q < p + max && hdr_name_byte(*q))
					q++;
				size_t n = (size_t)(q - p);
				if (n) {
					memcpy(P->hbuf + P->hlen, p, n);
					P->hlen += n;
					hdr_line_add(P, n);
					P->hblock += n;
					p = q;
					if (p == e)
						return e;
					c = *p;
				}
			}
			if (c == ':') {
				hdr_line_byte(P);
				P->name_len = P->hlen;
				P->have_hdr = true;
				P->hs = HS_VALUE;
			} else if (P->hlen >= MIME_FIELD_NAME_MAX ||
				   P->hblock >= P->lim.max_header_bytes) {
				/* a field name cannot be this long: a body
				 * line (bounded by the replay buffer) */
				hdr_not_header(P);
				return p;
			} else if (c == ' ' || c == '\t') {
				hdr_line_byte(P);
				P->hbuf[P->hlen++] = c;
				P->hs = HS_NAME_WS;
			} else if (P->hs == HS_NAME && c > 32 && c < 127) {
				hdr_line_byte(P);
				P->hbuf[P->hlen++] = c;
			} else {
				hdr_not_header(P);
				return p; /* c is body */
			}
			break;
		case HS_VALUE: {
			const uint8_t *nl = memchr(p, '\n', (size_t)(e - p));
			const uint8_t *end = nl ? nl : e;
			size_t n = (size_t)(end - p);
			size_t room = P->hcap - P->hlen;
			size_t left = P->lim.max_header_bytes > P->hblock
					      ? P->lim.max_header_bytes - P->hblock
					      : 0;
			/* line length first: whether the value overflows
			 * here or in a later chunk must not change the flags */
			hdr_line_add(P, n);
			if (n > room || n > left) {
				P->anomalies |= DLP_ANOM_HEADER_SIZE;
				P->have_hdr = false;
				P->hlen = 0;
				P->hblock += n;
				P->hs = HS_SKIP;
				p = end - 1;
				break;
			}
			memcpy(P->hbuf + P->hlen, p, n);
			P->hlen += n;
			P->hblock += n;
			if (nl) {
				if (P->hlen > P->name_len && P->hbuf[P->hlen - 1] == '\r')
					P->hlen--;
				P->hblock++;
				P->hs = HS_LINE_START;
				p = nl;
			} else {
				p = e - 1;
			}
			break;
		}
		case HS_SKIP: {
			/* skipped lines count for the line length too: the
			 * same line may be skipped or kept depending on where
			 * the input was split */
			const uint8_t *nl = memchr(p, '\n', (size_t)(e - p));
			if (!nl) {
				hdr_line_add(P, (size_t)(e - p));
				P->hblock += (size_t)(e - p);
				p = e - 1;
				break;
			}
			hdr_line_add(P, (size_t)(nl - p));
			P->hblock += (size_t)(nl - p) + 1;
			p = nl;
			P->hs = HS_SKIP_LINE_START;
			break;
		}
		case HS_SKIP_LINE_START:
			if (c != ' ' && c != '\t' && P->hblock <= P->lim.max_header_bytes) {
				/* skipped a stray continuation: next header */
				P->hs = HS_LINE_START;
				p--;
				break;
			}
			if (c == '\n') {
				entity_body(P);
				return p + 1;
			}
			if (c == '\r') {
				P->hs = HS_CR;
				P->have_hdr = false;
				break;
			}
			P->hs = HS_SKIP;
			P->hline = 0; /* a new (skipped) line */
			P->hline_flagged = false;
			hdr_line_byte(P);
			break;
		}
	}
	return p;
}

/* ------------------------------------------------------------------ body */

/* Whether a line starting with c must be held. */
static inline bool line_candidate(const struct mime_parser *P, uint8_t c)
{
	return (P->nmultipart && c == '-') || (P->leaf && P->uu_detect && c == 'b');
}

static inline bool blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Which open multipart's boundary line l[0..n) (line break and one CR
 * before it removed) is, innermost first, or -1; alive: per frame, whether
 * it may still match (NULL: all may). */
static int boundary_of(const struct mime_parser *P, const uint8_t *l, size_t n,
		       const uint8_t *alive, bool *closing)
{
	int again = -1;

	for (unsigned i = P->nframes; i-- > 0;) {
		const struct mime_frame *F = &P->frames[i];
		if (F->kind != FR_MULTIPART || (alive && !alive[i]) || n < 2 + F->blen)
			continue;
		size_t k = 2 + F->blen;
		bool cl = false;
		if (n >= k + 2 && l[k] == '-' && l[k + 1] == '-') {
			cl = true;
			k += 2;
		}
		while (k < n && blank(l[k]))
			k++;
		if (k == n && memcmp(l + 2, F->boundary, F->blen) == 0 && l[0] == '-' &&
		    l[1] == '-') {
			/* a close delimiter in a closed multipart's epilogue
			 * closes an open one around it with the same boundary
			 * if there is one */
			if (cl && F->closed) {
				if (again < 0)
					again = (int)i;
				continue;
			}
			*closing = cl;
			return (int)i;
		}
	}
	if (again >= 0)
		*closing = true;
	return again;
}

/* The held line ended (LF, or end of message): boundary or content. */
static void hold_line_end(struct mime_parser *P, bool lf)
{
	size_t n = P->lbn;
	bool crlf = n > 0 && P->lb[n - 1] == '\r', closing;

	if (crlf)
		n--;
	int fi = boundary_of(P, P->lb, n, P->alive, &closing);
	if (fi >= 0) {
		P->lbn = 0;
		on_boundary(P, (unsigned)fi, closing);
		return;
	}
	content(P, P->lb, n);
	P->lbn = 0;
	if (lf) {
		P->eol[0] = '\r';
		P->eol[1] = '\n';
		P->neol = crlf ? 2 : 1;
		if (!crlf)
			P->eol[0] = '\n';
	} else if (crlf) {
		content(P, (const uint8_t *)"\r", 1);
	}
	P->bs = BS_LINE_START;
}

/* The held bytes cannot be a boundary / begin line: they are content. */
static void hold_give_up(struct mime_parser *P)
{
	content(P, P->lb, P->lbn);
	P->col = P->lbn;
	P->lbn = 0;
	P->bs = BS_MID;
}

/* One more held byte c at index pos: still a candidate? */
static bool hold_alive(struct mime_parser *P, size_t pos, uint8_t c)
{
	bool any = false;

	for (unsigned i = 0; i < P->nframes; i++) {
		const struct mime_frame *F = &P->frames[i];
		if (F->kind != FR_MULTIPART || !P->alive[i])
			continue;
		bool ok;
		if (pos < 2)
			ok = c == '-';
		else if (pos < 2 + F->blen)
			ok = c == (uint8_t)F->boundary[pos - 2];
		else
			ok = c == '-' || blank(c) || c == '\r';
		P->alive[i] = ok;
		any |= ok;
	}
	if (P->uu_cand) {
		static const char begin[] = "begin ";
		if (pos < 6)
			P->uu_cand = c == (uint8_t)begin[pos];
		else if (c >= '0' && c <= '7' && pos < 6 + 4)
			P->uu_cand = true;
		else if (c == ' ' && pos > 6) {
			/* "begin <mode> ": a uuencoded block starts */
			P->uu_cand = false;
			content(P, NULL, 0);
			stage_text_finish(P);
			P->in_uu = true;
			decode_uu_init(&P->uu, false);
			P->lbn = 0;
			P->bs = BS_SKIP_LINE;
			return true;
		} else
			P->uu_cand = false;
		any |= P->uu_cand;
	}
	return any;
}

static inline void col_add(struct mime_parser *P, size_t n)
{
	P->col += n;
	if (P->col > P->lim.max_line_length && !P->col_flagged) {
		P->anomalies |= DLP_ANOM_LINE_LENGTH;
		P->col_flagged = true;
	}
}

/* Whether the line starting at q (a line start, e the end of the input) must
 * be held: it may be a boundary ("--") or a uuencode "begin " line, or too
 * little of it is visible to tell. Finer than line_candidate() so that text
 * lines that start with '-' or 'b' are not held one byte at a time; holding
 * such a line would give the same output. */
static inline bool cand_at(const struct mime_parser *P, const uint8_t *q, const uint8_t *e)
{
	if (q == e)
		return true;
	if (P->nmultipart && q[0] == '-')
		return q + 1 == e || q[1] == '-';
	if (P->leaf && P->uu_detect && q[0] == 'b') {
		static const char begin[] = "begin ";
		size_t n = (size_t)(e - q) < 6 ? (size_t)(e - q) : 6;
		for (size_t i = 1; i < n; i++)
			if (q[i] != (uint8_t)begin[i])
				return false;
		return true;
	}
	return false;
}

#ifdef __SSE2__
/* The byte mask of a comparison, as bits shift..shift + 15. */
static inline uint64_t sse_mask(__m128i c, int shift)
{
	return (uint64_t)(unsigned)_mm_movemask_epi8(c) << shift;
}
#endif

#ifdef MIME_AVX2
/* The first LF in [q, e) that ends the input or is followed by c1 or c2, or
 * NULL: 64 bytes a round, each LF mask ANDed with the mask of the next
 * bytes (loaded one byte on), so lines that do not start with c1 or c2
 * cost nothing. want_clean: also clears *clean if a byte before that LF
 * (or e) is NUL or >= 0x80, in the same pass. two: c1 != c2 (constant
 * where inlined, so one compare is saved when they are the same). */
__attribute__((target("avx2"), always_inline)) static inline const uint8_t *
scan_lf_avx2_body(const uint8_t *q, const uint8_t *e, uint8_t c1, uint8_t c2, bool two,
		  bool want_clean, bool *clean)
{
	const __m256i vnl = _mm256_set1_epi8('\n'), v1 = _mm256_set1_epi8((char)c1);
	const __m256i v2 = _mm256_set1_epi8((char)c2), z = _mm256_setzero_si256();

	while (e - q >= 65) {
		__m256i a0 = _mm256_loadu_si256((const __m256i *)(const void *)q);
		__m256i a1 = _mm256_loadu_si256((const __m256i *)(const void *)(q + 32));
		__m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(q + 1));
		__m256i b1 = _mm256_loadu_si256((const __m256i *)(const void *)(q + 33));
		__m256i n0 = _mm256_cmpeq_epi8(b0, v1), n1 = _mm256_cmpeq_epi8(b1, v1);
		if (two) {
			n0 = _mm256_or_si256(n0, _mm256_cmpeq_epi8(b0, v2));
			n1 = _mm256_or_si256(n1, _mm256_cmpeq_epi8(b1, v2));
		}
		__m256i m0 = _mm256_and_si256(_mm256_cmpeq_epi8(a0, vnl), n0);
		__m256i m1 = _mm256_and_si256(_mm256_cmpeq_epi8(a1, vnl), n1);
		uint64_t m = (uint64_t)(uint32_t)_mm256_movemask_epi8(m0) |
			     (uint64_t)(uint32_t)_mm256_movemask_epi8(m1) << 32;
		/* 0x01..0x7f: greater than 0 as a signed byte; the block as a
		 * whole first, the byte positions only if it is not clean */
		if (want_clean && (uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(
					  _mm256_min_epi8(a0, a1), z)) != 0xffffffffu) {
			uint64_t bad = ~(
				(uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(a0, z)) |
				(uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(a1, z))
					<< 32);
			if (m)
				bad &= (1ull << __builtin_ctzll(m)) - 1;
			if (bad) {
				*clean = false;
				want_clean = false;
			}
		}
		if (m)
			return q + __builtin_ctzll(m);
		q += 64;
	}
	for (; q < e; q++) {
		if (want_clean && (*q == 0 || *q >= 0x80)) {
			*clean = false;
			want_clean = false;
		}
		if (*q == '\n' && (q + 1 == e || q[1] == c1 || q[1] == c2))
			return q;
	}
	return NULL;
}

__attribute__((target("avx2"))) static const uint8_t *scan_lf_avx2(const uint8_t *q,
								   const uint8_t *e, uint8_t c1,
								   uint8_t c2, bool want_clean,
								   bool *clean)
{
	if (c1 == c2)
		return scan_lf_avx2_body(q, e, c1, c1, false, want_clean, clean);
	return scan_lf_avx2_body(q, e, c1, c2, true, want_clean, clean);
}
#endif

/* The first LF in [p, e) after which cand_at() holds (an LF at e - 1 always
 * qualifies), or NULL. clean (may be NULL): set to whether the bytes before
 * that LF (or e) are known to be ASCII without NUL; false means unknown. */
static const uint8_t *find_line_candidate(const struct mime_parser *P, const uint8_t *p,
					  const uint8_t *e, bool *clean)
{
	bool dash = P->nmultipart != 0, beg = P->leaf && P->uu_detect;
	const uint8_t *q = p;

	if (clean)
		*clean = false;
	if (!dash && !beg)
		return e[-1] == '\n' ? e - 1 : NULL;
#ifdef MIME_AVX2
	/* one pass for the candidates and, when asked, the ASCII check that
	 * would otherwise be a second pass over the same text */
	if ((beg || clean) && cpu_avx2()) {
		uint8_t c1 = dash ? '-' : 'b', c2 = beg ? 'b' : c1;
		bool ok = true;
		for (;;) {
			const uint8_t *nl = scan_lf_avx2(q, e, c1, c2, clean && ok, &ok);
			if (!nl || cand_at(P, nl + 1, e)) {
				if (clean)
					*clean = ok;
				return nl;
			}
			q = nl + 1;
		}
	}
#endif
	if (!beg) {
		/* boundaries only: '-' is rare in text and base64, so let
		 * memchr find it and look at the byte before */
		for (q = p + 1; q < e; q++) {
			q = memchr(q, '-', (size_t)(e - q));
			if (!q)
				break;
			if (q[-1] == '\n' && cand_at(P, q, e))
				return q - 1;
		}
		return e[-1] == '\n' ? e - 1 : NULL;
	}
#ifdef __SSE2__
	/* "begin" lines (and boundaries): 64 bytes at a time, LF positions
	 * and 'b' / '-' positions; the pairs are confirmed by cand_at() */
	const __m128i vnl = _mm_set1_epi8('\n'), vb = _mm_set1_epi8('b');
	const __m128i vd = dash ? _mm_set1_epi8('-') : vb;
	while (e - q >= 64) {
		__m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)q);
		__m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(q + 16));
		__m128i v2 = _mm_loadu_si128((const __m128i *)(const void *)(q + 32));
		__m128i v3 = _mm_loadu_si128((const __m128i *)(const void *)(q + 48));
		uint64_t mnl = sse_mask(_mm_cmpeq_epi8(v0, vnl), 0) |
			       sse_mask(_mm_cmpeq_epi8(v1, vnl), 16) |
			       sse_mask(_mm_cmpeq_epi8(v2, vnl), 32) |
			       sse_mask(_mm_cmpeq_epi8(v3, vnl), 48);
		uint64_t mc =
			sse_mask(_mm_or_si128(_mm_cmpeq_epi8(v0, vb), _mm_cmpeq_epi8(v0, vd)), 0) |
			sse_mask(_mm_or_si128(_mm_cmpeq_epi8(v1, vb), _mm_cmpeq_epi8(v1, vd)), 16) |
			sse_mask(_mm_or_si128(_mm_cmpeq_epi8(v2, vb), _mm_cmpeq_epi8(v2, vd)), 32) |
			sse_mask(_mm_or_si128(_mm_cmpeq_epi8(v3, vb), _mm_cmpeq_epi8(v3, vd)), 48);
		/* an LF in the last byte: its next byte is in the next block */
		uint64_t m = mnl & ((mc >> 1) | (1ull << 63));
		while (m) {
			const uint8_t *nl = q + __builtin_ctzll(m);
			if (cand_at(P, nl + 1, e))
				return nl;
			m &= m - 1;
		}
		q += 64;
	}
#endif
	while (q < e) {
		const uint8_t *nl = memchr(q, '\n', (size_t)(e - q));
		if (!nl)
			return NULL;
		if (cand_at(P, nl + 1, e))
			return nl;
		q = nl + 1;
	}
	return NULL;
}

/* Line-length accounting for body bytes [p, end) (LF included when end
 * does not stop at one); with_col: the column at end is needed. A span
 * that cannot hold an over-long line costs no per-line work. */
static void body_columns(struct mime_parser *P, const uint8_t *p, const uint8_t *end, bool with_col)
{
	size_t n = (size_t)(end - p);

	if (P->col + n <= P->lim.max_line_length) {
		if (!with_col)
			return;
		const uint8_t *last = memrchr(p, '\n', n);
		if (last) {
			P->col = (size_t)(end - last - 1);
			P->col_flagged = false;
		} else {
			P->col += n;
		}
		return;
	}
	for (;;) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			col_add(P, (size_t)(end - p));
			return;
		}
		col_add(P, (size_t)(nl - p));
		P->col = 0;
		P->col_flagged = false;
		p = nl + 1;
	}
}

/* Body bytes; returns where it stopped (a new header block starts there). */
static const uint8_t *body_feed(struct mime_parser *P, const uint8_t *p, const uint8_t *e)
{
	while (p < e && P->ps == PS_BODY) {
		switch (P->bs) {
		case BS_LINE_START:
			P->col = 0;
			P->col_flagged = false;
			if (*p == '-' && P->nmultipart) {
				/* a boundary line seen whole is decided at once;
				 * holding it would end the same way (a line the
				 * boundary check accepts is alive to its end, and
				 * the uuencode check is dead at '-'). Anything else
				 * is held byte by byte below. */
				size_t span = (size_t)(e - p) < P->lbcap + 1 ? (size_t)(e - p)
									     : P->lbcap + 1;
				const uint8_t *nl = memchr(p, '\n', span);
				if (nl && (size_t)(nl - p) <= P->lbcap) {
					size_t n = (size_t)(nl - p);
					bool closing;
					if (n && p[n - 1] == '\r')
						n--;
					int fi = boundary_of(P, p, n, NULL, &closing);
					if (fi >= 0) {
						P->lbn = 0;
						on_boundary(P, (unsigned)fi, closing);
						p = nl + 1;
						break;
					}
				}
			}
			if (line_candidate(P, *p)) {
				P->lbn = 0;
				memset(P->alive, 1, P->nframes);
				/* not conditioned on in_uu: whether the
				 * previous "end" line was pushed yet depends
				 * on the split */
				P->uu_cand = P->leaf && P->uu_detect;
				P->bs = BS_HOLD;
			} else {
				P->bs = BS_MID;
			}
			break;
		case BS_HOLD: {
			uint8_t c = *p++;
			if (c == '\n') {
				hold_line_end(P, true);
				break;
			}
			if (P->lbn == P->lbcap) {
				/* too long for a boundary line */
				if (P->lbcap >= P->lim.max_line_length)
					P->anomalies |= DLP_ANOM_LINE_LENGTH;
				hold_give_up(P);
				p--;
				break;
			}
			P->lb[P->lbn++] = c;
			if (!hold_alive(P, P->lbn - 1, c) && P->bs == BS_HOLD)
				hold_give_up(P);
			break;
		}
		case BS_SKIP_LINE: {
			const uint8_t *nl = memchr(p, '\n', (size_t)(e - p));
			if (!nl) {
				p = e;
				break;
			}
			p = nl + 1;
			P->bs = BS_LINE_START;
			break;
		}
		case BS_MID: {
			if (P->cr) {
				P->cr = false;
				if (*p == '\n') {
					P->eol[0] = '\r';
					P->eol[1] = '\n';
					P->neol = 2;
					p++;
					P->bs = BS_LINE_START;
					break;
				}
				content(P, (const uint8_t *)"\r", 1);
			}
			/* one search for the next line that may be a boundary
			 * or a "begin" line, not one memchr per line */
			/* text passed on as it is: the same pass proves it
			 * ASCII, so stage_transfer() need not look again */
			bool clean, want = P->leaf && P->is_text && P->cte == CTE_IDENTITY;
			const uint8_t *s = p,
				      *nl = find_line_candidate(P, p, e, want ? &clean : NULL);
			body_columns(P, p, nl ? nl : e, !nl);
			P->run_clean = want && clean;
			if (!nl) {
				size_t n = (size_t)(e - s);
				if (e[-1] == '\r') {
					P->cr = true;
					n--;
				}
				content(P, s, n);
				P->run_clean = false;
				p = e;
				break;
			}
			size_t n = (size_t)(nl - s);
			bool crlf = nl > s && nl[-1] == '\r';
			content(P, s, crlf ? n - 1 : n);
			P->run_clean = false;
			P->eol[0] = crlf ? '\r' : '\n';
			P->eol[1] = '\n';
			P->neol = crlf ? 2 : 1;
			p = nl + 1;
			P->bs = BS_LINE_START;
			break;
		}
		}
	}
	return p;
}

/* End of message inside a body. */
static void body_eof(struct mime_parser *P)
{
	if (P->bs == BS_HOLD) {
		hold_line_end(P, false);
		if (P->ps != PS_BODY)
			return;
	}
	if (P->cr) {
		P->cr = false;
		content(P, (const uint8_t *)"\r", 1);
	}
	content(P, NULL, 0);
}

/* ------------------------------------------------------------------ feed */

/* Bytes taken for a field name that were not one are fed again as the start
 * of the body (or of a nested message's header block, which may give back a
 * prefix of them once more: each round descends one entity, so this ends). */
static void run_replay(struct mime_parser *P)
{
	uint8_t buf[sizeof(P->replay)];
	size_t len = P->nreplay;

	memcpy(buf, P->replay, len);
	P->nreplay = 0;
	const uint8_t *q = buf, *qe = buf + len;
	while (q < qe && !P->stopped) {
		q = P->ps == PS_HEADERS ? hdr_feed(P, q, qe) : body_feed(P, q, qe);
		if (P->nreplay) {
			size_t rest = (size_t)(qe - q);
			memmove(buf + P->nreplay, q, rest);
			memcpy(buf, P->replay, P->nreplay);
			q = buf;
			qe = buf + P->nreplay + rest;
			P->nreplay = 0;
		}
	}
}

static void feed_bytes(struct mime_parser *P, const uint8_t *p, const uint8_t *e)
{
	while (p < e && !P->stopped) {
		if (P->ps == PS_HEADERS) {
			p = hdr_feed(P, p, e);
			if (P->nreplay)
				run_replay(P);
		} else {
			p = body_feed(P, p, e);
		}
	}
}

int mime_parser_feed(struct mime_parser *P, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (!len)
		return 0;
	feed_bytes(P, p, p + len);
	return 0;
}

int mime_parser_finish(struct mime_parser *P)
{
	/* bounded: every round either ends or starts an entity, and entities
	 * are capped by max_parts */
	while (!P->stopped) {
		if (P->ps == PS_HEADERS) {
			if (P->hs == HS_NAME || P->hs == HS_NAME_WS) {
				hdr_not_header(P);
				if (P->nreplay)
					run_replay(P);
			} else {
				hdr_end_block(P);
			}
			continue;
		}
		body_eof(P);
		if (P->ps == PS_BODY)
			break;
	}
	leaf_end(P);
	for (unsigned i = 0; i < P->nframes && !P->stopped; i++)
		if (P->frames[i].kind == FR_MULTIPART && !P->frames[i].closed)
			P->anomalies |= DLP_ANOM_BAD_BOUNDARY; /* never closed */
	P->nframes = 0;
	P->nmultipart = 0;
	out_flush(P);
	return 0;
}

uint32_t mime_parser_anomalies(const struct mime_parser *P)
{
	uint32_t a = P->anomalies;

	if (P->leaf_open) {
		a |= P->b64.anomalies | P->qp.anomalies | P->uu.anomalies;
		if (P->is_text)
			a |= P->cs.anomalies;
	}
	if (P->sub)
		a |= mime_parser_anomalies(P->sub);
	return a;
}

uint64_t mime_parser_decoded_bytes(const struct mime_parser *P)
{
	return P->decoded;
}

void mime_parser_reset(struct mime_parser *P)
{
	mime_parser_destroy(P->sub);
	P->sub = NULL;
	if (P->leaf_open && P->is_text)
		charset_conv_fini(&P->cs);
	P->leaf_open = false;
	P->anomalies = 0;
	P->decoded = 0;
	P->nparts = 0;
	P->stopped = false;
	P->limit_hit = false;
	P->nframes = 0;
	P->nmultipart = 0;
	P->nreplay = 0;
	P->outn = 0;
	P->lbn = 0;
	P->arch_on = false;
	mime_archive_reset(&P->arch);
	if (P->arch.cap > MIME_ARCHIVE_KEEP)
		mime_archive_free(&P->arch); /* a big archive: give it back */
	entity_init(P, "", 0, true, false);
}

struct mime_parser *mime_parser_create(const struct mime_limits *limits,
				       const struct mime_sink *sink, void *ctx)
{
	struct mime_parser *P;

	if (!sink) {
		errno = EINVAL;
		return NULL;
	}
	P = calloc(1, sizeof(*P));
	if (!P)
		return NULL;
	if (limits)
		P->lim = *limits;
	if (!P->lim.max_depth)
		P->lim.max_depth = MIME_DEF_DEPTH;
	if (!P->lim.max_parts)
		P->lim.max_parts = MIME_DEF_PARTS;
	if (!P->lim.max_header_bytes)
		P->lim.max_header_bytes = MIME_DEF_HEADER;
	if (!P->lim.max_line_length)
		P->lim.max_line_length = MIME_DEF_LINE;
	if (!P->lim.max_decoded_bytes)
		P->lim.max_decoded_bytes = MIME_DEF_DECODED;
	P->sink = sink;
	P->ctx = ctx;
	P->cap_frames = P->lim.max_depth + 1;
	P->hcap = P->lim.max_header_bytes;
	P->lbcap = P->lim.max_line_length < MIME_HOLD_MAX ? P->lim.max_line_length : MIME_HOLD_MAX;
	P->frames = calloc(P->cap_frames, sizeof(*P->frames));
	P->alive = calloc(P->cap_frames, 1);
	P->hbuf = malloc(P->hcap + 1);
	P->hout = malloc(MIME_HDR_OUT_MAX(P->hcap));
	P->hscratch = malloc(MIME_HDR_SCRATCH(P->hcap));
	P->lb = malloc(P->lbcap + 1);
	P->t1 = malloc(T1_SIZE + 16);
	P->t2 = malloc(T2_SIZE);
	P->out = malloc(MIME_OUT_MAX);
	if (!P->frames || !P->alive || !P->hbuf || !P->hout || !P->hscratch || !P->lb || !P->t1 ||
	    !P->t2 || !P->out) {
		mime_parser_destroy(P);
		errno = ENOMEM;
		return NULL;
	}
	mime_parser_reset(P);
	return P;
}

void mime_parser_destroy(struct mime_parser *P)
{
	if (!P)
		return;
	mime_parser_destroy(P->sub);
	if (P->leaf_open && P->is_text)
		charset_conv_fini(&P->cs);
	free(P->frames);
	free(P->alive);
	free(P->hbuf);
	free(P->hout);
	free(P->hscratch);
	free(P->lb);
	free(P->t1);
	free(P->t2);
	free(P->out);
	mime_archive_free(&P->arch);
	free(P);
}
