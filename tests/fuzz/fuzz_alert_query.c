/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_alert_query.c — libFuzzer target for the alerts query compiler
 * (app/alert_query.c).
 *
 * Byte 0 picks the size of the reason buffer; the rest is the query text
 * (not NUL-terminated). On success the SQL must be injection-free: apart
 * from the fixed " ESCAPE '\'" it contains no quote, only characters of
 * the fixed vocabulary (column names, operators, '?', parentheses), every
 * value is a parameter, and it prepares against the real incidents schema
 * (created once by app/incident.c in a temporary file) with exactly
 * n_params placeholders, binds and runs over a one-row table. On failure
 * *out is zeroed and the reason is a NUL-terminated string within the
 * buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "app/alert_query.h"
#include "app/incident.h"

#define FZ_CHECK(c)                                                                              \
	do {                                                                                     \
		if (!(c)) {                                                                      \
			fprintf(stderr, "fuzz_alert_query: %s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #c);                                                   \
			abort();                                                                 \
		}                                                                                \
	} while (0)

static sqlite3 *fz_db;
static bool fz_trace; /* FZ_TRACE=1: print status and SQL */
static char fz_dir[64];
static char fz_path[96];

static void fz_cleanup(void)
{
	char p[128];

	sqlite3_close(fz_db);
	fz_db = NULL;
	unlink(fz_path);
	snprintf(p, sizeof(p), "%s-wal", fz_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", fz_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", fz_path);
	unlink(p);
	rmdir(fz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	fz_trace = getenv("FZ_TRACE") != NULL;
	snprintf(fz_dir, sizeof(fz_dir), "/tmp/fuzz_alert_query.XXXXXX");
	FZ_CHECK(mkdtemp(fz_dir) != NULL);
	snprintf(fz_path, sizeof(fz_path), "%s/incidents.db", fz_dir);
	atexit(fz_cleanup);
	/* The store creates the schema the compiler's columns must match. */
	struct incident_store *st = incident_store_open(fz_path, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "fuzz_alert_query: %s\n", err);
		abort();
	}
	incident_store_close(st);
	FZ_CHECK(sqlite3_open_v2(fz_path, &fz_db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
	/* One row, so WHERE clauses are evaluated; best effort (NOT NULL
	 * columns as of schema 1; a later schema may need more). */
	(void)sqlite3_exec(fz_db,
			   "INSERT INTO incidents(uid, ts, received_ms, action, from_user, "
			   "to_user, policy) VALUES('u1', 1700000000, 1, 'block', "
			   "'A@Example.com', 'b@example.com', 'Customer email Hold');"
			   "INSERT INTO incident_rcpts(incident_id, pos, rcpt) "
			   "SELECT id, 0, 'B@example.com' FROM incidents;",
			   NULL, NULL, NULL);
	return 0;
}

/* Characters the generated SQL may contain outside " ESCAPE '\'". */
static bool fz_sql_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (c >= '0' && c <= '9') || c == ' ' || c == '(' || c == ')' || c == '?' || c == ',' ||
	       c == '=' || c == '<' || c == '>' || c == '.';
}

static void fz_check_sql(const struct alert_query *q)
{
	static const char esc[] = " ESCAPE '\\'";
	const char *s = q->sql;
	size_t marks = 0;

	FZ_CHECK(s != NULL);
	while (*s) {
		if (strncmp(s, esc, sizeof(esc) - 1) == 0) {
			s += sizeof(esc) - 1;
			continue;
		}
		FZ_CHECK(fz_sql_char(*s));
		if (*s == '?')
			marks++;
		s++;
	}
	FZ_CHECK(marks == q->n_params);
	FZ_CHECK(q->n_params <= AQ_MAX_PARAMS);
	for (size_t i = 0; i < q->n_params; i++)
		FZ_CHECK(q->params[i].is_int || q->params[i].s != NULL);

	/* It must be valid SQL over the real schema, with n_params slots. */
	size_t n = strlen(q->sql);
	char *stmt = malloc(n + 64);
	FZ_CHECK(stmt != NULL);
	snprintf(stmt, n + 64, "SELECT count(*) FROM incidents WHERE %s", q->sql);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(fz_db, stmt, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "fuzz_alert_query: %s\n  in: %s\n", sqlite3_errmsg(fz_db), stmt);
		abort();
	}
	FZ_CHECK((size_t)sqlite3_bind_parameter_count(st) == q->n_params);
	for (size_t i = 0; i < q->n_params; i++) {
		const struct aq_param *p = &q->params[i];
		if (p->is_int)
			rc = sqlite3_bind_int64(st, (int)i + 1, p->i);
		else
			rc = sqlite3_bind_text(st, (int)i + 1, p->s, -1, SQLITE_STATIC);
		FZ_CHECK(rc == SQLITE_OK);
	}
	rc = sqlite3_step(st);
	FZ_CHECK(rc == SQLITE_ROW);
	sqlite3_finalize(st);
	free(stmt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t rlens[] = {0, 1, 2, 16, 64, 256};
	char reason[257];
	struct alert_query q;

	if (size < 1)
		return 0;
	size_t rl = rlens[data[0] % 6];
	memset(reason, 0x55, sizeof(reason));
	/* an exact-size heap copy, so reads past the end are caught */
	char *text = malloc(size - 1 ? size - 1 : 1);
	FZ_CHECK(text != NULL);
	memcpy(text, data + 1, size - 1);

	bool null_text = data[0] == 0xff;
	enum aq_status st = alert_query_compile(null_text ? NULL : text, null_text ? 0 : size - 1,
						&q, rl ? reason : NULL, rl);
	FZ_CHECK(alert_query_status_name(st) != NULL);
	if (fz_trace)
		fprintf(stderr, "fz: %s: %s%s\n", alert_query_status_name(st),
			st == AQ_OK ? q.sql : "", st == AQ_OK || !rl ? "" : reason);
	if (st == AQ_OK) {
		fz_check_sql(&q);
	} else {
		FZ_CHECK(q.sql == NULL && q.params == NULL && q.n_params == 0);
		if (rl) {
			FZ_CHECK(memchr(reason, '\0', rl) != NULL);
			FZ_CHECK((unsigned char)reason[rl] == 0x55);
		}
	}
	alert_query_free(&q);
	alert_query_free(NULL);
	FZ_CHECK(q.sql == NULL && q.n_params == 0);
	free(text);
	return 0;
}
