/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg_csv.c — dictionary CSV parser (format in cfg_csv.h).
 *
 * One linear pass over the bytes, line by line; terms are deduplicated with
 * an open-addressing hash table of indexes into the term array, so 100,000
 * terms load in a few milliseconds.
 */
#include "config/cfg_csv.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_util.h"

struct csv_state {
	const char *name;
	bool case_sensitive;
	char *err;
	size_t errlen;
	struct cfg_term *terms;
	size_t n, cap;
	uint32_t *slots; /* 0 = empty, else index + 1 into terms */
	uint64_t *hashes;
	size_t n_slots; /* power of two */
	char *scratch;	/* unquoted copy of the field being parsed */
};

static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline unsigned char fold(unsigned char c, bool cs)
{
	return (!cs && c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static uint64_t term_hash(const char *s, size_t len, bool cs)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= fold((unsigned char)s[i], cs);
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

static bool term_eq(const char *a, const char *b, size_t blen, bool cs)
{
	size_t i;

	for (i = 0; i < blen; i++) {
		if (a[i] == '\0' || fold((unsigned char)a[i], cs) != fold((unsigned char)b[i], cs))
			return false;
	}
	return a[i] == '\0';
}

static int grow_slots(struct csv_state *st)
{
	size_t n = st->n_slots ? st->n_slots * 2 : 1024;
	uint32_t *slots = calloc(n, sizeof(*slots));
	uint64_t *hashes = calloc(n, sizeof(*hashes));

	if (slots == NULL || hashes == NULL) {
		free(slots);
		free(hashes);
		return -ENOMEM;
	}
	for (size_t i = 0; i < st->n_slots; i++) {
		size_t j;

		if (st->slots[i] == 0)
			continue;
		j = st->hashes[i] & (n - 1);
		while (slots[j] != 0)
			j = (j + 1) & (n - 1);
		slots[j] = st->slots[i];
		hashes[j] = st->hashes[i];
	}
	free(st->slots);
	free(st->hashes);
	st->slots = slots;
	st->hashes = hashes;
	st->n_slots = n;
	return 0;
}

static int csv_fail(struct csv_state *st, int line, const char *field, const char *msg)
{
	return cfg_errf(st->err, st->errlen, "%s:%d: %s: %s", st->name, line, field, msg);
}

/* Add one validated term; merges duplicates (see cfg_csv.h). */
static int add_term(struct csv_state *st, const char *t, size_t len, int weight, int line)
{
	uint64_t h = term_hash(t, len, st->case_sensitive);
	size_t j;
	char *copy;

	if ((st->n + 1) * 2 > st->n_slots && grow_slots(st) < 0)
		return -ENOMEM;
	for (j = h & (st->n_slots - 1); st->slots[j] != 0; j = (j + 1) & (st->n_slots - 1)) {
		struct cfg_term *old = &st->terms[st->slots[j] - 1];

		if (st->hashes[j] != h || !term_eq(old->term, t, len, st->case_sensitive))
			continue;
		if (old->weight != weight) {
			char msg[96];

			snprintf(msg, sizeof(msg), "duplicate of line %d with a different weight",
				 old->line);
			return csv_fail(st, line, "term", msg);
		}
		return 0;
	}
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		struct cfg_term *terms = realloc(st->terms, cap * sizeof(*terms));

		if (terms == NULL)
			return -ENOMEM;
		st->terms = terms;
		st->cap = cap;
	}
	copy = malloc(len + 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, t, len);
	copy[len] = '\0';
	st->terms[st->n] = (struct cfg_term){.term = copy, .weight = weight, .line = line};
	st->n++;
	st->slots[j] = (uint32_t)st->n;
	st->hashes[j] = h;
	return 0;
}

/*
 * Parse one field starting at *pp within [*pp, end). Writes the unquoted
 * value to out, which has room for end - *pp bytes (a field never grows when
 * unquoted). Returns 0 and advances *pp past the separating comma (or to
 * end), setting *more when a comma followed; or -EINVAL.
 */
static int parse_field(struct csv_state *st, const char **pp, const char *end, char *out,
		       size_t *outlen, bool *quoted, bool *more, int line, const char *what)
{
	const char *p = *pp;
	size_t n = 0;

	while (p < end && is_blank(*p))
		p++;
	*quoted = false;
	*more = false;
	if (p < end && *p == '"') {
		*quoted = true;
		p++;
		for (;;) {
			if (p == end)
				return csv_fail(st, line, what, "unterminated quoted field");
			if (*p == '"') {
				if (p + 1 < end && p[1] == '"') {
					out[n++] = '"';
					p += 2;
					continue;
				}
				p++;
				break;
			}
			out[n++] = *p++;
		}
		while (p < end && is_blank(*p))
			p++;
		if (p < end && *p != ',')
			return csv_fail(st, line, what, "text after the closing quote");
	} else {
		const char *start = p, *last;

		while (p < end && *p != ',') {
			if (*p == '"')
				return csv_fail(st, line, what,
						"stray quote in an unquoted field (quote the whole "
						"field and double the quote)");
			p++;
		}
		last = p;
		while (last > start && is_blank(last[-1]))
			last--;
		n = (size_t)(last - start);
		memcpy(out, start, n);
	}
	if (p < end && *p == ',') {
		*more = true;
		p++;
	}
	*pp = p;
	*outlen = n;
	return 0;
}

static bool ascii_ieq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (fold((unsigned char)a[i], false) != (unsigned char)b[i])
			return false;
	return true;
}

static int parse_weight(const char *s, size_t len, int *out)
{
	size_t i = 0;
	bool neg = false;
	int v = 0;

	if (len > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		return -EINVAL;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
		if (v > 100)
			return -EINVAL;
	}
	*out = neg ? -v : v;
	return 0;
}

static int check_term(struct csv_state *st, const char *t, size_t len, int line)
{
	size_t i;

	for (i = 0; i < len && (is_blank(t[i])); i++)
		;
	if (i == len)
		return csv_fail(st, line, "term", "empty term");
	if (len > CFG_CSV_MAX_TERM)
		return csv_fail(st, line, "term", "longer than 1024 bytes");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return csv_fail(st, line, "term", "contains a control character");
	}
	if (!cfg_utf8_valid(t, len))
		return csv_fail(st, line, "term", "not valid UTF-8");
	return 0;
}

static int parse_line(struct csv_state *st, const char *p, const char *end, int line,
		      bool *first_record)
{
	size_t tlen, wlen = 0;
	bool quoted, wquoted = false, has_weight, more;
	char *term = st->scratch, *wbuf;
	int weight = 1, rc;
	const char *q = p;

	while (q < end && is_blank(*q))
		q++;
	if (q == end || *q == '#')
		return 0;
	if (memchr(p, '\0', (size_t)(end - p)) != NULL)
		return csv_fail(st, line, "term", "contains a NUL byte");

	rc = parse_field(st, &p, end, term, &tlen, &quoted, &has_weight, line, "term");
	if (rc < 0)
		return rc;
	wbuf = term + tlen;
	if (has_weight) {
		rc = parse_field(st, &p, end, wbuf, &wlen, &wquoted, &more, line, "weight");
		if (rc < 0)
			return rc;
		if (more)
			return csv_fail(st, line, "term",
					"too many fields (expected term or term,weight)");
	}
	if (*first_record) {
		/* Header row: "term" alone or "term,weight". */
		*first_record = false;
		if (ascii_ieq(term, tlen, "term") &&
		    (!has_weight || ascii_ieq(wbuf, wlen, "weight")))
			return 0;
	}
	rc = check_term(st, term, tlen, line);
	if (rc < 0)
		return rc;
	if (has_weight && parse_weight(wbuf, wlen, &weight) < 0)
		return csv_fail(st, line, "weight", "must be an integer from -100 to 100");
	return add_term(st, term, tlen, weight, line);
}

int cfg_csv_parse(const char *data, size_t len, const char *name, bool case_sensitive,
		  struct cfg_term **terms, size_t *n_terms, char *err, size_t errlen)
{
	struct csv_state st = {
		.name = name ? name : "<csv>",
		.case_sensitive = case_sensitive,
		.err = err,
		.errlen = errlen,
	};
	const char *p = data, *end = data + len;
	bool first_record = true;
	int line = 0, rc = 0;

	*terms = NULL;
	*n_terms = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	/* Longest line bounds both the term and the weight copies. */
	st.scratch = malloc(len + 1);
	if (st.scratch == NULL)
		return -ENOMEM;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *lend = nl ? nl : end;

		line++;
		if (line == INT32_MAX) {
			rc = csv_fail(&st, line, "term", "too many lines");
			break;
		}
		if (lend > p && lend[-1] == '\r')
			lend--;
		rc = parse_line(&st, p, lend, line, &first_record);
		if (rc < 0)
			break;
		p = nl ? nl + 1 : end;
	}
	free(st.scratch);
	free(st.slots);
	free(st.hashes);
	if (rc < 0) {
		if (rc == -ENOMEM)
			cfg_errf(err, errlen, "%s: out of memory", st.name);
		cfg_terms_free(st.terms, st.n);
		return rc;
	}
	*terms = st.terms;
	*n_terms = st.n;
	return 0;
}

void cfg_terms_free(struct cfg_term *terms, size_t n_terms)
{
	if (terms == NULL)
		return;
	for (size_t i = 0; i < n_terms; i++)
		free(terms[i].term);
	free(terms);
}
