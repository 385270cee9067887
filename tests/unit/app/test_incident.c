/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_incident.c — incidents from hand-built verdicts, the SQLite store
 * (insert, query through compiled alert queries, ack, purge, schema
 * version), a read-only reader beside the writer, and the MPSC hand-off
 * queue with concurrent producers.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/alert_query.h"
#include "app/incident.h"

/* ------------------------------------------------ verdicts by hand */

struct fake {
	struct dlp_verdict v;
	struct dlp_rule_result rules[2];
	struct dlp_entity_result ent;
	struct dlp_match match;
	char *rcpts[3];
};

static void fake_init(struct fake *f, const char *policy, enum cfg_action action, const char *from,
		      const char *rcpt0, const char *rcpt1, const char *subject)
{
	memset(f, 0, sizeof(*f));
	f->rules[0] = (struct dlp_rule_result){
		.name = "Other rule", .severity = CFG_SEV_LOW, .count = 1, .unique_count = 1};
	f->rules[1] = (struct dlp_rule_result){.name = "Customer entitlement email",
					       .severity = CFG_SEV_MEDIUM,
					       .count = 7,
					       .unique_count = 3};
	f->match = (struct dlp_match){.term = "Account Manager", .part = "1", .offset = 42};
	f->ent = (struct dlp_entity_result){.name = "customer-entitlement",
					    .count = 7,
					    .unique_count = 3,
					    .matches = &f->match,
					    .n_matches = 1};
	f->rcpts[0] = (char *)rcpt0;
	f->rcpts[1] = (char *)rcpt1;
	f->v = (struct dlp_verdict){.action = action,
				    .policy = (char *)policy,
				    .profile = "Customer data",
				    .severity = CFG_SEV_MEDIUM,
				    .rules = f->rules,
				    .n_rules = 2,
				    .entities = &f->ent,
				    .n_entities = 1,
				    .anomalies = (1u << 5) | (1u << 9),
				    .from = (char *)from,
				    .rcpts = f->rcpts,
				    .n_rcpts = rcpt1 ? 2 : 1,
				    .subject = (char *)subject,
				    .raw_bytes = 1234};
}

static char dir[64];
static char dbpath[128];

static void setup(void)
{
	strcpy(dir, "/tmp/smtpdlp-incident-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/incidents.db", dir);
}

static void teardown(void)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_create_from_verdict)
{
	struct fake f;
	fake_init(&f, "Customer email Hold", CFG_ACTION_ADD_HEADER, "alice@corp.example",
		  "bob@ext.example", "carol@corp.example", "Q3 \xff entitlement");
	struct cfg_rule rules[] = {
		{.name = "Customer entitlement email", .count = CFG_COUNT_UNIQUE}};
	struct cfg cfg = {.dlp = {.rules = rules, .n_rules = 1}};
	struct incident_meta m = {.queue_id = "Q1",
				  .received_ms = 1700000000123ull,
				  .upstream_reply = "250 2.0.0 Ok: queued as ABC",
				  .md5 = "0123456789abcdef0123456789abcdef",
				  .cfg = &cfg,
				  .forensics = true};
	struct incident *inc = incident_create(&f.v, &m);
	ck_assert_ptr_nonnull(inc);
	ck_assert_uint_eq(strlen(inc->uid), INCIDENT_UID_LEN);
	ck_assert_int_eq(inc->timestamp, 1700000000);
	ck_assert_str_eq(inc->action, "add-header");
	ck_assert_str_eq(inc->severity, "medium");
	ck_assert_str_eq(inc->rule,
			 "Customer entitlement email"); /* the one at the verdict's severity */
	ck_assert_uint_eq(inc->rule_count, 7);
	ck_assert_uint_eq(inc->unique_count, 3);
	ck_assert(inc->is_unique_count);
	ck_assert_uint_eq(inc->size, 1234);
	ck_assert_uint_eq(inc->n_rcpts, 2);
	ck_assert_str_eq(inc->rcpts[1], "carol@corp.example");
	ck_assert_str_eq(
		inc->details,
		"{\"rules\":[{\"name\":\"Other rule\",\"severity\":\"low\",\"count\":1,"
		"\"unique_count\":1,\"score\":0},{\"name\":\"Customer entitlement email\","
		"\"severity\":\"medium\",\"count\":7,\"unique_count\":3,\"score\":0}],"
		"\"entities\":[{\"name\":\"customer-entitlement\",\"count\":7,\"unique_count\":3,"
		"\"matches\":[{\"term\":\"Account Manager\",\"value\":null,\"part\":\"1\","
		"\"offset\":42}]}],\"anomalies\":[\"bad-base64\",\"bad-utf8\"]}");
	/* uids differ */
	struct incident *inc2 = incident_create(&f.v, NULL);
	ck_assert_ptr_nonnull(inc2);
	ck_assert_str_ne(inc->uid, inc2->uid);
	ck_assert_str_eq(inc2->action, "add-header");
	ck_assert(!inc2->is_unique_count); /* no cfg: unknown */
	ck_assert_str_eq(inc2->from_user, "alice@corp.example");
	/* the SMTP envelope, when given, wins over the verdict's addresses */
	const char *const env_rcpts[] = {"env1@ext.example", "env2@ext.example", "env3@x.example"};
	struct incident_meta em = {.mail_from = "", .rcpts = env_rcpts, .n_rcpts = 3};
	struct incident *inc3 = incident_create(&f.v, &em);
	ck_assert_ptr_nonnull(inc3);
	ck_assert_str_eq(inc3->from_user, ""); /* null reverse path */
	ck_assert_uint_eq(inc3->n_rcpts, 3);
	ck_assert_str_eq(inc3->rcpts[2], "env3@x.example");
	incident_free(inc3);
	incident_free(inc);
	incident_free(inc2);
	incident_free(NULL);
	errno = 0;
	ck_assert_ptr_null(incident_create(NULL, &m));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* --------------------------------------------------- store + reader */

struct row_case {
	const char *policy;
	enum cfg_action action;
	const char *from, *rcpt0, *rcpt1, *subject;
	uint64_t ts;
};

static const struct row_case rows[] = {
	{"Customer email Hold", CFG_ACTION_ADD_HEADER, "alice@corp.example", "bob@ext.example",
	 NULL, "Entitlement for ACME", 1000},
	{"Customer email Hold", CFG_ACTION_ADD_HEADER, "dave@corp.example", "eve@other.example",
	 "x@corp.example", "Renewal \xc3\xa9t\xe9", 2000},
	{"Block card numbers", CFG_ACTION_BLOCK, "mallory@corp.example", "Bob@Ext.Example", NULL,
	 "cards", 3000},
	{"Quarantine secrets", CFG_ACTION_QUARANTINE, "alice@corp.example", "zed@ext.example", NULL,
	 NULL, 4000},
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

static struct incident_store *fill(void)
{
	char err[256];
	struct incident_store *s = incident_store_open(dbpath, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	struct incident *incs[N_ROWS];
	for (size_t i = 0; i < N_ROWS; i++) {
		struct fake f;
		fake_init(&f, rows[i].policy, rows[i].action, rows[i].from, rows[i].rcpt0,
			  rows[i].rcpt1, rows[i].subject);
		struct incident_meta m = {.queue_id = "Q", .received_ms = rows[i].ts * 1000};
		incs[i] = incident_create(&f.v, &m);
		ck_assert_ptr_nonnull(incs[i]);
	}
	ck_assert_int_eq(incident_store_insert(s, incs, N_ROWS), 0);
	for (size_t i = 0; i < N_ROWS; i++) {
		ck_assert_int_eq(incs[i]->id, (int64_t)i + 1);
		incident_free(incs[i]);
	}
	return s;
}

struct collect {
	char ids[256];
	int n;
};

static int collect_cb(void *arg, const struct incident *inc)
{
	struct collect *c = arg;
	char one[32];
	snprintf(one, sizeof(one), "%s%lld", c->n++ ? "," : "", (long long)inc->id);
	strcat(c->ids, one);
	return 0;
}

struct query_case {
	const char *query;
	int64_t start, end;
	int acked;
	const char *action;
	size_t limit, skip;
	const char *ids; /* newest first */
};

static const struct query_case queries[] = {
	{"", 0, 0, -1, NULL, 0, 0, "4,3,2,1"},
	{"(policy%20in%20%5B%20'Customer%20email%20Hold'%20%5D)", 0, 0, -1, NULL, 0, 0, "2,1"},
	{"policy eq 'Customer email Hold'", 1500, 0, -1, NULL, 0, 0, "2"},
	{"", 1000, 3000, -1, NULL, 0, 0, "2,1"},
	{"", 0, 0, -1, NULL, 2, 1, "3,2"},
	{"smtp_to eq 'bob@ext.example'", 0, 0, -1, NULL, 0, 0, "3,1"}, /* case-insensitive */
	{"smtp_to eq 'x@corp.example'", 0, 0, -1, NULL, 0, 0, "2"},
	{"to_user eq 'x@corp.example'", 0, 0, -1, NULL, 0, 0, ""}, /* to_user = first rcpt */
	{"smtp_to like 'ext.example'", 0, 0, -1, NULL, 0, 0, "4,3,1"},
	{"object like 'renewal'", 0, 0, -1, NULL, 0, 0, "2"},
	{"object like 'Ent%'", 0, 0, -1, NULL, 0, 0, "1"},
	{"action eq 'block' or action eq 'quarantine'", 0, 0, -1, NULL, 0, 0, "4,3"},
	{"not (from_user eq 'ALICE@corp.example')", 0, 0, -1, NULL, 0, 0, "3,2"},
	{"", 0, 0, -1, "quarantine", 0, 0, "4"},
	{"", 0, 0, 1, NULL, 0, 0, ""},
	{"dlp_incident_id in [1,3] and file_size eq 1234", 0, 0, 0, NULL, 0, 0, "3,1"},
	{"alert_type eq 'DLP' and type eq 'policy' and object_type eq 'Email'", 0, 0, -1, NULL, 1,
	 0, "4"},
	{"dlp_rule eq 'Customer entitlement email' and dlp_rule_count ge 7", 0, 0, -1, NULL, 0, 3,
	 "1"},
};

START_TEST(test_store_query_table)
{
	struct incident_store *s = fill();
	char err[256];
	struct incident_reader *r = incident_reader_open(dbpath, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		const struct query_case *qc = &queries[i];
		struct alert_query q;
		ck_assert_int_eq(
			alert_query_compile(qc->query, strlen(qc->query), &q, err, sizeof(err)),
			AQ_OK);
		struct incident_filter f = {.query = &q,
					    .start = qc->start,
					    .end = qc->end,
					    .acked = qc->acked,
					    .action = qc->action,
					    .limit = qc->limit,
					    .skip = qc->skip};
		struct collect c = {0};
		int64_t n = incident_reader_query(r, &f, collect_cb, &c);
		ck_assert_int_eq(n, c.n);
		ck_assert_msg(strcmp(c.ids, qc->ids) == 0, "query %zu '%s': got '%s' want '%s'", i,
			      qc->query, c.ids, qc->ids);
		alert_query_free(&q);
	}
	incident_reader_close(r);
	incident_store_close(s);
}
END_TEST

START_TEST(test_get_ack_purge)
{
	struct incident_store *s = fill();
	char err[256];
	struct incident_reader *r = incident_reader_open(dbpath, err, sizeof(err));
	ck_assert_ptr_nonnull(r);
	struct incident *inc;
	ck_assert_int_eq(incident_reader_get(r, "2", &inc), 0);
	ck_assert_str_eq(inc->subject, "Renewal \xc3\xa9t\xe9"); /* bytes kept as sent */
	ck_assert_uint_eq(inc->n_rcpts, 2);
	ck_assert_str_eq(inc->rcpts[0], "eve@other.example");
	ck_assert_str_eq(inc->rcpts[1], "x@corp.example");
	ck_assert_str_eq(inc->policy, "Customer email Hold");
	ck_assert_str_eq(inc->severity, "medium");
	ck_assert_ptr_nonnull(strstr(inc->details, "\"anomalies\":[\"bad-base64\""));
	char uid[INCIDENT_UID_LEN + 1];
	strcpy(uid, inc->uid);
	incident_free(inc);
	ck_assert_int_eq(incident_reader_get(r, uid, &inc), 0);
	ck_assert_int_eq(inc->id, 2);
	ck_assert(!inc->acked);
	incident_free(inc);
	static const struct {
		const char *key;
		int rc;
	} gets[] = {
		{"99", -ENOENT},
		{"", -EINVAL},
		{"1 or 1=1", -EINVAL},
		{"abcdefabcdefabcdefabcdef", -ENOENT},
		{"ABCDEFABCDEFABCDEFABCDEF", -EINVAL},
	};
	for (size_t i = 0; i < sizeof(gets) / sizeof(gets[0]); i++) {
		ck_assert_int_eq(incident_reader_get(r, gets[i].key, &inc), gets[i].rc);
		ck_assert_ptr_null(inc);
	}

	ck_assert_int_eq(incident_store_ack(s, 2, true), 0);
	ck_assert_int_eq(incident_store_ack(s, 99, true), -ENOENT);
	ck_assert_int_eq(incident_reader_get(r, "2", &inc), 0);
	ck_assert(inc->acked); /* the reader sees the writer's commit */
	incident_free(inc);

	ck_assert_int_eq(incident_store_purge(s, 2500), 2);
	ck_assert_int_eq(incident_reader_get(r, "1", &inc), -ENOENT);
	struct collect c = {0};
	struct incident_filter f = {.acked = -1};
	ck_assert_int_eq(incident_reader_query(r, &f, collect_cb, &c), 2);
	ck_assert_str_eq(c.ids, "4,3");
	/* recipients of purged incidents are gone too (cascade) */
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_stmt *st;
	ck_assert_int_eq(
		sqlite3_prepare_v2(db, "SELECT count(*) FROM incident_rcpts", -1, &st, NULL),
		SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 2);
	sqlite3_finalize(st);
	sqlite3_close(db);
	incident_reader_close(r);
	incident_store_close(s);
}
END_TEST

static int stop_cb(void *arg, const struct incident *inc)
{
	(*(int *)arg)++;
	return 7;
}

START_TEST(test_schema_and_reopen)
{
	struct incident_store *s = fill();
	incident_store_close(s);
	char err[256];
	/* reopen keeps data; WAL on */
	s = incident_store_open(dbpath, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	struct incident_reader *r = incident_reader_open(dbpath, err, sizeof(err));
	ck_assert_ptr_nonnull(r);
	int calls = 0;
	struct incident_filter f = {.acked = -1};
	ck_assert_int_eq(incident_reader_query(r, &f, stop_cb, &calls), 7);
	ck_assert_int_eq(calls, 1);
	incident_reader_close(r);
	incident_store_close(s);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	/* a newer schema is refused by both */
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_ptr_null(incident_store_open(dbpath, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "schema version 99"));
	ck_assert_ptr_null(incident_reader_open(dbpath, err, sizeof(err)));
	/* a reader on a missing database fails with a message */
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/none.db", dir);
	ck_assert_ptr_null(incident_reader_open(missing, err, sizeof(err)));
	ck_assert_uint_gt(strlen(err), 0);
	/* unwritable location */
	ck_assert_ptr_null(incident_store_open("/nonexistent-dir/x.db", err, sizeof(err)));
}
END_TEST

/* ------------------------------------------------------------ queue */

struct producer {
	struct incident_queue *q;
	int base, n;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	for (int i = 0; i < p->n; i++) {
		intptr_t v = p->base + i + 1;
		while (incident_queue_push(p->q, (void *)v) != 0)
			sched_yield();
	}
	return NULL;
}

START_TEST(test_queue_mpsc)
{
	enum { NP = 3, N = 50000 };
	struct incident_queue *q = incident_queue_create(64);
	ck_assert_ptr_nonnull(q);
	pthread_t th[NP];
	struct producer p[NP];
	for (int i = 0; i < NP; i++) {
		p[i] = (struct producer){q, i * N, N};
		ck_assert_int_eq(pthread_create(&th[i], NULL, producer_main, &p[i]), 0);
	}
	/* Every item exactly once, each producer's items in order. */
	int last[NP] = {0};
	int got = 0;
	char *seen = calloc(NP * N + 1, 1);
	while (got < NP * N) {
		void *it = incident_queue_pop(q);
		if (it == NULL) {
			sched_yield();
			continue;
		}
		intptr_t v = (intptr_t)it;
		int who = (int)((v - 1) / N);
		ck_assert_int_lt(who, NP);
		ck_assert_int_gt(v, last[who]);
		last[who] = (int)v;
		ck_assert(!seen[v]);
		seen[v] = 1;
		got++;
	}
	for (int i = 0; i < NP; i++)
		pthread_join(th[i], NULL);
	ck_assert_ptr_null(incident_queue_pop(q));
	free(seen);
	incident_queue_destroy(q);
}
END_TEST

START_TEST(test_queue_full_and_drain)
{
	struct incident_queue *q = incident_queue_create(3); /* rounds to 4 */
	char err[256];
	struct incident_store *s = incident_store_open(dbpath, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	struct fake f;
	fake_init(&f, "P", CFG_ACTION_ALERT, "a@corp.example", "b@ext.example", NULL, "s");
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(incident_queue_push(q, incident_create(&f.v, NULL)), 0);
	struct incident *extra = incident_create(&f.v, NULL);
	ck_assert_int_eq(incident_queue_push(q, extra), -ENOBUFS);
	incident_free(extra);
	size_t dropped = 9;
	ck_assert_int_eq(incident_store_drain(s, q, 3, &dropped), 3);
	ck_assert_uint_eq(dropped, 0);
	ck_assert_int_eq(incident_store_drain(s, q, 100, NULL), 1);
	ck_assert_int_eq(incident_store_drain(s, q, 100, NULL), 0);
	struct incident_reader *r = incident_reader_open(dbpath, err, sizeof(err));
	struct collect c = {0};
	struct incident_filter fl = {.acked = -1};
	ck_assert_int_eq(incident_reader_query(r, &fl, collect_cb, &c), 4);
	incident_reader_close(r);
	incident_store_close(s);
	incident_queue_destroy(q);
	incident_queue_destroy(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("incident");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_create_from_verdict);
	tcase_add_test(tc, test_store_query_table);
	tcase_add_test(tc, test_get_ack_purge);
	tcase_add_test(tc, test_schema_and_reopen);
	tcase_add_test(tc, test_queue_mpsc);
	tcase_add_test(tc, test_queue_full_and_drain);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
