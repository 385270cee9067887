/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dict.c — dictionary entities through the real engine: whole words,
 * case folding, phrases across whitespace runs, UTF-8 terms, terms with
 * non-word ends, typographic punctuation around terms, unique counting,
 * every split point of the input, matches across the engine's internal
 * scan-buffer edge, and a 100,000-term dictionary.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcfg.h"

static const char hdr[] = "From: a@corp.example\r\nTo: b@x.org\r\nSubject: t\r\n"
			  "Content-Type: text/plain; charset=utf-8\r\n\r\n";

static struct dlp_policy_set *ps;
static struct dlp_scanner *sc;
static struct tcfg T;

static void setup(void)
{
	tcfg_init(&T);
	tcfg_dict(&T, "d", false, "Customer", "Account Manager", "M\xc3\xbcller", "C++",
		  "Purchase date|5", "_x_", "\xc3\x84rztliche Auskunft",
		  "\xce\x91\xce\x98\xce\x97\xce\x9d\xce\x91",
		  "\xc3\xbc"
		  "bergr\xc3\xb6\xc3\x9f"
		  "e",
		  "\xd0\xbc\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0", NULL);
	tcfg_dict(&T, "cs", true, "ACME", NULL);
	ps = tcfg_build(&T);
	sc = dlp_scanner_create(ps);
	ck_assert_ptr_nonnull(sc);
}

static void teardown(void)
{
	dlp_scanner_destroy(sc);
	dlp_policy_set_unref(ps);
	tcfg_free_terms(&T);
}

static const struct {
	const char *body;
	unsigned count, unique; /* entity "d" */
	unsigned cs;		/* entity "cs" */
} cases[] = {
	{"Customerservice is here\r\n", 0, 0, 0},
	{"The Customer's order\r\n", 1, 1, 0},
	{"Customer, Customer. (Customer) \"Customer\"\r\n", 4, 1, 0},
	{"customer CUSTOMER cUsToMeR\r\n", 3, 1, 0},
	{"Customers and customerS\r\n", 0, 0, 0},
	{"_Customer Customer_ Customer1 1Customer\r\n", 0, 0, 0},
	{"Customer\r\n", 1, 1, 0},
	{"Account   Manager\r\n", 1, 1, 0},
	{"Account\tManager and account manager\r\n", 2, 1, 0},
	{"your Account\r\nManager\r\n", 1, 1, 0},
	{"AccountManager, Account Managers, XAccount Manager\r\n", 0, 0, 0},
	{"Key Account Manager.\r\n", 1, 1, 0},
	{"Account\xc2\xa0Manager, Account \xc2\xa0 Manager\r\n", 2, 1, 0}, /* NBSP */
	{"Herr M\xc3\xbcller kam; M\xc3\xbcllers nicht\r\n", 1, 1, 0},
	{"Herr M\xc3\xbcller\xc2\xa0kam\r\n", 1, 1, 0},	 /* NBSP after */
	{"I like C++. ABC++ no, C+++ hmm\r\n", 2, 1, 0}, /* C++ twice */
	{"Purchase date: today\r\n", 1, 1, 0},
	{"a _x_ b x_x_ c\r\n", 1, 1, 0},
	{"acme ACME Acme ACMEs\r\n", 0, 0, 1},
	/* non-ASCII case folding (Latin-1, Greek, Cyrillic) */
	{"M\xc3\x9cLLER und m\xc3\xbcller\r\n", 2, 1, 0},
	{"\xc3\xa4rztliche   AUSKUNFT, \xc3\x84RZTLICHE Auskunft\r\n", 2, 1, 0},
	{"\xce\xb1\xce\xb8\xce\xb7\xce\xbd\xce\xb1 and "
	 "\xce\x91\xce\x98\xce\x97\xce\x9d\xce\x91\r\n",
	 2, 1, 0},
	{"\xd0\x9c\xd0\x9e\xd0\xa1\xd0\x9a\xd0\x92\xd0\x90\r\n", 1, 1, 0},
	{"\xc3\x9c"
	 "bergr\xc3\xb6\xc3\x9f"
	 "e, \xc3\x9c"
	 "BERGR\xc3\x96\xc3\x9f"
	 "E\r\n",
	 2, 1, 0},
	{"\xc3\xa9rztliche Auskunft\r\n", 0, 0, 0}, /* different letter */
	{"Customer and Account Manager and Purchase date\r\n", 3, 3, 0},
	/* General Punctuation (U+2000..U+2FFF, lead byte E2) next to a term is
	 * a boundary: smart quotes, the typographic apostrophe Outlook and
	 * Word type, dashes, ellipsis, zero-width space */
	{"\xe2\x80\x9c"
	 "Customer\xe2\x80\x9d and \xe2\x80\x98"
	 "Account Manager\xe2\x80\x99\r\n",
	 2, 2, 0},
	{"The Customer\xe2\x80\x99s Account Manager\xe2\x80\x99s note\r\n", 2, 2, 0},
	{"Customer\xe2\x80\x94"
	 "Account Manager\xe2\x80\x94"
	 "done\r\n",
	 2, 2, 0},
	{"Customer\xe2\x80\xa6 \xe2\x80\x8b"
	 "Account Manager\xe2\x80\x8b\r\n",
	 2, 2, 0},
	{"\xe2\x80\xa2 Customer \xe2\x80\xa2"
	 "Customer\xe2\x84\xa2\r\n",
	 2, 1, 0}, /* bullet, (TM) */
	/* Unicode spaces between a phrase's words: thin, narrow NBSP,
	 * ideographic, an em space in a run; a zero-width space is no space */
	{"Account\xe2\x80\x89Manager, Account\xe2\x80\xafManager\r\n", 2, 1, 0},
	{"\xe3\x80\x80"
	 "Account\xe3\x80\x80Manager, Account \xe2\x80\x83 Manager\r\n",
	 2, 1, 0},
	{"Account\xe2\x80\x8bManager\r\n", 0, 0, 0},
	/* a byte-order mark before the first word */
	{"\xef\xbb\xbf"
	 "Customer list\r\n",
	 1, 1, 0},
	/* letters glued on stay a longer word */
	{"\xc3\xa9"
	 "Customer Customer\xc3\xa9 \xe3\x81\x82"
	 "Customer\r\n",
	 0, 0, 0},
};

static struct dlp_verdict *run(const char *body, size_t split)
{
	char msg[1024];
	int n = snprintf(msg, sizeof(msg), "%s%s", hdr, body);
	return tscan(sc, NULL, NULL, msg, (size_t)n, split);
}

static unsigned count_of(const struct dlp_verdict *v, const char *e, bool unique)
{
	const struct dlp_entity_result *r = tentity(v, e);
	return r ? (unique ? r->unique_count : r->count) : 0;
}

START_TEST(test_terms)
{
	struct dlp_verdict *v = run(cases[_i].body, (size_t)-1);
	ck_assert_msg(count_of(v, "d", false) == cases[_i].count, "%s: count %u want %u",
		      cases[_i].body, count_of(v, "d", false), cases[_i].count);
	ck_assert_uint_eq(count_of(v, "d", true), cases[_i].unique);
	ck_assert_uint_eq(count_of(v, "cs", false), cases[_i].cs);
	dlp_verdict_free(v);
}
END_TEST

START_TEST(test_every_split)
{
	size_t len = strlen(hdr) + strlen(cases[_i].body);
	for (size_t split = 0; split <= len; split++) {
		struct dlp_verdict *v = run(cases[_i].body, split);
		ck_assert_msg(count_of(v, "d", false) == cases[_i].count, "%s split %zu",
			      cases[_i].body, split);
		ck_assert_uint_eq(count_of(v, "d", true), cases[_i].unique);
		ck_assert_uint_eq(count_of(v, "cs", false), cases[_i].cs);
		dlp_verdict_free(v);
	}
}
END_TEST

START_TEST(test_match_records)
{
	struct dlp_verdict *v = run("xx Customer yy Account  Manager\r\n", (size_t)-1);
	const struct dlp_entity_result *e = tentity(v, "d");
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->n_matches, 2);
	ck_assert_str_eq(e->matches[0].term, "Customer");
	ck_assert_str_eq(e->matches[0].part, "1");
	ck_assert_uint_eq(e->matches[0].offset, 3);
	ck_assert_str_eq(e->matches[1].term, "Account Manager");
	ck_assert_uint_eq(e->matches[1].offset, 15);
	ck_assert_ptr_null(e->matches[1].value);
	dlp_verdict_free(v);
}
END_TEST

/* Terms spread over a 200 KB body at irregular positions straddle every
 * internal chunk edge (MIME output flushes, gathered small chunks, feed
 * splits): each "Account  Manager" is found once, "Customerservice" never. */
START_TEST(test_chunk_edges)
{
	size_t hl = strlen(hdr);
	size_t body_len = 200000;
	char *msg = malloc(hl + body_len + 64);
	memcpy(msg, hdr, hl);
	char *b = msg + hl;
	for (size_t i = 0; i < body_len; i++)
		b[i] = (i % 64 == 62) ? '\r' : (i % 64 == 63) ? '\n' : (i % 8 == 7 ? ' ' : 'w');
	unsigned want = 0;
	for (size_t k = 1; 997 * k + 40 < body_len; k++) {
		size_t pos = 997 * k + k % 13;
		const char *ins = k % 2 ? "Account  Manager" : "Customerservice";
		b[pos - 1] = ' ';
		memcpy(b + pos, ins, strlen(ins));
		b[pos + strlen(ins)] = ' ';
		want += k % 2;
	}
	static const size_t splits[] = {1, 4095, 4096, 65536, 65537, 100001};
	for (size_t k = 0; k < sizeof(splits) / sizeof(splits[0]); k++) {
		struct dlp_verdict *v = tscan(sc, NULL, NULL, msg, hl + body_len, hl + splits[k]);
		ck_assert_msg(count_of(v, "d", false) == want, "split %zu: %u want %u", splits[k],
			      count_of(v, "d", false), want);
		dlp_verdict_free(v);
	}
	/* and in small feeds of 61 bytes */
	struct dlp_txn *t = dlp_txn_begin(sc, NULL);
	for (size_t o = 0; o < hl + body_len; o += 61) {
		size_t n = hl + body_len - o < 61 ? hl + body_len - o : 61;
		ck_assert_int_eq(dlp_txn_feed(t, msg + o, n), 0);
	}
	struct dlp_verdict *v = dlp_txn_end(t);
	ck_assert_uint_eq(count_of(v, "d", false), want);
	dlp_verdict_free(v);
	free(msg);
}
END_TEST

/* A phrase is verified backwards over the look-back window: whitespace
 * runs inside it match when the phrase spans at most 1 KiB (longer spans
 * only while they are in the chunk being scanned); a phrase spread over
 * 300 KB of whitespace (more than any chunk) is not found. */
START_TEST(test_long_whitespace_run)
{
	static const size_t runs[] = {1, 500, 900, 300000};
	size_t hl = strlen(hdr);
	for (size_t k = 0; k < sizeof(runs) / sizeof(runs[0]); k++) {
		size_t len = hl + runs[k] + 64;
		char *m = malloc(len);
		memcpy(m, hdr, hl);
		size_t n = hl;
		memcpy(m + n, "x Account", 9);
		n += 9;
		for (size_t i = 0; i < runs[k]; i++)
			m[n++] = i % 7 == 6 ? '\n' : ' ';
		memcpy(m + n, "Manager y\r\n", 11);
		n += 11;
		struct dlp_verdict *v = tscan(sc, NULL, NULL, m, n, hl + 3);
		ck_assert_msg(count_of(v, "d", false) == (runs[k] < 1000 ? 1u : 0u), "run %zu",
			      runs[k]);
		dlp_verdict_free(v);
		free(m);
	}
}
END_TEST

/* 100,000 word-like terms compile into one database and scan. */
START_TEST(test_100k_terms)
{
	static const char *syl[] = {"ka", "lo", "mi", "ta", "ve", "so", "ri", "da", "mo", "pe",
				    "qu", "br", "to", "ne", "vi", "go", "al", "be", "cu", "dr"};
	struct tcfg t;
	tcfg_init(&t);
	struct cfg_term *terms = calloc(100000, sizeof(*terms));
	char w[32];
	for (unsigned i = 0; i < 100000; i++) {
		unsigned v = i;
		w[0] = '\0';
		for (int k = 0; k < 5; k++) { /* 20^5 > 100k: unique */
			strcat(w, syl[v % 20]);
			v /= 20;
		}
		terms[i].term = strdup(w);
		terms[i].weight = 1;
	}
	t.ent[0].name = (char *)"big";
	t.ent[0].type = CFG_ENTITY_DICTIONARY;
	t.ent[0].terms = terms;
	t.ent[0].n_terms = 100000;
	t.c.dlp.n_entities = 1;
	struct dlp_policy_set *big = tcfg_build(&t);
	ck_assert_uint_eq(dlp_policy_set_pattern_count(big), 100000);
	struct dlp_scanner *s2 = dlp_scanner_create(big);
	ck_assert_ptr_nonnull(s2);
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s%s and %s, %s again %s.\r\n", hdr, terms[0].term,
			 terms[99999].term, terms[0].term, terms[4242].term);
	struct dlp_verdict *v = tscan(s2, NULL, NULL, msg, (size_t)n, (size_t)-1);
	const struct dlp_entity_result *e = tentity(v, "big");
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->count, 4);
	ck_assert_uint_eq(e->unique_count, 3);
	dlp_verdict_free(v);
	dlp_scanner_destroy(s2);
	dlp_policy_set_unref(big);
	for (unsigned i = 0; i < 100000; i++)
		free(terms[i].term);
	free(terms);
}
END_TEST

START_TEST(test_duplicate_terms)
{
	struct tcfg t;
	tcfg_init(&t);
	tcfg_dict(&t, "dup", false, "Customer|3", "customer|7", "CUSTOMER", "Sales  Engineer",
		  "sales engineer", "M\xc3\xbcller", "M\xc3\x9cLLER", NULL);
	tcfg_rule(&t, "s", "dup", CFG_COUNT_SCORE, 1, 0, 0, 0, CFG_SCOPE_CONTENT);
	struct dlp_policy_set *p = tcfg_build(&t);
	/* first wins; "Müller" is searched as "müller" and "MÜller" */
	ck_assert_uint_eq(dlp_policy_set_pattern_count(p), 4);
	struct dlp_scanner *s2 = dlp_scanner_create(p);
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "%sCustomer customer sales engineer\r\n", hdr);
	struct dlp_verdict *v = tscan(s2, NULL, NULL, msg, (size_t)n, (size_t)-1);
	const struct dlp_rule_result *r = trule(v, "s");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->score, 3 + 3 + 1);
	dlp_verdict_free(v);
	dlp_scanner_destroy(s2);
	dlp_policy_set_unref(p);
	tcfg_free_terms(&t);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
	Suite *s = suite_create("dict");
	TCase *tc = tcase_create("terms");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_terms, 0, N(cases));
	tcase_add_loop_test(tc, test_every_split, 0, N(cases));
	tcase_add_test(tc, test_match_records);
	tcase_add_test(tc, test_chunk_edges);
	tcase_add_test(tc, test_long_whitespace_run);
	tcase_add_test(tc, test_duplicate_terms);
	suite_add_tcase(s, tc);
	TCase *big = tcase_create("big");
	tcase_set_timeout(big, 120);
	tcase_add_test(big, test_100k_terms);
	suite_add_tcase(s, big);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
