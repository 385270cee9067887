/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtpdlp-bench-dlp — DLP stage benchmark (DESIGN §9).
 *
 * Generates a realistic corpus (multipart/mixed with a multipart/alternative
 * quoted-printable text + HTML body and a base64 text attachment; English-
 * like words with some dictionary hits) and, for dictionaries of 4, 1,000,
 * 10,000 and 100,000 word-like terms (10% two-word phrases), prints in one
 * run:
 *   - policy-set build time (Hyperscan compile) and database size;
 *   - the full path (dlp_txn_feed in 16 KiB chunks → MIME → decoders → HTML
 *     → streaming Hyperscan → counters → rules → verdict): MB/s of raw
 *     message and of decoded text;
 *   - raw Hyperscan: the same decoded bytes (captured per part beforehand),
 *     one stream per part, one scan call per part, a counting callback,
 *     with the same compiled database;
 *   - the ratio full / raw (decoded bytes per second);
 * plus whole-buffer base64 and quoted-printable decode MB/s (dlp/decode.h).
 *
 * A second corpus B carries the same kind of text as one 8bit text/plain
 * part, so the engine's own overhead shows without MIME decoding costs.
 * Throughput is measured in thread CPU time (the machine is shared).
 *
 *   smtpdlp-bench-dlp [-m MESSAGES] [-r REPEAT] [-s SIZES] [-p A|B]
 *   (defaults: 150 messages of each corpus, best of 3, sizes 4,1000,10000,100000;
 *   -p runs only the full path of one corpus, REPEAT times, for profiling)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/cfg.h"
#include "dlp/decode.h"
#include "dlp/dlp.h"
#include "dlp/engine_priv.h"
#include "dlp/matcher.h"
#include "dlp/mime.h"

/* ------------------------------------------------------------ utils */

/* Thread CPU time: the machine is shared, so wall time would measure the
 * neighbours; CPU time of this (single) thread does not. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

struct buf {
	char *p;
	size_t n, cap;
};

static void bput(struct buf *b, const void *d, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		while (nc < b->n + n + 1)
			nc *= 2;
		char *np = realloc(b->p, nc);
		if (!np) {
			perror("realloc");
			exit(2);
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void bputs(struct buf *b, const char *s)
{
	bput(b, s, strlen(s));
}

/* ------------------------------------------------------------ terms */

static const char *syl[40] = {
	"ka",	"lo",  "min", "tar", "ve",  "sol",  "ri",  "dan", "mo",	 "pel",
	"quin", "bra", "to",  "nes", "vi",  "gor",  "al",  "ber", "cu",	 "dro",
	"fen",	"gal", "hu",  "is",  "jor", "kel",  "lum", "mar", "nor", "ost",
	"pra",	"rus", "sen", "tul", "ur",  "vast", "wel", "xan", "yor", "zem",
};

/* Term i: a word of 4 syllables from a bijective scramble of i (unique). */
static void gen_word(unsigned i, char *out)
{
	unsigned v = (unsigned)(((uint64_t)i * 1103515245u + 12345u) % 2560000u);
	out[0] = '\0';
	for (int k = 0; k < 4; k++) {
		strcat(out, syl[v % 40]);
		v /= 40;
	}
}

static const char *seed_terms[4] = {"Customer", "Account Manager", "Sales Engineer",
				    "Purchase date"};

/* Build n terms: the 4 seed terms, then generated words (every 10th a
 * two-word phrase). Returned strings are malloc'd. */
static struct cfg_term *make_terms(size_t n)
{
	struct cfg_term *t = calloc(n, sizeof(*t));
	char w1[64], w2[64], ph[160];

	for (size_t i = 0; i < n; i++) {
		t[i].weight = 1;
		t[i].line = (int)i + 1;
		if (i < 4) {
			t[i].term = strdup(seed_terms[i]);
			continue;
		}
		gen_word((unsigned)i, w1);
		if (i % 10 == 0) {
			gen_word((unsigned)(i + 5000000u), w2);
			snprintf(ph, sizeof(ph), "%s %s", w1, w2);
			t[i].term = strdup(ph);
		} else {
			t[i].term = strdup(w1);
		}
	}
	return t;
}

/* ------------------------------------------------------------ corpus */

static const char *vocab[] = {
	"the",	    "of",	"and",	     "to",	 "in",	     "a",	 "is",
	"that",	    "for",	"it",	     "as",	 "was",	     "with",	 "be",
	"by",	    "on",	"not",	     "he",	 "this",     "are",	 "or",
	"his",	    "from",	"at",	     "which",	 "but",	     "have",	 "an",
	"had",	    "they",	"you",	     "were",	 "their",    "one",	 "all",
	"we",	    "can",	"her",	     "has",	 "there",    "been",	 "if",
	"more",	    "when",	"will",	     "would",	 "who",	     "so",	 "no",
	"report",   "quarter",	"revenue",   "meeting",	 "schedule", "project",	 "team",
	"review",   "update",	"customers", "order",	 "shipment", "invoice",	 "budget",
	"forecast", "pipeline", "renewal",   "contract", "support",  "ticket",	 "release",
	"roadmap",  "feature",	"engineer",  "manager",	 "account",  "purchase", "dates",
	"sales",    "price",	"discount",  "Thanks,",	 "regards.", "please",	 "attached",
	"find",	    "below",	"details:",
};
#define NVOCAB (sizeof(vocab) / sizeof(vocab[0]))

/* ~len bytes of text lines (<= 72 chars), a dictionary term about every
 * 150 words (drawn from the 4 seed terms and generated terms < 1000). */
static void gen_text(struct buf *b, size_t len, const struct cfg_term *terms)
{
	size_t start = b->n, col = 0;

	while (b->n - start < len) {
		const char *w;
		if (rnd() % 150 == 0)
			w = terms[rnd() % 1000].term;
		else
			w = vocab[rnd() % NVOCAB];
		size_t wl = strlen(w);
		if (col + wl + 1 > 72) {
			bputs(b, "\r\n");
			col = 0;
		} else if (col) {
			bputs(b, " ");
			col++;
		}
		bput(b, w, wl);
		col += wl;
	}
	bputs(b, "\r\n");
}

static void qp_encode(struct buf *out, const char *s, size_t n)
{
	size_t col = 0;
	char tmp[4];

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' && i + 1 < n && s[i + 1] == '\n') {
			bputs(out, "\r\n");
			i++;
			col = 0;
			continue;
		}
		bool lit = (c >= 33 && c <= 126 && c != '=') || c == ' ';
		size_t need = lit ? 1 : 3;
		if (col + need > 75) {
			bputs(out, "=\r\n");
			col = 0;
		}
		if (lit) {
			bput(out, &c, 1);
		} else {
			snprintf(tmp, sizeof(tmp), "=%02X", c);
			bput(out, tmp, 3);
		}
		col += need;
	}
}

static void b64_encode(struct buf *out, const char *s, size_t n)
{
	static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t col = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)(unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		char q[4] = {tb[(v >> 18) & 63], tb[(v >> 12) & 63],
			     i + 1 < n ? tb[(v >> 6) & 63] : '=', i + 2 < n ? tb[v & 63] : '='};
		bput(out, q, 4);
		col += 4;
		if (col >= 76) {
			bputs(out, "\r\n");
			col = 0;
		}
	}
	bputs(out, "\r\n");
}

static void gen_message(struct buf *m, unsigned idx, const struct cfg_term *terms)
{
	struct buf body = {0}, att = {0};
	char h[512];

	snprintf(h, sizeof(h),
		 "From: Alice Example <alice@corp.example>\r\n"
		 "To: Bob <bob@partner.example>\r\n"
		 "Subject: Quarterly report %u\r\n"
		 "MIME-Version: 1.0\r\n"
		 "Content-Type: multipart/mixed; boundary=\"mix-%u\"\r\n\r\n"
		 "--mix-%u\r\nContent-Type: multipart/alternative; boundary=\"alt-%u\"\r\n\r\n"
		 "--alt-%u\r\nContent-Type: text/plain; charset=utf-8\r\n"
		 "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		 idx, idx, idx, idx, idx);
	bputs(m, h);
	gen_text(&body, 12000, terms);
	qp_encode(m, body.p, body.n);
	snprintf(h, sizeof(h),
		 "--alt-%u\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
		 "<html><body><p>",
		 idx);
	bputs(m, h);
	/* HTML: the same text, a tag every ~10 lines */
	for (size_t i = 0, line = 0; i < body.n; i++) {
		bput(m, &body.p[i], 1);
		if (body.p[i] == '\n' && ++line % 10 == 0)
			bputs(m, "</p><p><b>note</b> ");
	}
	snprintf(h, sizeof(h),
		 "</p></body></html>\r\n--alt-%u--\r\n"
		 "--mix-%u\r\nContent-Type: text/csv; name=\"data-%u.csv\"\r\n"
		 "Content-Disposition: attachment; filename=\"data-%u.csv\"\r\n"
		 "Content-Transfer-Encoding: base64\r\n\r\n",
		 idx, idx, idx, idx);
	bputs(m, h);
	gen_text(&att, 24000, terms);
	b64_encode(m, att.p, att.n);
	snprintf(h, sizeof(h), "--mix-%u--\r\n", idx);
	bputs(m, h);
	free(body.p);
	free(att.p);
}

/* The same kind of text as one 8bit text/plain part: MIME work is line
 * splitting only, so this shows the engine's own cost. */
static void gen_plain(struct buf *m, unsigned idx, const struct cfg_term *terms)
{
	char h[256];
	snprintf(h, sizeof(h),
		 "From: Alice Example <alice@corp.example>\r\n"
		 "To: Bob <bob@partner.example>\r\n"
		 "Subject: Quarterly report %u\r\n"
		 "MIME-Version: 1.0\r\n"
		 "Content-Type: text/plain; charset=utf-8\r\n"
		 "Content-Transfer-Encoding: 8bit\r\n\r\n",
		 idx);
	bputs(m, h);
	gen_text(m, 48000, terms);
}

/* ------------------------------------------------------------ capture */

struct capture {
	struct buf *parts; /* one buffer per text part */
	size_t n, cap;
};

static void cap_header(void *c, const char *p, unsigned d, const char *n, const char *v, size_t l)
{
	(void)c, (void)p, (void)d, (void)n, (void)v, (void)l;
}

static void cap_begin(void *c, const struct mime_part_info *pi)
{
	struct capture *cp = c;
	(void)pi;
	if (cp->n == cp->cap) {
		cp->cap = cp->cap ? cp->cap * 2 : 64;
		cp->parts = realloc(cp->parts, cp->cap * sizeof(*cp->parts));
		if (!cp->parts)
			exit(2);
	}
	memset(&cp->parts[cp->n++], 0, sizeof(struct buf));
}

static void cap_text(void *c, const uint8_t *d, size_t l)
{
	struct capture *cp = c;
	if (cp->n)
		bput(&cp->parts[cp->n - 1], d, l);
}

static void cap_end(void *c, const struct mime_part_info *pi)
{
	(void)c, (void)pi;
}

static int count_cb(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		    void *ctx)
{
	(void)id, (void)from, (void)to, (void)flags;
	++*(uint64_t *)ctx;
	return 0;
}

/* ------------------------------------------------------------ config */

/* One dictionary entity of n terms; with ids, also the three identifiers
 * (payment card, US SSN, IBAN) in the same database. en holds 4. */
static void make_cfg(struct cfg *c, struct cfg_entity *en, struct cfg_rule *ru,
		     struct cfg_profile *pr, struct cfg_policy *po, struct cfg_term *terms,
		     size_t n, bool ids)
{
	static char *internal[] = {"corp.example"};
	static char *rule_names[] = {"dict rule"};
	static char *prof_names[] = {"dict profile"};
	static char *dom[] = {"corp.example"};

	memset(c, 0, sizeof(*c));
	memset(en, 0, 4 * sizeof(*en));
	memset(ru, 0, sizeof(*ru));
	memset(pr, 0, sizeof(*pr));
	memset(po, 0, sizeof(*po));
	c->path = "bench";
	en->name = "dict";
	en->type = CFG_ENTITY_DICTIONARY;
	en->terms = terms;
	en->n_terms = n;
	ru->name = "dict rule";
	ru->match = "dict";
	ru->count = CFG_COUNT_UNIQUE;
	ru->severity[CFG_SEV_LOW] = 2;
	ru->severity[CFG_SEV_MEDIUM] = 3;
	ru->severity[CFG_SEV_HIGH] = 4;
	ru->scope = CFG_SCOPE_CONTENT;
	pr->name = "dict profile";
	pr->rules = rule_names;
	pr->n_rules = 1;
	po->name = "hold";
	po->enabled = true;
	po->from.domains = dom;
	po->from.n_domains = 1;
	po->to.external = true;
	po->profiles = prof_names;
	po->n_profiles = 1;
	po->min_severity = CFG_SEV_LOW;
	po->action = CFG_ACTION_ADD_HEADER;
	po->header_name = "X-DLP-Hold";
	po->header_value = "hold";
	c->dlp.internal_domains = internal;
	c->dlp.n_internal_domains = 1;
	c->dlp.scan_limit = 32u << 20;
	c->dlp.limits = (struct cfg_dlp_limits){20, 1000, 256 * 1024, 64 * 1024, 100};
	c->dlp.entities = en;
	c->dlp.n_entities = 1;
	if (ids) {
		static const char *names[] = {"card", "ssn", "iban"};
		for (int i = 0; i < 3; i++) {
			en[1 + i].name = (char *)names[i];
			en[1 + i].type = CFG_ENTITY_IDENTIFIER;
			en[1 + i].identifier = (enum cfg_identifier)i;
		}
		c->dlp.n_entities = 4;
	}
	c->dlp.rules = ru;
	c->dlp.n_rules = 1;
	c->dlp.profiles = pr;
	c->dlp.n_profiles = 1;
	c->policies = po;
	c->n_policies = 1;
}

/* ------------------------------------------------------------ runs */

struct corpus {
	struct buf *msgs;
	unsigned n;
	uint64_t raw;
	struct capture cap; /* decoded text parts */
	uint64_t dec;
};

static void corpus_make(struct corpus *c, unsigned n, bool mixed, const struct cfg_term *terms)
{
	memset(c, 0, sizeof(*c));
	c->n = n;
	c->msgs = calloc(n, sizeof(*c->msgs));
	for (unsigned i = 0; i < n; i++) {
		if (mixed)
			gen_message(&c->msgs[i], i, terms);
		else
			gen_plain(&c->msgs[i], i, terms);
		c->raw += c->msgs[i].n;
	}
	/* decoded parts, captured once with the same MIME parser */
	struct mime_sink sink = {cap_header, cap_begin, cap_text, cap_end};
	struct mime_limits ml = {20, 1000, 256 * 1024, 64 * 1024, 32u << 20};
	struct mime_parser *mp = mime_parser_create(&ml, &sink, &c->cap);
	if (!mp) {
		perror("mime_parser_create");
		exit(2);
	}
	for (unsigned i = 0; i < n; i++) {
		mime_parser_reset(mp);
		mime_parser_feed(mp, c->msgs[i].p, c->msgs[i].n);
		mime_parser_finish(mp);
	}
	mime_parser_destroy(mp);
	for (size_t i = 0; i < c->cap.n; i++)
		c->dec += c->cap.parts[i].n;
}

static void corpus_free(struct corpus *c)
{
	for (unsigned i = 0; i < c->n; i++)
		free(c->msgs[i].p);
	free(c->msgs);
	for (size_t i = 0; i < c->cap.n; i++)
		free(c->cap.parts[i].p);
	free(c->cap.parts);
}

/* Best time of `repeat` passes of the corpus through the full path (16 KiB
 * feeds, as the SMTP side hands chunks over). */
static double run_full(struct dlp_scanner *sc, const struct corpus *c, unsigned repeat,
		       uint64_t *dec_seen, uint64_t *hits)
{
	double best = 1e30;
	for (unsigned r = 0; r < repeat; r++) {
		double t = now();
		*dec_seen = 0;
		*hits = 0;
		for (unsigned i = 0; i < c->n; i++) {
			struct dlp_txn *tx = dlp_txn_begin(sc, NULL);
			if (!tx)
				exit(2);
			for (size_t o = 0; o < c->msgs[i].n; o += 16384) {
				size_t l = c->msgs[i].n - o < 16384 ? c->msgs[i].n - o : 16384;
				if (dlp_txn_feed(tx, c->msgs[i].p + o, l))
					exit(2);
			}
			struct dlp_verdict *v = dlp_txn_end(tx);
			if (!v)
				exit(2);
			*dec_seen += v->decoded_bytes;
			for (size_t e = 0; e < v->n_entities; e++)
				*hits += v->entities[e].count;
			dlp_verdict_free(v);
		}
		t = now() - t;
		if (t < best)
			best = t;
	}
	return best;
}

static void null_header(void *c, const char *p, unsigned d, const char *n, const char *v, size_t l)
{
	(void)c, (void)p, (void)d, (void)n, (void)v, (void)l;
}
static void null_begin(void *c, const struct mime_part_info *pi)
{
	(void)c, (void)pi;
}
static void null_text(void *c, const uint8_t *d, size_t l)
{
	(void)d;
	*(uint64_t *)c += l;
}

/* Best time of the MIME decoder alone (discarding sink), same 16 KiB feeds:
 * the decoding share of the full path. */
static double run_mime(const struct corpus *c, unsigned repeat)
{
	uint64_t n = 0;
	struct mime_sink sink = {null_header, null_begin, null_text, null_begin};
	struct mime_limits ml = {20, 1000, 256 * 1024, 64 * 1024, 32u << 20};
	struct mime_parser *mp = mime_parser_create(&ml, &sink, &n);
	double best = 1e30;
	if (!mp)
		exit(2);
	for (unsigned r = 0; r < repeat; r++) {
		double t = now();
		for (unsigned i = 0; i < c->n; i++) {
			mime_parser_reset(mp);
			for (size_t o = 0; o < c->msgs[i].n; o += 16384) {
				size_t l = c->msgs[i].n - o < 16384 ? c->msgs[i].n - o : 16384;
				mime_parser_feed(mp, c->msgs[i].p + o, l);
			}
			mime_parser_finish(mp);
		}
		t = now() - t;
		if (t < best)
			best = t;
	}
	mime_parser_destroy(mp);
	return best;
}

/* Best time of raw Hyperscan over the captured decoded parts: one stream
 * per part, one scan call per part, a counting callback. */
static double run_raw(const struct dlp_matcher *m, const struct corpus *c, unsigned repeat,
		      uint64_t *hits)
{
	struct dlp_matcher_worker *w = dlp_matcher_worker_create(m);
	double best = 1e30;
	if (!w)
		exit(2);
	for (unsigned r = 0; r < repeat; r++) {
		double t = now();
		*hits = 0;
		for (size_t i = 0; i < c->cap.n; i++)
			dlp_matcher_scan_whole(w, c->cap.parts[i].p, c->cap.parts[i].n, count_cb,
					       hits);
		t = now() - t;
		if (t < best)
			best = t;
	}
	dlp_matcher_worker_destroy(w);
	return best;
}

/* -p: only the full path of one corpus with the first dictionary size,
 * for perf; prints its MB/s of decoded text. */
static int profile_one(const struct corpus *c, struct cfg_term *terms, size_t nt, unsigned repeat)
{
	struct cfg cf;
	struct cfg_entity en[4];
	struct cfg_rule ru;
	struct cfg_profile pr;
	struct cfg_policy po;
	char err[256];
	uint64_t dec, hits;

	make_cfg(&cf, en, &ru, &pr, &po, terms, nt, false);
	struct dlp_policy_set *ps = dlp_policy_set_build(&cf, err, sizeof(err));
	struct dlp_scanner *sc = ps ? dlp_scanner_create(ps) : NULL;
	if (!sc) {
		fprintf(stderr, "build: %s\n", ps ? "scanner" : err);
		return 2;
	}
	double t = run_full(sc, c, repeat, &dec, &hits);
	printf("full path, %zu terms: %.1f MB/s of decoded text (best of %u)\n", nt,
	       (double)dec / t / 1e6, repeat);
	dlp_scanner_destroy(sc);
	dlp_policy_set_unref(ps);
	return 0;
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	unsigned n_msgs = 150, repeat = 3;
	size_t sizes[8] = {4, 1000, 10000, 100000};
	size_t n_sizes = 4;
	char only = 0; /* -p: profile one corpus's full path */
	int ch;

	while ((ch = getopt(argc, argv, "m:r:s:p:h")) != -1) {
		switch (ch) {
		case 'm':
			n_msgs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			repeat = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's': {
			n_sizes = 0;
			for (char *p = strtok(optarg, ","); p && n_sizes < 8; p = strtok(NULL, ","))
				sizes[n_sizes++] = strtoul(p, NULL, 10);
			break;
		}
		case 'p':
			only = optarg[0];
			if (only != 'A' && only != 'B') {
				fprintf(stderr, "-p takes A or B\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: smtpdlp-bench-dlp [-m MESSAGES] [-r REPEAT] "
					"[-s 4,1000,10000,100000] [-p A|B]\n");
			return ch == 'h' ? 0 : 2;
		}
	}
	if (!n_msgs || !repeat || !n_sizes)
		return 2;
	size_t max_terms = 1000;
	for (size_t i = 0; i < n_sizes; i++) {
		if (sizes[i] < 4)
			sizes[i] = 4;
		if (sizes[i] > max_terms)
			max_terms = sizes[i];
	}
	struct cfg_term *terms = make_terms(max_terms);
	struct corpus mixed, plain;
	corpus_make(&mixed, n_msgs, true, terms);
	corpus_make(&plain, n_msgs, false, terms);
	if (only)
		return profile_one(only == 'A' ? &mixed : &plain, terms, sizes[0], repeat);
	printf("corpus A (multipart: QP text + HTML + base64 attachment): %u messages, "
	       "%.1f MB raw, %.1f MB decoded text in %zu parts\n",
	       n_msgs, (double)mixed.raw / 1e6, (double)mixed.dec / 1e6, mixed.cap.n);
	printf("corpus B (one 8bit text/plain part): %u messages, %.1f MB raw, "
	       "%.1f MB decoded\n",
	       n_msgs, (double)plain.raw / 1e6, (double)plain.dec / 1e6);
	double tma = run_mime(&mixed, repeat), tmb = run_mime(&plain, repeat);
	printf("MIME decoding alone (no scanning): A %.1f MB/s of decoded text, "
	       "B %.1f MB/s\n",
	       (double)mixed.dec / tma / 1e6, (double)plain.dec / tmb / 1e6);
	printf("%7s %7s %8s %7s | %8s %8s %8s %7s | %8s %8s %7s %7s | %s\n", "terms", "pats",
	       "build_s", "db_KB", "A_full", "A_fdec", "A_hs", "A_ratio", "B_fdec", "B_hs",
	       "B_ratio", "B_eng", "A hits/MB kept (raw)");

	for (size_t si = 0; si <= n_sizes; si++) {
		/* the last row: 4 terms plus the identifiers */
		bool ids = si == n_sizes;
		size_t nt = ids ? 4 : sizes[si];
		struct cfg c;
		struct cfg_entity en[4];
		struct cfg_rule ru;
		struct cfg_profile pr;
		struct cfg_policy po;
		char err[256], label[16];
		make_cfg(&c, en, &ru, &pr, &po, terms, nt, ids);
		snprintf(label, sizeof(label), ids ? "4+ids" : "%zu", nt);
		struct timespec w0, w1;
		clock_gettime(CLOCK_MONOTONIC, &w0);
		struct dlp_policy_set *ps = dlp_policy_set_build(&c, err, sizeof(err));
		clock_gettime(CLOCK_MONOTONIC, &w1);
		double build =
			(double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) * 1e-9;
		if (!ps) {
			fprintf(stderr, "build: %s\n", err);
			return 2;
		}
		struct dlp_scanner *sc = dlp_scanner_create(ps);
		if (!sc) {
			perror("dlp_scanner_create");
			return 2;
		}
		const struct dlp_matcher *m = dlp_policy_set_matcher(ps);
		uint64_t a_dec, a_hits, a_raw_hits, b_dec, b_hits, b_raw_hits;
		/* full and raw passes alternate, so that both see the same
		 * neighbours on a shared machine; best of each */
		double ta = 1e30, ta_raw = 1e30, tb = 1e30, tb_raw = 1e30;
		for (unsigned r = 0; r < repeat; r++) {
			double t = run_full(sc, &mixed, 1, &a_dec, &a_hits);
			ta = t < ta ? t : ta;
			t = run_raw(m, &mixed, 1, &a_raw_hits);
			ta_raw = t < ta_raw ? t : ta_raw;
			t = run_full(sc, &plain, 1, &b_dec, &b_hits);
			tb = t < tb ? t : tb;
			t = run_raw(m, &plain, 1, &b_raw_hits);
			tb_raw = t < tb_raw ? t : tb_raw;
		}
		double a_full = (double)mixed.raw / ta / 1e6, a_fdec = (double)a_dec / ta / 1e6;
		double a_hs = (double)mixed.dec / ta_raw / 1e6;
		double b_fdec = (double)b_dec / tb / 1e6, b_hs = (double)plain.dec / tb_raw / 1e6;
		/* engine without decoding: full minus MIME-alone time, vs raw */
		double b_eng = tb > tmb ? 100.0 * tb_raw / (tb - tmb) : 0.0;
		printf("%7s %7zu %8.3f %7zu | %8.1f %8.1f %8.1f %6.1f%% | %8.1f %8.1f %6.1f%% "
		       "%6.1f%% | "
		       "%.0f (%.0f)\n",
		       label, dlp_policy_set_pattern_count(ps), build,
		       dlp_policy_set_db_bytes(ps) / 1024, a_full, a_fdec, a_hs,
		       100.0 * a_fdec / a_hs, b_fdec, b_hs, 100.0 * b_fdec / b_hs, b_eng,
		       (double)a_hits / ((double)a_dec / 1e6),
		       (double)a_raw_hits / ((double)mixed.dec / 1e6));
		fflush(stdout);
		dlp_scanner_destroy(sc);
		dlp_policy_set_unref(ps);
	}
	printf("MB/s of CPU time (best of %u): A_full = raw message bytes, A_fdec/B_fdec = decoded "
	       "text bytes through the full path (dlp_txn_feed .. dlp_txn_end), A_hs/B_hs = the "
	       "same decoded bytes through hs_scan_stream alone (same database, one call per "
	       "part, counting callback); B_eng = B_hs time / (B full time - B MIME-alone time), "
	       "the engine without decoding against raw Hyperscan; ratio = fdec / hs; build_s = "
	       "wall time of dlp_policy_set_build (Hyperscan compile)\n",
	       repeat);

	/* decoders */
	struct buf text = {0}, b64 = {0}, qp = {0};
	gen_text(&text, 8u << 20, terms);
	/* some non-ASCII so QP has =XX escapes */
	for (size_t i = 0; i + 1 < text.n; i += 97)
		if (text.p[i] == ' ')
			text.p[i] = (char)0xE9;
	b64_encode(&b64, text.p, text.n);
	qp_encode(&qp, text.p, text.n);
	size_t cap = DECODE_QP_MAX_OUT(qp.n) > DECODE_B64_MAX_OUT(b64.n)
			     ? DECODE_QP_MAX_OUT(qp.n)
			     : DECODE_B64_MAX_OUT(b64.n);
	uint8_t *out = malloc(cap);
	double best_b = 1e30, best_q = 1e30;
	size_t ob = 0, oq = 0;
	for (unsigned r = 0; r < repeat; r++) {
		double t = now();
		ob = decode_base64((const uint8_t *)b64.p, b64.n, out, NULL);
		t = now() - t;
		if (t < best_b)
			best_b = t;
		t = now();
		oq = decode_qp((const uint8_t *)qp.p, qp.n, out, NULL);
		t = now() - t;
		if (t < best_q)
			best_q = t;
	}
	printf("decode (dlp/decode.h, whole buffer): base64 %.1f MB/s of input (%.1f MB -> "
	       "%.1f MB), quoted-printable %.1f MB/s of input (%.1f MB -> %.1f MB)\n",
	       (double)b64.n / best_b / 1e6, (double)b64.n / 1e6, (double)ob / 1e6,
	       (double)qp.n / best_q / 1e6, (double)qp.n / 1e6, (double)oq / 1e6);
	free(out);
	free(text.p);
	free(b64.p);
	free(qp.p);
	corpus_free(&mixed);
	corpus_free(&plain);
	for (size_t i = 0; i < max_terms; i++)
		free(terms[i].term);
	free(terms);
	return 0;
}
