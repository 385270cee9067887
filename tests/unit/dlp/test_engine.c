/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_engine.c — the engine end to end with a hand-built config:
 * identifiers and regexes, rule expressions (AND, NOT, NEAR), counting modes,
 * scopes (subject as content, addresses as metadata), policy order,
 * internal vs external recipients, verdict contents, split invariance,
 * limits → unscannable, and build errors with file:line messages.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcfg.h"

static struct tcfg T;
static struct dlp_policy_set *ps;
static struct dlp_scanner *sc;

static void build_cfg(struct tcfg *t)
{
	tcfg_init(t);
	tcfg_dict(t, "kw", false, "Customer", "Account Manager", "Sales Engineer", "Purchase date",
		  NULL);
	tcfg_ident(t, "card", CFG_ID_PAYMENT_CARD);
	tcfg_ident(t, "ssn", CFG_ID_US_SSN);
	tcfg_ident(t, "iban", CFG_ID_IBAN);
	tcfg_regex(t, "prj", "PRJ-[0-9]{6}");
	tcfg_dict(t, "conf", false, "confidential", NULL);
	tcfg_rule(t, "seed", "kw", CFG_COUNT_UNIQUE, 2, 3, 4, 4, CFG_SCOPE_CONTENT);
	tcfg_rule(t, "cards", "card", CFG_COUNT_UNIQUE, 1, 3, 0, 0, CFG_SCOPE_CONTENT);
	tcfg_rule(t, "near", "prj NEAR(20) conf", CFG_COUNT_TOTAL, 1, 0, 0, 0, CFG_SCOPE_CONTENT);
	tcfg_rule(t, "ssn-alone", "ssn AND NOT kw", CFG_COUNT_TOTAL, 1, 0, 0, 0, CFG_SCOPE_CONTENT);
	tcfg_rule(t, "meta", "kw", CFG_COUNT_TOTAL, 1, 0, 0, 0, CFG_SCOPE_METADATA);
	tcfg_rule(t, "score", "kw", CFG_COUNT_SCORE, 10, 0, 0, 0, CFG_SCOPE_CONTENT);
	tcfg_rule(t, "iban", "iban OR prj", CFG_COUNT_TOTAL, 1, 2, 0, 0, CFG_SCOPE_CONTENT);
	tcfg_profile(t, "P-seed", "seed", NULL);
	tcfg_profile(t, "P-cards", "cards", NULL);
	tcfg_profile(t, "P-misc", "near", "ssn-alone", "iban", NULL);
	tcfg_profile(t, "P-meta", "meta", NULL);
	tcfg_profile(t, "P-score", "score", NULL);
	struct cfg_policy *p = tcfg_policy(t, "hold", "corp.example", true, CFG_SEV_LOW,
					   CFG_ACTION_ADD_HEADER, "P-seed", NULL);
	p->header_name = (char *)"X-DLP-Hold";
	p->header_value = (char *)"Customer email Hold";
	tcfg_policy(t, "block cards", NULL, true, CFG_SEV_MEDIUM, CFG_ACTION_BLOCK, "P-cards",
		    NULL);
	tcfg_policy(t, "misc", NULL, false, CFG_SEV_LOW, CFG_ACTION_ALERT, "P-misc", NULL);
	p = tcfg_policy(t, "meta", NULL, false, CFG_SEV_LOW, CFG_ACTION_QUARANTINE, "P-meta",
			"P-score", NULL);
	p->notify_sender = true;
}

static void setup(void)
{
	build_cfg(&T);
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

static char *mkmsg(const char *from, const char *to, const char *subject, const char *body,
		   size_t *len)
{
	char *m = NULL;
	int n = asprintf(&m,
			 "From: %s\r\nTo: %s\r\nSubject: %s\r\nMIME-Version: 1.0\r\n"
			 "Content-Type: text/plain; charset=us-ascii\r\n\r\n%s\r\n",
			 from, to, subject, body);
	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	return m;
}

static const char twenty_customers[] =
	"Customer Customer Customer Customer Customer Customer Customer Customer Customer "
	"Customer Customer Customer Customer Customer Customer Customer Customer Customer "
	"Customer Customer";

#define NB "\xc2\xa0" /* NBSP in UTF-8 */

static const struct {
	const char *name;
	const char *from, *to, *subject, *body;
	const char *policy; /* NULL = none */
	enum cfg_action action;
	enum cfg_severity severity;
	const char *profile;
	const char *rules; /* "name:sev:count:unique:score;..." triggered rules */
} cases[] = {
	{"customer alone 20x -> no seed trigger, score rule", "a@corp.example", "x@gmail.com",
	 "hello", twenty_customers, "meta", CFG_ACTION_QUARANTINE, CFG_SEV_LOW, "P-score",
	 "score:1:20:1:20;"},
	{"customer + account manager -> low", "a@corp.example", "x@gmail.com", "hi",
	 "Dear Customer, your Account Manager", "hold", CFG_ACTION_ADD_HEADER, CFG_SEV_LOW,
	 "P-seed", "seed:1:2:2:2;"},
	{"all four -> top threshold", "a@corp.example", "x@gmail.com", "hi",
	 "Customer; Account Manager; Sales Engineer; Purchase date; Customer", "hold",
	 CFG_ACTION_ADD_HEADER, CFG_SEV_CRITICAL, "P-seed", "seed:4:5:4:5;"},
	{"internal recipient -> no hold", "a@corp.example", "y@mail.corp.example", "hi",
	 "Customer; Account Manager", NULL, CFG_ACTION_ALLOW, CFG_SEV_NONE, NULL, "seed:1:2:2:2;"},
	{"sender outside corp -> no hold", "a@other.org", "x@gmail.com", "hi",
	 "Customer; Account Manager", NULL, CFG_ACTION_ALLOW, CFG_SEV_NONE, NULL, "seed:1:2:2:2;"},
	{"subject counts as content", "a@corp.example", "x@gmail.com", "Account Manager",
	 "Customer", "hold", CFG_ACTION_ADD_HEADER, CFG_SEV_LOW, "P-seed", "seed:1:2:2:2;"},
	{"valid cards unique -> medium block", "a@corp.example", "x@gmail.com", "cards",
	 "4111 1111 1111 1111, 5555-5555-5555-4444 and 378282246310005; "
	 "again 4111111111111111; bad 4111111111111112",
	 "block cards", CFG_ACTION_BLOCK, CFG_SEV_MEDIUM, "P-cards", "cards:2:4:3:4;"},
	{"one card -> low, below block min", "a@corp.example", "x@gmail.com", "cards",
	 "4111 1111 1111 1111", NULL, CFG_ACTION_ALLOW, CFG_SEV_NONE, NULL, "cards:1:1:1:1;"},
	{"cards grouped by NBSP (HTML &nbsp;) -> medium block", "a@corp.example", "x@gmail.com",
	 "cards",
	 "4111" NB "1111" NB "1111" NB "1111, 5555" NB "5555" NB "5555" NB "4444 and 3782" NB
	 "822463" NB "10005; mixed 4111" NB "1111-1111 1111",
	 "block cards", CFG_ACTION_BLOCK, CFG_SEV_MEDIUM, "P-cards", "cards:2:3:3:3;"},
	{"NBSP run inside a longer digit run is not a card", "a@corp.example", "x@gmail.com", "x",
	 "4111" NB "1111" NB "1111" NB "1111" NB "1111" NB "1", NULL, CFG_ACTION_ALLOW,
	 CFG_SEV_NONE, NULL, ""},
	{"card inside a longer digit run is not a card", "a@corp.example", "x@gmail.com", "x",
	 "41111111111111119 x4111111111111111 4111111111111111-22", NULL, CFG_ACTION_ALLOW,
	 CFG_SEV_NONE, NULL, ""},
	{"ssn without keywords -> misc alert", "a@corp.example", "y@corp.example", "x",
	 "SSN 123-45-6789 and 078-05-1120", "misc", CFG_ACTION_ALERT, CFG_SEV_LOW, "P-misc",
	 "ssn-alone:1:1:1:1;"},
	{"ssn with a keyword -> NOT blocks", "a@corp.example", "y@corp.example", "x",
	 "SSN 123 45 6789 Customer", NULL, CFG_ACTION_ALLOW, CFG_SEV_NONE, NULL, ""},
	{"prj near confidential", "a@corp.example", "y@corp.example", "x",
	 "PRJ-123456 is confidential", "misc", CFG_ACTION_ALERT, CFG_SEV_LOW, "P-misc",
	 "near:1:2:2:2;iban:1:1:1:1;"},
	{"prj far from confidential", "a@corp.example", "y@corp.example", "x",
	 "PRJ-123456 ............................................ confidential", "misc",
	 CFG_ACTION_ALERT, CFG_SEV_LOW, "P-misc", "iban:1:1:1:1;"},
	{"iban with spaces + prj -> medium", "a@corp.example", "y@corp.example", "x",
	 "pay to DE89 3704 0044 0532 0130 00 ref PRJ-000001", "misc", CFG_ACTION_ALERT,
	 CFG_SEV_MEDIUM, "P-misc", "iban:2:2:2:2;"},
	{"keyword in To display name -> metadata rule", "a@corp.example",
	 "\"Customer Care\" <care@corp.example>", "x", "nothing here", "meta",
	 CFG_ACTION_QUARANTINE, CFG_SEV_LOW, "P-meta", "meta:1:1:1:1;"},
};

/* Check the triggered rules against "name:sev:count:unique:score;..." */
static void check_rules(const struct dlp_verdict *v, const char *spec, const char *what)
{
	size_t n = 0;
	const char *p = spec;
	while (*p) {
		char name[64];
		int sev;
		unsigned cnt, uniq;
		long long score;
		int used = 0;
		ck_assert_int_eq(sscanf(p, "%63[^:]:%d:%u:%u:%lld;%n", name, &sev, &cnt, &uniq,
					&score, &used),
				 5);
		const struct dlp_rule_result *r = trule(v, name);
		ck_assert_msg(r != NULL, "%s: rule %s not triggered", what, name);
		ck_assert_msg((int)r->severity == sev, "%s: %s severity %d", what, name,
			      r->severity);
		ck_assert_msg(r->count == cnt && r->unique_count == uniq && r->score == score,
			      "%s: %s counts %u/%u/%lld", what, name, r->count, r->unique_count,
			      (long long)r->score);
		p += used;
		n++;
	}
	ck_assert_msg(v->n_rules == n, "%s: %zu rules triggered, want %zu", what, v->n_rules, n);
}

static void check_case(int i, struct dlp_verdict *v)
{
	const char *what = cases[i].name;
	if (cases[i].policy) {
		ck_assert_msg(v->policy && strcmp(v->policy, cases[i].policy) == 0, "%s: policy %s",
			      what, v->policy ? v->policy : "(none)");
		ck_assert_str_eq(v->profile, cases[i].profile);
	} else {
		ck_assert_msg(v->policy == NULL, "%s: policy %s", what, v->policy);
		ck_assert_ptr_null(v->profile);
	}
	ck_assert_int_eq(v->action, cases[i].action);
	ck_assert_int_eq(v->severity, cases[i].severity);
	check_rules(v, cases[i].rules, what);
	ck_assert(!v->unscannable);
}

START_TEST(test_cases)
{
	size_t len;
	char *m = mkmsg(cases[_i].from, cases[_i].to, cases[_i].subject, cases[_i].body, &len);
	struct dlp_verdict *v = tscan(sc, NULL, NULL, m, len, len);
	check_case(_i, v);
	dlp_verdict_free(v);
	free(m);
}
END_TEST

START_TEST(test_cases_every_split)
{
	size_t len;
	char *m = mkmsg(cases[_i].from, cases[_i].to, cases[_i].subject, cases[_i].body, &len);
	for (size_t s = 0; s <= len; s++) {
		struct dlp_verdict *v = tscan(sc, NULL, NULL, m, len, s);
		check_case(_i, v);
		dlp_verdict_free(v);
	}
	free(m);
}
END_TEST

START_TEST(test_verdict_contents)
{
	size_t len;
	char *m =
		mkmsg("Alice <Alice@Corp.Example>", "x@gmail.com, \"B\" <b@corp.example>",
		      "Account Manager",
		      "Customer 4111 1111 1111 1111 ssn 123-45-6789 DE89370400440532013000", &len);
	struct dlp_verdict *v = tscan(sc, NULL, NULL, m, len, len);
	ck_assert_str_eq(v->policy, "hold");
	ck_assert_str_eq(v->header_name, "X-DLP-Hold");
	ck_assert_str_eq(v->header_value, "Customer email Hold");
	ck_assert_str_eq(v->from, "alice@corp.example");
	ck_assert_uint_eq(v->n_rcpts, 2);
	ck_assert_str_eq(v->rcpts[0], "x@gmail.com");
	ck_assert_str_eq(v->rcpts[1], "b@corp.example");
	ck_assert_str_eq(v->subject, "Account Manager");
	ck_assert_uint_eq(v->raw_bytes, len);
	ck_assert_uint_gt(v->decoded_bytes, 60);
	const struct dlp_entity_result *kw = tentity(v, "kw");
	ck_assert_uint_eq(kw->count, 2);
	ck_assert_str_eq(kw->matches[0].part, "header:subject");
	ck_assert_uint_eq(kw->matches[0].offset, 0);
	ck_assert_str_eq(kw->matches[1].part, "1");
	const struct dlp_entity_result *card = tentity(v, "card");
	ck_assert_str_eq(card->matches[0].value, "4111********1111");
	ck_assert_ptr_null(card->matches[0].term);
	ck_assert_uint_eq(card->matches[0].offset, 9);
	ck_assert_str_eq(tentity(v, "ssn")->matches[0].value, "***-**-6789");
	ck_assert_str_eq(tentity(v, "iban")->matches[0].value, "DE89**************3000");
	ck_assert_ptr_null(tentity(v, "prj"));
	dlp_verdict_free(v);

	/* envelope overrides the headers */
	const char *rc[] = {"z@corp.example"};
	struct dlp_envelope env = {"bob@corp.example", rc, 1};
	struct dlp_txn *t = dlp_txn_begin(sc, &env);
	ck_assert_int_eq(dlp_txn_feed(t, m, len), 0);
	v = dlp_txn_end(t);
	/* internal recipient: no hold; the IBAN makes the any-recipient policy match */
	ck_assert_str_eq(v->policy, "misc");
	ck_assert_str_eq(v->from, "bob@corp.example");
	ck_assert_uint_eq(v->n_rcpts, 1);
	ck_assert_str_eq(v->rcpts[0], "z@corp.example");
	dlp_verdict_free(v);
	free(m);
}
END_TEST

START_TEST(test_max_matches_and_abort)
{
	struct tcfg t;
	build_cfg(&t);
	t.c.dlp.limits.max_matches = 3;
	struct dlp_policy_set *p = tcfg_build(&t);
	struct dlp_scanner *s = dlp_scanner_create(p);
	size_t len;
	char *m = mkmsg("a@corp.example", "x@gmail.com", "x", twenty_customers, &len);
	/* an aborted transaction leaves nothing behind */
	struct dlp_txn *tx = dlp_txn_begin(s, NULL);
	ck_assert_int_eq(dlp_txn_feed(tx, m, len / 2), 0);
	dlp_txn_abort(tx);
	struct dlp_verdict *v = tscan(s, NULL, NULL, m, len, len);
	const struct dlp_entity_result *kw = tentity(v, "kw");
	ck_assert_uint_eq(kw->count, 20);
	ck_assert_uint_eq(kw->n_matches, 3);
	dlp_verdict_free(v);
	dlp_txn_abort(NULL);
	free(m);
	dlp_scanner_destroy(s);
	dlp_policy_set_unref(p);
	tcfg_free_terms(&t);
}
END_TEST

/* A message abandoned mid-part (or a begin while one is open) must not
 * leave its Hyperscan stream behind: the next message on the scanner is
 * scanned as on a fresh one (found by fuzz_dlp_engine: it matched nothing). */
START_TEST(test_abort_mid_part_then_scan)
{
	static const char second[] = "Subject: y\r\n\r\nAccount Manager and Customer PRJ-000111\r\n";
	size_t big_len = 140000;
	char *big = malloc(big_len + 64);
	int n = snprintf(big, 64, "Subject: x\r\n\r\n");

	memset(big + n, 'A', big_len);
	memcpy(big + n + big_len, "\r\n", 2);
	for (int mode = 0; mode < 3; mode++) {
		struct dlp_scanner *fresh = dlp_scanner_create(ps);
		struct dlp_verdict *want = tscan(fresh, NULL, NULL, second, strlen(second), 7);
		struct dlp_txn *tx = dlp_txn_begin(sc, NULL);

		/* mode 0: abort in the body, 1: abort in the headers, 2: begin again */
		ck_assert_int_eq(dlp_txn_feed(tx, big, mode == 1 ? 5 : 70000), 0);
		if (mode < 2)
			dlp_txn_abort(tx);
		struct dlp_verdict *got = tscan(sc, NULL, NULL, second, strlen(second), 7);
		ck_assert_uint_eq(tentity(got, "kw")->count, tentity(want, "kw")->count);
		ck_assert_uint_eq(tentity(got, "kw")->count, 2);
		ck_assert_uint_eq(tentity(got, "prj")->count, 1);
		ck_assert_uint_eq(tentity(got, "prj")->matches[0].offset,
				  tentity(want, "prj")->matches[0].offset);
		ck_assert_int_eq(got->action, want->action);
		dlp_verdict_free(got);
		dlp_verdict_free(want);
		dlp_scanner_destroy(fresh);
	}
	free(big);
}
END_TEST

START_TEST(test_scan_limit_unscannable)
{
	struct tcfg t;
	build_cfg(&t);
	t.c.dlp.scan_limit = 64;
	t.c.dlp.on_unscannable = CFG_UNSCANNABLE_HOLD;
	struct dlp_policy_set *p = tcfg_build(&t);
	struct dlp_scanner *s = dlp_scanner_create(p);
	char body[400];
	memset(body, 'x', sizeof(body));
	memcpy(body + 300, " Customer", 9);
	body[sizeof(body) - 1] = '\0';
	size_t len;
	char *m = mkmsg("a@corp.example", "x@gmail.com", "x", body, &len);
	struct dlp_verdict *v = tscan(s, NULL, NULL, m, len, len);
	ck_assert(v->anomalies & DLP_ANOM_SCAN_LIMIT);
	ck_assert(v->unscannable);
	ck_assert_int_eq(v->on_unscannable, CFG_UNSCANNABLE_HOLD);
	ck_assert_uint_le(v->decoded_bytes, 64);
	ck_assert_ptr_null(tentity(v, "kw")); /* past the limit: not scanned */
	dlp_verdict_free(v);
	free(m);
	dlp_scanner_destroy(s);
	dlp_policy_set_unref(p);
	tcfg_free_terms(&t);
}
END_TEST

/* A second Content-Transfer-Encoding (or Content-Type) in one entity is
 * ambiguous: unscannable, and the first one is used to scan. */
START_TEST(test_header_twice_unscannable)
{
	static const char m[] = "From: a@corp.example\r\nTo: x@gmail.com\r\nSubject: x\r\n"
				"Content-Type: text/plain\r\n"
				"Content-Transfer-Encoding: base64\r\n"
				"Content-Transfer-Encoding: 7bit\r\n\r\n"
				"Q3VzdG9tZXI=\r\n";
	struct tcfg t;
	build_cfg(&t);
	t.c.dlp.on_unscannable = CFG_UNSCANNABLE_HOLD;
	struct dlp_policy_set *p = tcfg_build(&t);
	struct dlp_scanner *s = dlp_scanner_create(p);
	struct dlp_verdict *v = tscan(s, NULL, NULL, m, sizeof(m) - 1, sizeof(m) - 1);
	ck_assert(v->anomalies & DLP_ANOM_AMBIGUOUS_HEADER);
	ck_assert(v->unscannable);
	ck_assert_int_eq(v->on_unscannable, CFG_UNSCANNABLE_HOLD);
	ck_assert_ptr_nonnull(tentity(v, "kw")); /* decoded as base64 */
	dlp_verdict_free(v);
	dlp_scanner_destroy(s);
	dlp_policy_set_unref(p);
	tcfg_free_terms(&t);
}
END_TEST

/* Characters that show as nothing (soft hyphen, zero-width space / joiner,
 * word joiner, BOM) inside or next to the terms do not hide them: in a
 * UTF-8 text part, in HTML as entities and raw, at every split. */
START_TEST(test_invisible_characters)
{
	static const char m[] =
		"From: a@corp.example\r\nTo: x@gmail.com\r\nSubject: x\r\n"
		"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		"Cus=C2=ADtomer and the Account Man=E2=80=8Bager\r\n"
		"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
		"<p>Sales Engin&shy;eer, Purchase&#8203; d\xe2\x81\xa0" "ate</p>\r\n"
		"--b--\r\n";
	struct tcfg t;
	build_cfg(&t);
	struct dlp_policy_set *p = tcfg_build(&t);
	struct dlp_scanner *s = dlp_scanner_create(p);
	for (size_t split = 0; split < sizeof(m); split += 7) {
		struct dlp_verdict *v = tscan(s, NULL, NULL, m, sizeof(m) - 1, split);
		const struct dlp_entity_result *e = tentity(v, "kw");
		ck_assert_ptr_nonnull(e);
		ck_assert_msg(e->unique_count == 4, "split %zu: %u unique", split, e->unique_count);
		ck_assert(!v->unscannable);
		dlp_verdict_free(v);
	}
	dlp_scanner_destroy(s);
	dlp_policy_set_unref(p);
	tcfg_free_terms(&t);
}
END_TEST

/* Hyperscan reports every end of a variable-length regex match; the engine
 * counts one match per leftmost start and records the longest value. */
START_TEST(test_regex_one_match_per_start)
{
	struct tcfg t;
	tcfg_init(&t);
	tcfg_regex(&t, "email", "[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}");
	tcfg_rule(&t, "mails", "email", CFG_COUNT_UNIQUE, 1, 0, 0, 0, CFG_SCOPE_CONTENT);
	struct dlp_policy_set *p = tcfg_build(&t);
	struct dlp_scanner *s = dlp_scanner_create(p);
	size_t len;
	char *m = mkmsg("x", "y", "x",
			"write to joe@example.com or ann@mail.example.org, again joe@example.com",
			&len);
	for (size_t split = 0; split <= len; split += 7) {
		struct dlp_verdict *v = tscan(s, NULL, NULL, m, len, split);
		const struct dlp_entity_result *e = tentity(v, "email");
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->count, 3);
		ck_assert_uint_eq(e->unique_count, 2);
		ck_assert_uint_eq(e->n_matches, 3);
		ck_assert_str_eq(e->matches[0].value, "joe@*******.com");
		ck_assert_uint_eq(e->matches[0].offset, 9);
		ck_assert_str_eq(e->matches[1].value, "ann@************.org");
		ck_assert_uint_eq(trule(v, "mails")->unique_count, 2);
		dlp_verdict_free(v);
	}
	free(m);
	dlp_scanner_destroy(s);
	dlp_policy_set_unref(p);
}
END_TEST

/* Build errors: what to break, and a substring of the message. */
static const struct {
	int what;
	const char *msg;
} bad_cases[] = {
	{0, "test.conf:100: dlp.rules.seed.match: unknown entity \"nope\""},
	{1, "test.conf:100: dlp.rules.seed.match: offset 3: expected AND"},
	{2, "dlp.entities.prj: pattern rejected"},
	{3, "dlp.profiles.P-seed.rules: unknown rule \"ghost\""},
	{4, "policies.hold.profiles: unknown profile \"ghost\""},
	{5, "dlp.entities.kw: duplicate name"},
};

START_TEST(test_build_errors)
{
	struct tcfg t;
	build_cfg(&t);
	switch (bad_cases[_i].what) {
	case 0:
		t.rule[0].match = (char *)"nope";
		break;
	case 1:
		t.rule[0].match = (char *)"kw kw";
		break;
	case 2:
		t.ent[4].pattern = (char *)"PRJ-([";
		break;
	case 3:
		t.prof[0].rules[0] = (char *)"ghost";
		break;
	case 4:
		t.pol[0].profiles[0] = (char *)"ghost";
		break;
	case 5:
		t.ent[5].name = (char *)"kw";
		break;
	}
	char err[256] = "";
	errno = 0;
	struct dlp_policy_set *p = dlp_policy_set_build(&t.c, err, sizeof(err));
	ck_assert_ptr_null(p);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(strstr(err, bad_cases[_i].msg), "got '%s'", err);
	tcfg_free_terms(&t);
}
END_TEST

START_TEST(test_refcount_and_reuse)
{
	/* the scanner keeps the set alive after the caller's unref */
	struct tcfg t;
	build_cfg(&t);
	struct dlp_policy_set *p = tcfg_build(&t);
	struct dlp_scanner *s = dlp_scanner_create(p);
	dlp_policy_set_unref(p);
	tcfg_free_terms(&t); /* the set owns copies of everything it needs */
	size_t len;
	char *m = mkmsg("a@corp.example", "x@gmail.com", "x", "Customer Account Manager", &len);
	for (int i = 0; i < 3; i++) {
		struct dlp_verdict *v = tscan(s, NULL, NULL, m, len, len);
		ck_assert_str_eq(v->policy, "hold");
		ck_assert_uint_eq(tentity(v, "kw")->unique_count, 2);
		dlp_verdict_free(v);
	}
	free(m);
	dlp_scanner_destroy(s);
	dlp_policy_set_unref(NULL);
	dlp_scanner_destroy(NULL);
	dlp_verdict_free(NULL);
	ck_assert_str_eq(dlp_anomaly_name(DLP_ANOM_SCAN_LIMIT), "scan-limit");
	ck_assert_ptr_null(dlp_anomaly_name(1u << 30));
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("engine");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_cases, 0, N(cases));
	tcase_add_loop_test(tc, test_cases_every_split, 0, N(cases));
	tcase_add_test(tc, test_verdict_contents);
	suite_add_tcase(s, tc);
	TCase *tb = tcase_create("build");
	tcase_add_test(tb, test_max_matches_and_abort);
	tcase_add_test(tc, test_abort_mid_part_then_scan);
	tcase_add_test(tb, test_scan_limit_unscannable);
	tcase_add_test(tb, test_header_twice_unscannable);
	tcase_add_test(tb, test_invisible_characters);
	tcase_add_loop_test(tb, test_build_errors, 0, N(bad_cases));
	tcase_add_test(tb, test_refcount_and_reuse);
	tcase_add_test(tb, test_regex_one_match_per_start);
	suite_add_tcase(s, tb);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
