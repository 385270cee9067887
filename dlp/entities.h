/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * entities.h — internal to dlp/: how entities become Hyperscan patterns and
 * how a raw Hyperscan match is confirmed into an entity match.
 *
 * Dictionary terms compile to caseless literals without \b (a word with
 * 2-byte letters that have a case — ü, Ω, Ж — as three literals: lower,
 * UPPER and Capitalised, so "MÜLLER" finds "Müller"): a single word
 * as itself, a phrase as its last word. Confirmation against the look-back
 * window checks the word boundaries (one byte before the start, one after
 * the end) and, for a phrase, walks it backwards from the end allowing any
 * run of whitespace (\s or U+00A0 NBSP) between its words.
 * Identifiers compile to cheap candidate patterns whose end offsets are
 * re-parsed in the window (the value is bounded: <= 80 bytes) and validated.
 * Custom regexes use HS_FLAG_SOM_LEFTMOST to get the value.
 */
#ifndef SMTPDLP_DLP_ENTITIES_H
#define SMTPDLP_DLP_ENTITIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "dlp/validators.h"

/* Longest dictionary term in bytes (after whitespace normalisation). */
#define DLP_TERM_MAX 255
/* Bytes kept before the current scan position of a stream. */
#define DLP_WINDOW 1024
/* Longest value kept for a regex match (longer values are truncated). */
#define DLP_HIT_VALUE_MAX 128

enum dlp_pat_kind {
	DLP_PK_WORD = 0, /* dictionary term, fixed length */
	DLP_PK_PHRASE,	 /* dictionary phrase, matched by its last word */
	DLP_PK_CARD,
	DLP_PK_SSN, /* fixed length 11 or 9 */
	DLP_PK_IBAN,
	DLP_PK_REGEX, /* SOM-leftmost custom regex */
};

struct dlp_term {
	char *text; /* normalised: single spaces between words */
	uint32_t len;
	uint32_t last_len; /* length of the last word (the literal searched) */
	int32_t weight;
	uint32_t entity;
	bool case_sensitive;
	bool word_start; /* first byte is a word byte: check boundary */
	bool word_end;
};

/* The values are also byte-class bits in engine.c (each flag selects the
 * class that rejects a hit early): keep them distinct single bits below
 * 0x20 (DLP_PF_PHRASE_PREV2 is not a class). */
#define DLP_PF_WORD_END 0x1u	/* the term ends with a word byte */
#define DLP_PF_WORD_START 0x2u	/* DLP_PK_WORD starting with a word byte */
#define DLP_PF_PHRASE_SEP 0x4u	/* DLP_PK_PHRASE: \s or a Unicode space before wlen */
#define DLP_PF_PHRASE_PREV 0x8u /* ... and `prev` before that whitespace */
#define DLP_PF_CASELESS 0x10u	/* `prev` is lower-case, compare folded */
#define DLP_PF_PHRASE_PREV2 0x20u /* ... and `prev2` before `prev` */

/*
 * One per Hyperscan id, 16 bytes: the match callback rejects most raw hits
 * (a dictionary word inside a longer word, a phrase's last word after the
 * wrong word) from these fields and the bytes around the match in the
 * chunk, without loading the term; what passes is confirmed by
 * dlp_entity_confirm(), which decides on its own (the early checks are a
 * subset of its checks).
 */
struct dlp_pat {
	uint32_t entity;
	uint32_t term; /* DLP_PK_WORD/PHRASE: index in terms;
				DLP_PK_REGEX: index among the regex patterns */
	uint8_t kind;
	uint8_t len;	   /* fixed length (WORD, SSN) */
	uint8_t lookahead; /* bytes after the end needed to confirm */
	uint8_t flags;	   /* DLP_PF_* */
	uint8_t wlen;	   /* WORD/PHRASE: bytes of the searched literal */
	uint8_t prev;	   /* PHRASE: ASCII byte before the last space */
	uint8_t prev2;	   /* PHRASE: ASCII byte before prev */
};

struct dlp_entity_patterns {
	char **exprs;	 /* n_pats Hyperscan expressions (owned) */
	unsigned *flags; /* DLP_PAT_* */
	unsigned *ids;	 /* = index */
	struct dlp_pat *pats;
	size_t n_pats;
	struct dlp_term *terms;
	size_t n_terms;
	size_t n_regex; /* DLP_PK_REGEX patterns */
};

/* Build the patterns of every entity. 0, or -EINVAL with
 * "file:line: dlp.entities.NAME: what" in err, or -ENOMEM. */
int dlp_entities_build(const struct cfg_dlp *dlp, const char *cfg_path,
		       struct dlp_entity_patterns *out, char *err, size_t errlen);
void dlp_entities_free(struct dlp_entity_patterns *p);

/* The bytes a confirmation may look at, in two segments: the chunk being
 * scanned, cur[0..cur_len) at stream offset cur_base, and before it the
 * tail of earlier chunks, tail[0..tail_len) at cur_base - tail_len (at
 * least DLP_WINDOW bytes unless the stream is younger). `eof` means nothing
 * follows cur. */
struct dlp_window {
	const uint8_t *cur;
	uint64_t cur_base;
	size_t cur_len;
	const uint8_t *tail;
	size_t tail_len;
	bool eof;
};

/* Byte at stream offset o, or -1 when it is outside the window. */
static inline int dlp_window_byte(const struct dlp_window *w, uint64_t o)
{
	if (o >= w->cur_base)
		return o - w->cur_base < w->cur_len ? w->cur[o - w->cur_base] : -1;
	uint64_t back = w->cur_base - o; /* 1.. */
	return back <= w->tail_len ? w->tail[w->tail_len - back] : -1;
}

/* Word byte for term boundaries: ASCII alnum, '_', and non-ASCII except
 * the lead bytes 0xC2 of U+0080..U+00BF (NBSP, Latin-1 punctuation) and
 * 0xE2 of U+2000..U+2FFF (General Punctuation: typographic quotes and
 * apostrophe, dashes, ellipsis, bullets, zero-width and typographic spaces;
 * then symbols, arrows, dingbats; the few letters in that range
 * (Glagolitic, Coptic) are taken as punctuation too). Without 0xE2,
 * "Customer's" typed with U+2019 (Outlook and Word do) or a term in
 * typographic quotes was not a match. */
static inline bool dlp_word_byte_after(int b)
{
	return b >= 0 &&
	       ((b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') ||
		b == '_' || (b >= 0x80 && b != 0xC2 && b != 0xE2));
}

/* Lowest stream offset in the window. */
static inline uint64_t dlp_window_lo(const struct dlp_window *w)
{
	return w->cur_base - w->tail_len;
}

/* Stream offset just past the window. */
static inline uint64_t dlp_window_end(const struct dlp_window *w)
{
	return w->cur_base + w->cur_len;
}

/* A confirmed match. */
struct dlp_hit {
	uint64_t start;			   /* stream offset of the first byte */
	char value[DLP_HIT_VALUE_MAX + 1]; /* normalised value (identifiers, regex) */
	size_t value_len;
	bool has_value;
};

/*
 * Confirm a Hyperscan match of pattern p ending at `to` (exclusive); `from`
 * is the SOM for DLP_PK_REGEX. The window must hold p->lookahead bytes after
 * `to` unless eof. Returns true and fills *hit when the match stands.
 */
bool dlp_entity_confirm(const struct dlp_pat *p, const struct dlp_term *terms,
			const struct dlp_window *w, uint64_t from, uint64_t to,
			struct dlp_hit *hit);

#endif /* SMTPDLP_DLP_ENTITIES_H */
