/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_alert_query.c — the alerts query language: SQL and parameters for
 * valid queries (including the seed's URL-encoded one), error classes and
 * reasons for invalid ones, and every generated WHERE clause prepared by
 * SQLite against the shape of the incidents tables.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/alert_query.h"

struct ok_case {
	const char *in;
	const char *sql;
	const char *params; /* params joined by '|', ints as #n */
};

static const struct ok_case ok_cases[] = {
	{"", "1", ""},
	{"   ", "1", ""},
	{"policy eq 'Customer email Hold'", "(policy = ?)", "Customer email Hold"},
	/* the seed's request, URL-encoded inside JSON */
	{"(policy%20in%20%5B%20'Customer%20email%20Hold'%20%5D)", "((policy IN (?)))",
	 "Customer email Hold"},
	{"(policy in [ 'Customer email Hold' ])", "((policy IN (?)))", "Customer email Hold"},
	{"policy+eq+'a%20b'", "(policy = ?)", "a b"},
	{"policy in ['a','b', \"c\"]", "(policy IN (?,?,?))", "a|b|c"},
	{"POLICY EQ 'x'", NULL, NULL}, /* field names are case-sensitive: error below */
	{"policy EQ 'x' AND action Eq block", "(policy = ?) AND (action = ?)", "x|block"},
	{"object like 'secret'", "(object LIKE ? ESCAPE '\\')", "%secret%"},
	{"object like 'Q3%'", "(object LIKE ? ESCAPE '\\')", "Q3%"},
	{"object like 'a_b\\\\c'", "(object LIKE ? ESCAPE '\\')", "%a\\_b\\\\c%"},
	{"object%20like%20'%25plan%25'", "(object LIKE ? ESCAPE '\\')", "%plan%"},
	{"a_or_b", NULL, NULL},
	{"policy eq 'a' or policy eq 'b' and action eq 'block'",
	 "(policy = ?) OR (policy = ?) AND (action = ?)", "a|b|block"},
	{"(policy eq 'a' or policy eq 'b') and not acked eq true",
	 "((policy = ?) OR (policy = ?)) AND (NOT (acked = ?))", "a|b|#1"},
	{"file_size gt 1000 and dlp_rule_count ge '2'", "(file_size > ?) AND (dlp_rule_count >= ?)",
	 "#1000|#2"},
	{"dlp_incident_id in [1, 2,3]", "(id IN (?,?,?))", "#1|#2|#3"},
	{"from_user eq 'Alice@Corp.Example'", "(from_user COLLATE NOCASE = ?)",
	 "Alice@Corp.Example"},
	{"smtp_to eq 'bob@ext.example'",
	 "(EXISTS (SELECT 1 FROM incident_rcpts r WHERE r.incident_id = incidents.id AND "
	 "r.rcpt COLLATE NOCASE = ?))",
	 "bob@ext.example"},
	{"smtp_to ne 'bob@ext.example'",
	 "(NOT EXISTS (SELECT 1 FROM incident_rcpts r WHERE r.incident_id = incidents.id AND "
	 "r.rcpt COLLATE NOCASE = ?))",
	 "bob@ext.example"},
	{"smtp_to like 'ext.example'",
	 "(EXISTS (SELECT 1 FROM incident_rcpts r WHERE r.incident_id = incidents.id AND "
	 "r.rcpt LIKE ? ESCAPE '\\'))",
	 "%ext.example%"},
	{"object eq 'it''s'", "(object = ?)", "it's"},
	{"object eq 'x); DROP TABLE incidents; --'", "(object = ?)",
	 "x); DROP TABLE incidents; --"},
	{"_id eq 'abc' and acked eq 'no'", "(uid = ?) AND (acked = ?)", "abc|#0"},
	{"timestamp ge 1700000000 and timestamp lt 1800000000", "(ts >= ?) AND (ts < ?)",
	 "#1700000000|#1800000000"},
	{"dlp_rule_severity ne 'low'", "(dlp_rule_severity IS NOT ?)", "low"},
};

static void join_params(const struct alert_query *q, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < q->n_params; i++) {
		char one[256];
		if (q->params[i].is_int)
			snprintf(one, sizeof(one), "#%lld", (long long)q->params[i].i);
		else
			snprintf(one, sizeof(one), "%s", q->params[i].s);
		if (i)
			strncat(buf, "|", len - strlen(buf) - 1);
		strncat(buf, one, len - strlen(buf) - 1);
	}
}

static sqlite3 *schema_db(void)
{
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(
		sqlite3_exec(
			db,
			"CREATE TABLE incidents(id INTEGER PRIMARY KEY, uid TEXT, ts INTEGER, type "
			"TEXT,"
			" alert_type TEXT, policy TEXT, action TEXT, from_user TEXT, to_user TEXT,"
			" dlp_profile TEXT, dlp_rule TEXT, dlp_rule_severity TEXT, dlp_rule_count "
			"INTEGER,"
			" dlp_unique_count INTEGER, object TEXT, object_type TEXT, md5 TEXT,"
			" file_size INTEGER, acked INTEGER, queue_id TEXT, upstream_reply TEXT);"
			"CREATE TABLE incident_rcpts(incident_id INTEGER, rcpt TEXT);",
			NULL, NULL, NULL),
		SQLITE_OK);
	return db;
}

START_TEST(test_ok_table)
{
	const struct ok_case *c = &ok_cases[_i];
	struct alert_query q;
	char reason[256];
	enum aq_status st = alert_query_compile(c->in, strlen(c->in), &q, reason, sizeof(reason));
	if (c->sql == NULL) {
		ck_assert_int_ne(st, AQ_OK);
		ck_assert_ptr_null(q.sql);
		ck_assert_uint_gt(strlen(reason), 0);
		return;
	}
	ck_assert_msg(st == AQ_OK, "%s: %s", c->in, reason);
	ck_assert_str_eq(q.sql, c->sql);
	char params[1024];
	join_params(&q, params, sizeof(params));
	ck_assert_str_eq(params, c->params);

	/* The clause is valid SQL over the real column names, and binds. */
	sqlite3 *db = schema_db();
	char sql[4096];
	snprintf(sql, sizeof(sql), "SELECT id FROM incidents WHERE %s", q.sql);
	sqlite3_stmt *st2;
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st2, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_bind_parameter_count(st2), (int)q.n_params);
	ck_assert_int_eq(sqlite3_step(st2), SQLITE_DONE);
	sqlite3_finalize(st2);
	sqlite3_close(db);
	alert_query_free(&q);
}
END_TEST

struct err_case {
	const char *in;
	enum aq_status st;
	const char *reason_part;
};

static const struct err_case err_cases[] = {
	{"policy", AQ_ERR_SYNTAX, "expected an operator"},
	{"policy eq", AQ_ERR_SYNTAX, "expected a value for 'policy'"},
	{"policy eq 'x", AQ_ERR_SYNTAX, "unterminated"},
	{"(policy eq 'x'", AQ_ERR_SYNTAX, "expected ')'"},
	{"policy eq 'x')", AQ_ERR_SYNTAX, "expected and/or"},
	{"policy eq 'x' policy eq 'y'", AQ_ERR_SYNTAX, "expected and/or"},
	{"nosuch eq 'x'", AQ_ERR_FIELD, "unknown field 'nosuch'"},
	{"policy; eq 'x'", AQ_ERR_SYNTAX, "unexpected character ';'"},
	{"policy in 'x'", AQ_ERR_SYNTAX, "expected '['"},
	{"policy in ['x' 'y']", AQ_ERR_SYNTAX, "expected ',' or ']'"},
	{"policy in ['x',]", AQ_ERR_SYNTAX, "expected a value"},
	{"file_size like '1'", AQ_ERR_OPERATOR, "like is not valid"},
	{"policy gt 'a'", AQ_ERR_OPERATOR, "needs a numeric field"},
	{"acked in [true]", AQ_ERR_OPERATOR, "in is not valid"},
	{"file_size eq 'big'", AQ_ERR_VALUE, "integer"},
	{"file_size eq 99999999999999999999", AQ_ERR_VALUE, "integer"},
	{"acked eq 'maybe'", AQ_ERR_VALUE, "true or false"},
	{"policy eq 'x' and", AQ_ERR_SYNTAX, "expected a field name"},
	{"POLICY eq 'x'", AQ_ERR_FIELD, "unknown field"},
	{"policy%20eq%20'a%00b'", AQ_ERR_VALUE, "NUL"},
};

START_TEST(test_err_table)
{
	const struct err_case *c = &err_cases[_i];
	struct alert_query q;
	char reason[256];
	enum aq_status st = alert_query_compile(c->in, strlen(c->in), &q, reason, sizeof(reason));
	ck_assert_msg(st == c->st, "%s: got %s (%s)", c->in, alert_query_status_name(st), reason);
	ck_assert_msg(strstr(reason, c->reason_part) != NULL, "%s: reason '%s' lacks '%s'", c->in,
		      reason, c->reason_part);
	ck_assert_ptr_null(q.sql);
	ck_assert_ptr_null(q.params);
	alert_query_free(&q);
}
END_TEST

START_TEST(test_limits)
{
	struct alert_query q;
	char reason[128];
	/* too deep */
	char deep[4 * AQ_MAX_DEPTH + 64];
	size_t k = 0;
	for (int i = 0; i < AQ_MAX_DEPTH + 2; i++)
		deep[k++] = '(';
	strcpy(deep + k, "policy eq 'x'");
	ck_assert_int_eq(alert_query_compile(deep, strlen(deep), &q, reason, sizeof(reason)),
			 AQ_ERR_LIMIT);
	/* too long */
	size_t n = AQ_MAX_TEXT + 1;
	char *big = malloc(n);
	memset(big, ' ', n);
	ck_assert_int_eq(alert_query_compile(big, n, &q, reason, sizeof(reason)), AQ_ERR_LIMIT);
	free(big);
	/* too many values */
	char *many = malloc(AQ_MAX_TEXT);
	k = (size_t)snprintf(many, AQ_MAX_TEXT, "dlp_incident_id in [");
	for (int i = 0; i < AQ_MAX_PARAMS + 1; i++)
		k += (size_t)snprintf(many + k, AQ_MAX_TEXT - k, "%s%d", i ? "," : "", i % 10);
	k += (size_t)snprintf(many + k, AQ_MAX_TEXT - k, "]");
	ck_assert_int_eq(alert_query_compile(many, k, &q, reason, sizeof(reason)), AQ_ERR_LIMIT);
	free(many);
	/* not NUL-terminated input is honoured by length */
	const char txt[] = "policy eq 'a'GARBAGE";
	ck_assert_int_eq(alert_query_compile(txt, 13, &q, reason, sizeof(reason)), AQ_OK);
	ck_assert_str_eq(q.params[0].s, "a");
	alert_query_free(&q);
	alert_query_free(NULL);
	/* NULL reason buffer is allowed */
	ck_assert_int_eq(alert_query_compile("x", 1, &q, NULL, 0), AQ_ERR_FIELD);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("alert_query");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_ok_table, 0, sizeof(ok_cases) / sizeof(ok_cases[0]));
	tcase_add_loop_test(tc, test_err_table, 0, sizeof(err_cases) / sizeof(err_cases[0]));
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
