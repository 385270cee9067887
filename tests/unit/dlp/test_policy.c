/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_policy.c — address-list parsing, internal/external recipients,
 * user-set matching and first-match policy selection with hand-built
 * struct cfg values.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/policy.h"

static const struct {
	const char *in;
	const char *want[4];
} addr_cases[] = {
	{"alice@corp.example", {"alice@corp.example"}},
	{"Alice <Alice@Corp.Example>", {"alice@corp.example"}},
	{"\"Doe, John\" <jd@x.org>, bob@y.org", {"jd@x.org", "bob@y.org"}},
	{"a@b.c (comment, with comma), d@e.f", {"a@b.c", "d@e.f"}},
	{"team: a@x.org, b@y.org;, c@z.org", {"a@x.org", "b@y.org", "c@z.org"}},
	{"undisclosed-recipients:;", {NULL}},
	{"", {NULL}},
	{"<broken@x.org", {"broken@x.org"}},
	{"no-at-sign, ok@x.org", {"ok@x.org"}},
};

START_TEST(test_addr_list)
{
	char **l = NULL;
	size_t n = 0;
	const char *in = addr_cases[_i].in;
	ck_assert_int_eq(dlp_addr_list_parse(in, strlen(in), &l, &n), 0);
	size_t want = 0;
	while (want < 4 && addr_cases[_i].want[want])
		want++;
	ck_assert_uint_eq(n, want);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(l[i], addr_cases[_i].want[i]);
		free(l[i]);
	}
	free(l);
}
END_TEST

static char *internal[] = {"corp.example", "corp-mail.example"};

static const struct {
	const char *domain;
	bool internal;
} dom_cases[] = {
	{"corp.example", true},
	{"CORP.Example", true},
	{"mail.corp.example", true},
	{"evilcorp.example", false},
	{"corp.example.evil.org", false},
	{"corp-mail.example", true},
	{"", false},
	{"example", false},
};

START_TEST(test_internal)
{
	ck_assert_int_eq(dlp_domain_internal(dom_cases[_i].domain, internal, 2),
			 dom_cases[_i].internal);
}
END_TEST

START_TEST(test_userset)
{
	char *addrs[] = {"ceo@corp.example"};
	char *doms[] = {"partner.org", ".sub.example"};
	struct cfg_userset us = {
		.addresses = addrs, .n_addresses = 1, .domains = doms, .n_domains = 2};
	ck_assert(dlp_userset_match_addr(&us, "CEO@corp.example"));
	ck_assert(!dlp_userset_match_addr(&us, "cfo@corp.example"));
	ck_assert(dlp_userset_match_addr(&us, "x@partner.org"));
	ck_assert(!dlp_userset_match_addr(&us, "x@a.partner.org"));
	ck_assert(dlp_userset_match_addr(&us, "x@a.sub.example"));
	ck_assert(!dlp_userset_match_addr(&us, "x@sub.example"));
	ck_assert(!dlp_userset_match_addr(&us, NULL));
	struct cfg_userset any = {.any = true};
	ck_assert(dlp_userset_match_addr(&any, NULL));

	struct cfg_userset ext = {.external = true};
	const char *r1[] = {"a@corp.example", "b@mail.corp.example"};
	const char *r2[] = {"a@corp.example", "b@gmail.com"};
	const char *r3[] = {"nodomain"};
	ck_assert(!dlp_userset_match_rcpts(&ext, r1, 2, internal, 2));
	ck_assert(dlp_userset_match_rcpts(&ext, r2, 2, internal, 2));
	ck_assert(dlp_userset_match_rcpts(&ext, r3, 1, internal, 2));
	ck_assert(!dlp_userset_match_rcpts(&ext, NULL, 0, internal, 2));
	ck_assert(dlp_userset_match_rcpts(&any, NULL, 0, internal, 2));
	ck_assert(dlp_userset_match_rcpts(&us, r2, 0, internal, 2) == false);
	const char *r4[] = {"x@partner.org"};
	ck_assert(dlp_userset_match_rcpts(&us, r4, 1, internal, 2));
	/* routing in the local part: external whatever the domain */
	const char *routed[] = {"carol%gmail.example@corp.example", "gw!carol@corp.example",
				"@corp.example:carol@gmail.example", "\"a@b\"@corp.example"};
	for (size_t i = 0; i < sizeof(routed) / sizeof(routed[0]); i++) {
		ck_assert_msg(!dlp_addr_internal(routed[i], internal, 2), "%s", routed[i]);
		ck_assert(dlp_userset_match_rcpts(&ext, &routed[i], 1, internal, 2));
	}
	ck_assert(dlp_addr_internal("carol@corp.example", internal, 2));
	ck_assert(dlp_addr_internal("carol.smith+tag@mail.corp.example", internal, 2));
	ck_assert(!dlp_addr_internal("carol", internal, 2));
}
END_TEST

/* Three profiles, three policies: P0 (disabled), P1 from corp to external
 * on profiles {1, 0} min medium, P2 anyone, profile 2, min low. */
static const struct {
	const char *from;
	const char *rcpt;
	enum cfg_severity sev[3]; /* per profile */
	int policy;
	size_t profile;
	enum cfg_severity severity;
} sel_cases[] = {
	{"a@corp.example", "x@gmail.com", {CFG_SEV_HIGH, CFG_SEV_MEDIUM, 0}, 1, 1, CFG_SEV_HIGH},
	{"a@corp.example", "x@gmail.com", {CFG_SEV_HIGH, CFG_SEV_LOW, 0}, 1, 0, CFG_SEV_HIGH},
	{"a@corp.example", "x@gmail.com", {CFG_SEV_LOW, CFG_SEV_LOW, 0}, -1, 0, 0},
	{"a@corp.example", "x@gmail.com", {CFG_SEV_LOW, 0, CFG_SEV_LOW}, 2, 2, CFG_SEV_LOW},
	{"a@corp.example", "y@corp.example", {CFG_SEV_CRITICAL, 0, 0}, -1, 0, 0},
	{"a@other.org", "x@gmail.com", {CFG_SEV_CRITICAL, 0, CFG_SEV_MEDIUM}, 2, 2, CFG_SEV_MEDIUM},
	{NULL, "x@gmail.com", {CFG_SEV_CRITICAL, 0, 0}, -1, 0, 0},
};

START_TEST(test_select)
{
	char *corp[] = {"corp.example"};
	char *pn[] = {"x"};
	struct cfg_policy pols[3] = {
		{.name = "off",
		 .enabled = false,
		 .from = {.any = true},
		 .to = {.any = true},
		 .profiles = pn,
		 .n_profiles = 1,
		 .min_severity = CFG_SEV_LOW},
		{.name = "hold",
		 .enabled = true,
		 .from = {.domains = corp, .n_domains = 1},
		 .to = {.external = true},
		 .profiles = pn,
		 .n_profiles = 2,
		 .min_severity = CFG_SEV_MEDIUM},
		{.name = "all",
		 .enabled = true,
		 .from = {.any = true},
		 .to = {.any = true},
		 .profiles = pn,
		 .n_profiles = 1,
		 .min_severity = CFG_SEV_LOW},
	};
	struct cfg cfg = {.policies = pols, .n_policies = 3};
	cfg.dlp.internal_domains = corp;
	cfg.dlp.n_internal_domains = 1;
	size_t p0[] = {2}, p1[] = {1, 0}, p2[] = {2};
	const size_t *pp[] = {p0, p1, p2};
	const char *rc[] = {sel_cases[_i].rcpt};
	struct dlp_policy_input in = {.from = sel_cases[_i].from,
				      .rcpts = rc,
				      .n_rcpts = 1,
				      .profile_sev = sel_cases[_i].sev,
				      .policy_profiles = pp};
	size_t prof = 99;
	enum cfg_severity sev = CFG_SEV_NONE;
	int r = dlp_policy_select(&cfg, &in, &prof, &sev);
	ck_assert_int_eq(r, sel_cases[_i].policy);
	if (r >= 0) {
		ck_assert_uint_eq(prof, sel_cases[_i].profile);
		ck_assert_int_eq(sev, sel_cases[_i].severity);
	}
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("all");
	tcase_add_loop_test(tc, test_addr_list, 0, N(addr_cases));
	tcase_add_loop_test(tc, test_internal, 0, N(dom_cases));
	tcase_add_test(tc, test_userset);
	tcase_add_loop_test(tc, test_select, 0, N(sel_cases));
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
