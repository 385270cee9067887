/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_csv.c — Check suite for the dictionary CSV parser (config/cfg_csv.c).
 *
 * A table of inputs with the terms they must yield ("term=weight@line" joined
 * by '|') or the exact error; every good input is also fed with CRLF line
 * ends. Plus a 100,000-term file parsed directly and through cfg_load(),
 * timed.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/cfg.h"
#include "config/cfg_csv.h"

struct csv_case {
	const char *in;
	bool case_sensitive;
	const char *terms; /* expected terms, or NULL when an error is expected */
	const char *error;
};

static const struct csv_case cases[] = {
	/* the seed dictionary */
	{"\"Customer\"\n\"Account Manager\"\n\"Sales Engineer\"\n\"Purchase date\"\n", false,
	 "Customer=1@1|Account Manager=1@2|Sales Engineer=1@3|Purchase date=1@4", NULL},
	/* unquoted, trimmed, weights with signs */
	{"  alpha , 5\nbeta,-100\n\tgamma\t,+100\ndelta\n", false,
	 "alpha=5@1|beta=-100@2|gamma=100@3|delta=1@4", NULL},
	/* BOM, header row, comments and blank lines */
	{"\xef\xbb\xbfterm,weight\n# comment\n\n   \n  # indented comment\nx,2\n", false, "x=2@6",
	 NULL},
	{"Term\nx\n", false, "x=1@2", NULL},
	{"\"term\",\"weight\"\nx\n", false, "x=1@2", NULL},
	/* a header is only the first record */
	{"x\nterm\n", false, "x=1@1|term=1@2", NULL},
	/* "term,5" is data, not a header */
	{"term,5\n", false, "term=5@1", NULL},
	/* RFC 4180 quoting: commas, doubled quotes, spaces kept inside quotes */
	{"\"Smith, John\",3\n\"say \"\"hi\"\"\"\n\" padded \"\n", false,
	 "Smith, John=3@1|say \"hi\"=1@2| padded =1@3", NULL},
	/* quoted weight, quote that starts with # */
	{"\"#hashtag\",\"7\"\n", false, "#hashtag=7@1", NULL},
	/* typographic quotes are text */
	{"\xe2\x80\x9c"
	 "Customer\"\n",
	 false, NULL,
	 "d.csv:1: term: stray quote in an unquoted field (quote the whole field and double the "
	 "quote)"},
	{"\xe2\x80\x9c"
	 "Account Manager\xe2\x80\x9d\n",
	 false,
	 "\xe2\x80\x9c"
	 "Account Manager\xe2\x80\x9d=1@1",
	 NULL},
	/* UTF-8 terms */
	{"Kunde\nK\xc3\xa4ufer,2\n\xe9\xa1\xa7\xe5\xae\xa2\n", false,
	 "Kunde=1@1|K\xc3\xa4ufer=2@2|\xe9\xa1\xa7\xe5\xae\xa2=1@3", NULL},
	/* no final newline */
	{"a\nb", false, "a=1@1|b=1@2", NULL},
	/* duplicates merged: case-insensitive unless case_sensitive */
	{"Customer\ncustomer\nCUSTOMER,1\n", false, "Customer=1@1", NULL},
	{"Customer\ncustomer\n", true, "Customer=1@1|customer=1@2", NULL},
	{"x,2\n\"x\",2\n", false, "x=2@1", NULL},
	/* empty input, comments only */
	{"", false, "", NULL},
	{"# only\n\n", false, "", NULL},
	{"\xef\xbb\xbf", false, "", NULL},
	/* errors */
	{"a\n\"\"\n", false, NULL, "d.csv:2: term: empty term"},
	{"\" \"\n", false, NULL, "d.csv:1: term: empty term"},
	{",3\n", false, NULL, "d.csv:1: term: empty term"},
	{"a,101\n", false, NULL, "d.csv:1: weight: must be an integer from -100 to 100"},
	{"a,-101\n", false, NULL, "d.csv:1: weight: must be an integer from -100 to 100"},
	{"a,\n", false, NULL, "d.csv:1: weight: must be an integer from -100 to 100"},
	{"a,1.5\n", false, NULL, "d.csv:1: weight: must be an integer from -100 to 100"},
	{"a,x\n", false, NULL, "d.csv:1: weight: must be an integer from -100 to 100"},
	{"a,99999999999999999999\n", false, NULL,
	 "d.csv:1: weight: must be an integer from -100 to 100"},
	{"a,1,2\n", false, NULL, "d.csv:1: term: too many fields (expected term or term,weight)"},
	{"ok\n\"open\n", false, NULL, "d.csv:2: term: unterminated quoted field"},
	{"\"a\"b\n", false, NULL, "d.csv:1: term: text after the closing quote"},
	{"a,\"1\"x\n", false, NULL, "d.csv:1: weight: text after the closing quote"},
	{"a\"b\n", false, NULL,
	 "d.csv:1: term: stray quote in an unquoted field (quote the whole field and double the "
	 "quote)"},
	{"ok\nbad\xff\n", false, NULL, "d.csv:2: term: not valid UTF-8"},
	{"\xc0\xaf\n", false, NULL, "d.csv:1: term: not valid UTF-8"},
	{"\xed\xa0\x80\n", false, NULL, "d.csv:1: term: not valid UTF-8"},
	{"a\x01"
	 "b\n",
	 false, NULL, "d.csv:1: term: contains a control character"},
	{"a\rb\n", false, NULL, "d.csv:1: term: contains a control character"},
	{"x,1\nX,2\n", false, NULL, "d.csv:2: term: duplicate of line 1 with a different weight"},
};

/* "term=weight@line|..." */
static void render(const struct cfg_term *t, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s=%d@%d", i ? "|" : "", t[i].term,
					t[i].weight, t[i].line);
}

static void check_case(const struct csv_case *c, const char *in, size_t len)
{
	struct cfg_term *terms;
	size_t n;
	char err[256], got[1024];
	int rc = cfg_csv_parse(in, len, "d.csv", c->case_sensitive, &terms, &n, err, sizeof(err));

	if (c->terms == NULL) {
		ck_assert_int_eq(rc, -EINVAL);
		ck_assert_ptr_null(terms);
		ck_assert_str_eq(err, c->error);
		return;
	}
	ck_assert_msg(rc == 0, "unexpected error: %s", err);
	render(terms, n, got, sizeof(got));
	ck_assert_str_eq(got, c->terms);
	cfg_terms_free(terms, n);
}

START_TEST(test_table)
{
	const struct csv_case *c = &cases[_i];
	size_t len = strlen(c->in), j = 0;
	char *crlf = malloc(2 * len + 1);

	check_case(c, c->in, len);
	/* The same input with CRLF line ends gives the same result. */
	ck_assert_ptr_nonnull(crlf);
	for (size_t i = 0; i < len; i++) {
		if (c->in[i] == '\n')
			crlf[j++] = '\r';
		crlf[j++] = c->in[i];
	}
	check_case(c, crlf, j);
	free(crlf);
}
END_TEST

/* Not NUL-terminated input, and a NUL inside it. */
START_TEST(test_pointer_length)
{
	static const char in[] = {'a', '\n', 'b', 'c'};
	static const char nul[] = {'a', '\n', 'b', '\0', 'c', '\n'};
	struct cfg_term *terms;
	size_t n;
	char err[128];

	ck_assert_int_eq(cfg_csv_parse(in, 3, "d.csv", false, &terms, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(terms[1].term, "b");
	cfg_terms_free(terms, n);
	ck_assert_int_eq(
		cfg_csv_parse(nul, sizeof(nul), "d.csv", false, &terms, &n, err, sizeof(err)),
		-EINVAL);
	ck_assert_str_eq(err, "d.csv:2: term: contains a NUL byte");
	cfg_terms_free(NULL, 0);
}
END_TEST

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 100,000 distinct terms (plus case duplicates), parsed and loaded. */
START_TEST(test_100k)
{
	enum { N = 100000 };
	char dir[] = "/tmp/smtpdlp-csv-XXXXXX", path[64], conf[64], err[256];
	size_t cap = (size_t)N * 40, len = 0, n;
	char *buf = malloc(cap);
	struct cfg_term *terms;
	struct cfg *c;
	double t0, parse_s, load_s;
	FILE *f;

	ck_assert_ptr_nonnull(buf);
	len += (size_t)snprintf(buf, cap, "term,weight\r\n");
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s\"Term %d word%d\",%d\r\n",
					i % 3 ? "" : "  ", i, i * 7, i % 201 - 100);
	for (int i = 0; i < 1000; i++)
		len += (size_t)snprintf(buf + len, cap - len, "TERM %d WORD%d,%d\n", i, i * 7,
					i % 201 - 100);
	t0 = now();
	ck_assert_int_eq(cfg_csv_parse(buf, len, "big.csv", false, &terms, &n, err, sizeof(err)),
			 0);
	parse_s = now() - t0;
	ck_assert_uint_eq(n, N);
	ck_assert_str_eq(terms[N - 1].term, "Term 99999 word699993");
	ck_assert_int_eq(terms[N - 1].weight, 99999 % 201 - 100);
	ck_assert_int_eq(terms[N - 1].line, N + 1);
	cfg_terms_free(terms, n);

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big.csv", dir);
	snprintf(conf, sizeof(conf), "%s/big.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	fclose(f);
	f = fopen(conf, "w");
	ck_assert_ptr_nonnull(f);
	fputs("dlp: { entities = ( { name = \"big\"; type = \"dictionary\"; file = \"big.csv\"; } "
	      ");\n"
	      " rules = ( { name = \"r\"; match = \"big\"; count = \"score\"; severity = { low = "
	      "1; }; } );\n"
	      " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n"
	      "policies = ( { name = \"x\"; profiles = [ \"p\" ]; action = \"alert\"; } );\n",
	      f);
	fclose(f);
	t0 = now();
	c = cfg_load(conf, err, sizeof(err));
	load_s = now() - t0;
	unlink(path);
	unlink(conf);
	rmdir(dir);
	free(buf);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->dlp.entities[0].n_terms, N);
	cfg_free(c);
	fprintf(stderr, "100k-term CSV: parse %.1f ms, cfg_load %.1f ms\n", parse_s * 1e3,
		load_s * 1e3);
	/* Generous bound: sanitizer builds on a shared 2-core machine. */
	ck_assert_msg(load_s < 3.0, "cfg_load of 100k terms took %.2f s", load_s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config-csv");
	TCase *tc = tcase_create("csv");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_pointer_length);
	tcase_add_test(tc, test_100k);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
