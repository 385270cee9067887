/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_rule_expr.c — entity expression parser: precedence, quoting, NEAR,
 * error offsets, and evaluation truth tables.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/rule_expr.h"

/* Append s to out (always NUL-terminated, truncating). */
static void app(char *out, size_t len, const char *s)
{
	size_t n = strlen(out);
	snprintf(out + n, len - n, "%s", s);
}

/* Render a parsed expression fully parenthesised into out (which must start
 * as ""), to check the shape. */
static void render(const struct dlp_expr *e, int n, char *out, size_t len)
{
	const struct dlp_expr_node *nd = &e->nodes[n];
	char num[32];

	switch (nd->op) {
	case DLP_EXPR_ENTITY:
		app(out, len, nd->name);
		break;
	case DLP_EXPR_NOT:
		app(out, len, "(NOT ");
		render(e, nd->a, out, len);
		app(out, len, ")");
		break;
	default:
		app(out, len, "(");
		render(e, nd->a, out, len);
		if (nd->op == DLP_EXPR_NEAR) {
			snprintf(num, sizeof(num), " NEAR%u ", nd->distance);
			app(out, len, num);
		} else {
			app(out, len, nd->op == DLP_EXPR_AND ? " AND " : " OR ");
		}
		render(e, nd->b, out, len);
		app(out, len, ")");
		break;
	}
}

static const struct {
	const char *in, *shape;
} ok_cases[] = {
	{"a", "a"},
	{"  a  ", "a"},
	{"a AND b", "(a AND b)"},
	{"a and b or c", "((a AND b) OR c)"},
	{"a OR b AND c", "(a OR (b AND c))"},
	{"NOT a AND b", "((NOT a) AND b)"},
	{"NOT NOT a", "(NOT (NOT a))"},
	{"a NEAR(10) b AND c", "((a NEAR10 b) AND c)"},
	{"a OR b NEAR( 5 ) c", "(a OR (b NEAR5 c))"},
	{"(a OR b) AND NOT c", "((a OR b) AND (NOT c))"},
	{"\"Account Manager\" AND \"x AND y\"", "(Account Manager AND x AND y)"},
	{"credit-card AND project-code", "(credit-card AND project-code)"},
	{"a AND b AND c", "((a AND b) AND c)"},
	{"((a))", "a"},
	{"a\tOR\nb", "(a OR b)"},
	{"(a) NEAR(0) (b)", "(a NEAR0 b)"},
};

START_TEST(test_parse_ok)
{
	struct dlp_expr *e = NULL;
	char err[128], shape[1024] = "";
	size_t off = 99;
	const char *in = ok_cases[_i].in;
	ck_assert_int_eq(dlp_expr_parse(in, strlen(in), &e, err, sizeof(err), &off), DLP_EXPR_OK);
	render(e, e->root, shape, sizeof(shape));
	ck_assert_str_eq(shape, ok_cases[_i].shape);
	dlp_expr_free(e);
}
END_TEST

static const struct {
	const char *in;
	size_t off;
	const char *msg; /* substring of the message */
} bad_cases[] = {
	{"", 0, "ended"},
	{"a AND", 5, "ended"},
	{"a b", 2, "expected AND"},
	{"(a OR b", 7, "missing ')'"},
	{"a)", 1, "unbalanced"},
	{"\"a", 0, "unterminated"},
	{"\"\"", 0, "empty"},
	{"a NEAR b", 7, "expected '('"},
	{"a NEAR() b", 7, "distance"},
	{"a NEAR(5 b", 9, "expected ')'"},
	{"a NEAR(9999999) b", 7, "too large"},
	{"(a OR b) NEAR(3) c", 9, "entity names"},
	{"a NEAR(3) NOT b", 10, "entity names"},
	{"a NEAR(3) b NEAR(3) c", 12, "entity names"},
	{"AND a", 0, "expected an entity"},
	{"NOT", 3, "ended"},
};

START_TEST(test_parse_bad)
{
	struct dlp_expr *e = (struct dlp_expr *)1;
	char err[128];
	size_t off = 12345;
	const char *in = bad_cases[_i].in;
	ck_assert_int_eq(dlp_expr_parse(in, strlen(in), &e, err, sizeof(err), &off),
			 DLP_EXPR_SYNTAX);
	ck_assert_ptr_null(e);
	ck_assert_msg(off == bad_cases[_i].off, "%s: offset %zu, want %zu (%s)", in, off,
		      bad_cases[_i].off, err);
	ck_assert_msg(strstr(err, bad_cases[_i].msg), "%s: message '%s'", in, err);
	char pfx[32];
	snprintf(pfx, sizeof(pfx), "offset %zu:", bad_cases[_i].off);
	ck_assert_msg(strncmp(err, pfx, strlen(pfx)) == 0, "%s", err);
}
END_TEST

START_TEST(test_depth_limit)
{
	char buf[200];
	size_t n = 0;
	for (int i = 0; i < 60; i++)
		buf[n++] = '(';
	buf[n++] = 'a';
	for (int i = 0; i < 60; i++)
		buf[n++] = ')';
	struct dlp_expr *e;
	char err[128];
	ck_assert_int_eq(dlp_expr_parse(buf, n, &e, err, sizeof(err), NULL), DLP_EXPR_SYNTAX);
	ck_assert_ptr_nonnull(strstr(err, "nested"));
}
END_TEST

START_TEST(test_no_nul_reliance)
{
	/* length excludes the trailing garbage */
	const char buf[] = "a AND bXXXX";
	struct dlp_expr *e;
	char err[64], shape[64] = "";
	ck_assert_int_eq(dlp_expr_parse(buf, 7, &e, err, sizeof(err), NULL), DLP_EXPR_OK);
	render(e, e->root, shape, sizeof(shape));
	ck_assert_str_eq(shape, "(a AND b)");
	dlp_expr_free(e);
}
END_TEST

/* Evaluation: entities a=0 b=1 c=2 resolved by name. */
static const struct {
	const char *in;
	unsigned present; /* bit i = entity i present */
	bool near;	  /* value for every NEAR node */
	bool want;
} eval_cases[] = {
	{"a AND b", 3, false, true},
	{"a AND b", 1, false, false},
	{"a OR b", 2, false, true},
	{"a AND NOT c", 1, false, true},
	{"a AND NOT c", 5, false, false},
	{"NOT a", 0, false, true},
	{"a NEAR(5) b", 3, false, false},
	{"a NEAR(5) b", 3, true, true},
	{"(a OR b) AND NOT (c OR b)", 1, false, true},
	{"(a OR b) AND NOT (c OR b)", 3, false, false},
};

START_TEST(test_eval)
{
	struct dlp_expr *e;
	char err[64];
	const char *in = eval_cases[_i].in;
	ck_assert_int_eq(dlp_expr_parse(in, strlen(in), &e, err, sizeof(err), NULL), DLP_EXPR_OK);
	bool present[3], near[DLP_EXPR_MAX_NODES];
	for (int i = 0; i < 3; i++)
		present[i] = (eval_cases[_i].present >> i) & 1;
	for (size_t k = 0; k < e->n_nodes; k++) {
		struct dlp_expr_node *nd = &e->nodes[k];
		near[k] = eval_cases[_i].near;
		if (nd->op == DLP_EXPR_ENTITY)
			nd->entity = nd->name[0] - 'a';
	}
	ck_assert_int_eq(dlp_expr_eval(e, e->root, present, near), eval_cases[_i].want);
	dlp_expr_free(e);
}
END_TEST

START_TEST(test_negation_marks)
{
	struct dlp_expr *e;
	char err[64];
	const char *in = "a AND NOT (b OR NOT c)";
	ck_assert_int_eq(dlp_expr_parse(in, strlen(in), &e, err, sizeof(err), NULL), DLP_EXPR_OK);
	for (size_t k = 0; k < e->n_nodes; k++) {
		struct dlp_expr_node *nd = &e->nodes[k];
		if (nd->op != DLP_EXPR_ENTITY)
			continue;
		bool want = nd->name[0] == 'b';
		ck_assert_msg(nd->negated == want, "%s", nd->name);
	}
	dlp_expr_free(e);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
	Suite *s = suite_create("rule_expr");
	TCase *tc = tcase_create("all");
	tcase_add_loop_test(tc, test_parse_ok, 0, N(ok_cases));
	tcase_add_loop_test(tc, test_parse_bad, 0, N(bad_cases));
	tcase_add_loop_test(tc, test_eval, 0, N(eval_cases));
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_no_nul_reliance);
	tcase_add_test(tc, test_negation_marks);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
