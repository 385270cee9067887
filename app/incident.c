/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * incident.c — incident records built from DLP verdicts, their SQLite store
 * (WAL, one writing connection), read-only readers for the API thread and a
 * lock-free MPSC hand-off queue (Vyukov's bounded queue with per-cell
 * sequence numbers).
 */
#include "app/incident.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "app/alert_query.h"
#include "app/api_json.h"

/* ------------------------------------------------------------ names */

const char *incident_action_name(enum cfg_action a)
{
	switch (a) {
	case CFG_ACTION_ALLOW:
		return "allow";
	case CFG_ACTION_ALERT:
		return "alert";
	case CFG_ACTION_ADD_HEADER:
		return "add-header";
	case CFG_ACTION_BLOCK:
		return "block";
	case CFG_ACTION_QUARANTINE:
		return "quarantine";
	}
	return "unknown";
}

const char *incident_severity_name(enum cfg_severity s)
{
	switch (s) {
	case CFG_SEV_NONE:
		return "none";
	case CFG_SEV_LOW:
		return "low";
	case CFG_SEV_MEDIUM:
		return "medium";
	case CFG_SEV_HIGH:
		return "high";
	case CFG_SEV_CRITICAL:
		return "critical";
	}
	return "unknown";
}

/* The anomaly names of dlp/dlp.h, kept here so the management side does not
 * need the DLP engine linked (it only reads verdicts). */
static const char *const incident_anomaly_names[] = {
	"depth",      "parts",	    "header-size",  "line-length", "scan-limit",
	"bad-base64", "bad-qp",	    "bad-boundary", "bad-charset", "bad-utf8",
	"nul",	      "bad-header", "bad-archive",  "scan-error",  "ambiguous-header",
};

/* ------------------------------------------------------------ record */

static char *incident_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void incident_uid(char out[INCIDENT_UID_LEN + 1])
{
	uint8_t raw[INCIDENT_UID_LEN / 2];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n <= 0) {
			/* getrandom() only fails before the pool is seeded or on
			 * EINTR; fall back to time and address entropy, the uid
			 * is an identifier, not a secret. */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
				     (uint64_t)(uintptr_t)out;
			for (; got < sizeof(raw); got++, x = x * 6364136223846793005ull + 1)
				raw[got] = (uint8_t)(x >> 56);
			break;
		}
		got += (size_t)n;
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[INCIDENT_UID_LEN] = '\0';
}

static bool incident_rule_unique(const struct cfg *cfg, const char *name)
{
	if (cfg == NULL || name == NULL)
		return false;
	for (size_t i = 0; i < cfg->dlp.n_rules; i++)
		if (cfg->dlp.rules[i].name && strcmp(cfg->dlp.rules[i].name, name) == 0)
			return cfg->dlp.rules[i].count == CFG_COUNT_UNIQUE;
	return false;
}

static char *incident_details(const struct dlp_verdict *v)
{
	struct api_buf b = {0};
	api_buf_puts(&b, "{\"rules\":[");
	for (size_t i = 0; i < v->n_rules; i++) {
		const struct dlp_rule_result *r = &v->rules[i];
		api_buf_puts(&b, i ? ",{" : "{");
		api_json_key(&b, "name");
		api_json_cstr(&b, r->name);
		api_buf_puts(&b, ",");
		api_json_key(&b, "severity");
		api_json_cstr(&b, incident_severity_name(r->severity));
		api_buf_printf(&b,
			       ",\"count\":%" PRIu32 ",\"unique_count\":%" PRIu32
			       ",\"score\":%" PRId64 "}",
			       r->count, r->unique_count, r->score);
	}
	api_buf_puts(&b, "],\"entities\":[");
	for (size_t i = 0; i < v->n_entities; i++) {
		const struct dlp_entity_result *e = &v->entities[i];
		api_buf_puts(&b, i ? ",{" : "{");
		api_json_key(&b, "name");
		api_json_cstr(&b, e->name);
		api_buf_printf(&b,
			       ",\"count\":%" PRIu32 ",\"unique_count\":%" PRIu32 ",\"matches\":[",
			       e->count, e->unique_count);
		for (size_t k = 0; k < e->n_matches; k++) {
			const struct dlp_match *m = &e->matches[k];
			api_buf_puts(&b, k ? ",{" : "{");
			api_json_key(&b, "term");
			api_json_cstr(&b, m->term);
			api_buf_puts(&b, ",");
			api_json_key(&b, "value");
			api_json_cstr(&b, m->value);
			api_buf_puts(&b, ",");
			api_json_key(&b, "part");
			api_json_cstr(&b, m->part);
			api_buf_printf(&b, ",\"offset\":%" PRIu64 "}", m->offset);
		}
		api_buf_puts(&b, "]}");
	}
	api_buf_puts(&b, "],\"anomalies\":[");
	int n = 0;
	for (size_t bit = 0; bit < 32; bit++) {
		if (!(v->anomalies & (1u << bit)))
			continue;
		if (n++)
			api_buf_puts(&b, ",");
		if (bit < sizeof(incident_anomaly_names) / sizeof(incident_anomaly_names[0]))
			api_json_cstr(&b, incident_anomaly_names[bit]);
		else
			api_buf_printf(&b, "\"bit-%zu\"", bit);
	}
	api_buf_puts(&b, "]}");
	return api_buf_steal(&b, NULL);
}

struct incident *incident_create(const struct dlp_verdict *v, const struct incident_meta *m)
{
	static const struct incident_meta none;
	if (v == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (m == NULL)
		m = &none;
	struct incident *inc = calloc(1, sizeof(*inc));
	if (inc == NULL)
		return NULL;
	incident_uid(inc->uid);
	if (m->received_ms) {
		inc->received_ms = m->received_ms;
	} else {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		inc->received_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	}
	inc->timestamp = (int64_t)(inc->received_ms / 1000);

	/* The reported rule: the first triggered one at the verdict's
	 * severity (the one that decided), else the first triggered. */
	const struct dlp_rule_result *rule = NULL;
	for (size_t i = 0; i < v->n_rules && rule == NULL; i++)
		if (v->rules[i].severity == v->severity && v->severity != CFG_SEV_NONE)
			rule = &v->rules[i];
	if (rule == NULL && v->n_rules > 0)
		rule = &v->rules[0];

	bool ok = true;
#define DUP(dst, src)                                               \
	do {                                                        \
		if ((src) != NULL && ((dst) = strdup(src)) == NULL) \
			ok = false;                                 \
	} while (0)
	DUP(inc->queue_id, m->queue_id);
	DUP(inc->policy, v->policy);
	DUP(inc->profile, v->profile);
	DUP(inc->action, m->action_taken ? m->action_taken : incident_action_name(v->action));
	DUP(inc->severity, incident_severity_name(v->severity));
	const char *from = m->mail_from ? m->mail_from : v->from;
	const char *const *rcpts = m->mail_from ? m->rcpts : (const char *const *)v->rcpts;
	size_t n_rcpts = m->mail_from ? m->n_rcpts : v->n_rcpts;
	DUP(inc->from_user, from ? from : "");
	DUP(inc->subject, v->subject);
	DUP(inc->upstream_reply, m->upstream_reply);
	DUP(inc->client_addr, m->client_addr);
	DUP(inc->quarantine_id, m->quarantine_id);
	if (rule) {
		DUP(inc->rule, rule->name);
		inc->rule_count = rule->count;
		inc->unique_count = rule->unique_count;
		inc->is_unique_count = incident_rule_unique(m->cfg, rule->name);
	}
#undef DUP
	if (n_rcpts > 0 && rcpts != NULL) {
		inc->rcpts = calloc(n_rcpts, sizeof(char *));
		if (inc->rcpts == NULL)
			ok = false;
		for (size_t i = 0; ok && i < n_rcpts; i++) {
			inc->rcpts[i] = incident_dup(rcpts[i] ? rcpts[i] : "");
			inc->n_rcpts = i + 1;
			if (inc->rcpts[i] == NULL)
				ok = false;
		}
	}
	if (m->md5 && strlen(m->md5) == 32)
		memcpy(inc->md5, m->md5, 33);
	inc->size = m->size ? m->size : v->raw_bytes;
	inc->anomalies = v->anomalies;
	inc->forensics = m->forensics;
	inc->notify_sender = v->notify_sender;
	if (ok && (inc->details = incident_details(v)) == NULL)
		ok = false;
	if (!ok) {
		incident_free(inc);
		errno = ENOMEM;
		return NULL;
	}
	return inc;
}

void incident_free(struct incident *inc)
{
	if (inc == NULL)
		return;
	free(inc->queue_id);
	free(inc->policy);
	free(inc->profile);
	free(inc->action);
	free(inc->severity);
	free(inc->from_user);
	for (size_t i = 0; i < inc->n_rcpts; i++)
		free(inc->rcpts[i]);
	free(inc->rcpts);
	free(inc->subject);
	free(inc->rule);
	free(inc->details);
	free(inc->upstream_reply);
	free(inc->client_addr);
	free(inc->quarantine_id);
	free(inc);
}

/* ------------------------------------------------------------ schema */

static const char incident_schema[] =
	"CREATE TABLE IF NOT EXISTS incidents ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" uid TEXT NOT NULL UNIQUE,"
	" ts INTEGER NOT NULL,"
	" received_ms INTEGER NOT NULL,"
	" queue_id TEXT,"
	" type TEXT NOT NULL DEFAULT 'policy',"
	" alert_type TEXT NOT NULL DEFAULT 'DLP',"
	" policy TEXT,"
	" action TEXT NOT NULL,"
	" from_user TEXT NOT NULL,"
	" to_user TEXT,"
	" dlp_profile TEXT,"
	" dlp_rule TEXT,"
	" dlp_rule_severity TEXT,"
	" dlp_rule_count INTEGER NOT NULL DEFAULT 0,"
	" dlp_unique_count INTEGER NOT NULL DEFAULT 0,"
	" dlp_is_unique_count INTEGER NOT NULL DEFAULT 0,"
	" object TEXT,"
	" object_type TEXT NOT NULL DEFAULT 'Email',"
	" md5 TEXT,"
	" file_size INTEGER NOT NULL DEFAULT 0,"
	" upstream_reply TEXT,"
	" anomalies INTEGER NOT NULL DEFAULT 0,"
	" client_addr TEXT,"
	" forensics INTEGER NOT NULL DEFAULT 0,"
	" quarantine_id TEXT,"
	" notify_sender INTEGER NOT NULL DEFAULT 0,"
	" details TEXT,"
	" acked INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS incidents_ts ON incidents(ts);"
	"CREATE INDEX IF NOT EXISTS incidents_policy ON incidents(policy);"
	"CREATE TABLE IF NOT EXISTS incident_rcpts ("
	" incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
	" pos INTEGER NOT NULL,"
	" rcpt TEXT NOT NULL,"
	" PRIMARY KEY (incident_id, pos));"
	"CREATE INDEX IF NOT EXISTS incident_rcpts_rcpt ON incident_rcpts(rcpt COLLATE NOCASE);";

/* Columns read back, in the order incident_row() expects. */
#define INCIDENT_COLUMNS                                                              \
	"id, uid, ts, received_ms, queue_id, policy, action, from_user, dlp_profile," \
	" dlp_rule, dlp_rule_severity, dlp_rule_count, dlp_unique_count,"             \
	" dlp_is_unique_count, object, md5, file_size, upstream_reply, anomalies,"    \
	" client_addr, forensics, quarantine_id, notify_sender, details, acked"

static void incident_err(char *err, size_t errlen, const char *what, sqlite3 *db)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

static int incident_user_version(sqlite3 *db, int *ver)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ver = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

/* ------------------------------------------------------------- store */

struct incident_store {
	sqlite3 *db;
	sqlite3_stmt *ins;
	sqlite3_stmt *ins_rcpt;
	sqlite3_stmt *ack;
	pthread_mutex_t lock;
};

struct incident_store *incident_store_open(const char *path, char *err, size_t errlen)
{
	struct incident_store *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		incident_err(err, errlen, path, NULL);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	int ver = 0;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		incident_err(err, errlen, path, s->db);
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (incident_user_version(s->db, &ver) != 0) {
		incident_err(err, errlen, path, s->db);
		goto fail;
	}
	if (ver > INCIDENT_SCHEMA_VERSION) {
		if (err && errlen)
			snprintf(err, errlen, "%s: schema version %d is newer than this build's %d",
				 path, ver, INCIDENT_SCHEMA_VERSION);
		goto fail;
	}
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", INCIDENT_SCHEMA_VERSION);
	if (sqlite3_exec(s->db,
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			 "PRAGMA foreign_keys = ON;",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, incident_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		incident_err(err, errlen, path, s->db);
		goto fail;
	}
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO incidents (uid, ts, received_ms, queue_id, policy, "
			       "action, from_user,"
			       " to_user, dlp_profile, dlp_rule, dlp_rule_severity, dlp_rule_count,"
			       " dlp_unique_count, dlp_is_unique_count, object, md5, file_size, "
			       "upstream_reply,"
			       " anomalies, client_addr, forensics, quarantine_id, notify_sender, "
			       "details, acked)"
			       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &s->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
			       "INSERT INTO incident_rcpts (incident_id, pos, rcpt) VALUES (?,?,?)",
			       -1, &s->ins_rcpt, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "UPDATE incidents SET acked = ? WHERE id = ?", -1, &s->ack,
			       NULL) != SQLITE_OK) {
		incident_err(err, errlen, path, s->db);
		goto fail;
	}
	return s;
fail:
	if (s->db)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	incident_store_close(s);
	return NULL;
}

void incident_store_close(struct incident_store *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->ins_rcpt);
	sqlite3_finalize(s->ack);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void incident_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int incident_insert_one(struct incident_store *s, struct incident *inc)
{
	sqlite3_stmt *st = s->ins;
	int i = 1;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	incident_bind_text(st, i++, inc->uid);
	sqlite3_bind_int64(st, i++, inc->timestamp);
	sqlite3_bind_int64(st, i++, (int64_t)inc->received_ms);
	incident_bind_text(st, i++, inc->queue_id);
	incident_bind_text(st, i++, inc->policy);
	incident_bind_text(st, i++, inc->action ? inc->action : "unknown");
	incident_bind_text(st, i++, inc->from_user ? inc->from_user : "");
	incident_bind_text(st, i++, inc->n_rcpts ? inc->rcpts[0] : NULL);
	incident_bind_text(st, i++, inc->profile);
	incident_bind_text(st, i++, inc->rule);
	incident_bind_text(st, i++, inc->severity);
	sqlite3_bind_int64(st, i++, inc->rule_count);
	sqlite3_bind_int64(st, i++, inc->unique_count);
	sqlite3_bind_int(st, i++, inc->is_unique_count);
	/* The subject may hold any bytes (a broken charset): keep them as
	 * they are; the API escapes on output. */
	if (inc->subject)
		sqlite3_bind_text(st, i++, inc->subject, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i++);
	incident_bind_text(st, i++, inc->md5[0] ? inc->md5 : NULL);
	sqlite3_bind_int64(st, i++, (int64_t)inc->size);
	incident_bind_text(st, i++, inc->upstream_reply);
	sqlite3_bind_int64(st, i++, inc->anomalies);
	incident_bind_text(st, i++, inc->client_addr);
	sqlite3_bind_int(st, i++, inc->forensics);
	incident_bind_text(st, i++, inc->quarantine_id);
	sqlite3_bind_int(st, i++, inc->notify_sender);
	incident_bind_text(st, i++, inc->details);
	sqlite3_bind_int(st, i++, inc->acked);
	if (sqlite3_step(st) != SQLITE_DONE)
		return -EIO;
	int64_t id = sqlite3_last_insert_rowid(s->db);
	for (size_t k = 0; k < inc->n_rcpts; k++) {
		sqlite3_reset(s->ins_rcpt);
		sqlite3_bind_int64(s->ins_rcpt, 1, id);
		sqlite3_bind_int64(s->ins_rcpt, 2, (int64_t)k);
		sqlite3_bind_text(s->ins_rcpt, 3, inc->rcpts[k], -1, SQLITE_STATIC);
		if (sqlite3_step(s->ins_rcpt) != SQLITE_DONE)
			return -EIO;
	}
	inc->id = id;
	return 0;
}

int incident_store_insert(struct incident_store *s, struct incident *const *incs, size_t n)
{
	if (n == 0)
		return 0;
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = -EIO;
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = incident_insert_one(s, incs[i]);
	if (rc == 0 && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = -EIO;
	if (rc != 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		for (size_t i = 0; i < n; i++)
			incs[i]->id = 0;
	}
out:
	sqlite3_reset(s->ins);
	sqlite3_reset(s->ins_rcpt);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int incident_store_ack(struct incident_store *s, int64_t id, bool acked)
{
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	sqlite3_reset(s->ack);
	sqlite3_bind_int(s->ack, 1, acked);
	sqlite3_bind_int64(s->ack, 2, id);
	if (sqlite3_step(s->ack) != SQLITE_DONE)
		rc = -EIO;
	else if (sqlite3_changes(s->db) == 0)
		rc = -ENOENT;
	sqlite3_reset(s->ack);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int64_t incident_store_purge(struct incident_store *s, int64_t before)
{
	int64_t n = -EIO;
	sqlite3_stmt *st;
	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, "DELETE FROM incidents WHERE ts < ?", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_int64(st, 1, before);
		if (sqlite3_step(st) == SQLITE_DONE)
			n = sqlite3_changes(s->db);
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

int incident_store_drain(struct incident_store *s, struct incident_queue *q, size_t max,
			 size_t *dropped)
{
	enum { BATCH = 64 };
	struct incident *batch[BATCH];
	size_t total = 0;
	int rc = 0;
	if (dropped)
		*dropped = 0;
	while (total < max) {
		size_t n = 0;
		while (n < BATCH && total + n < max) {
			struct incident *inc = incident_queue_pop(q);
			if (inc == NULL)
				break;
			batch[n++] = inc;
		}
		if (n == 0)
			break;
		int r = incident_store_insert(s, batch, n);
		if (r != 0) {
			rc = r;
			if (dropped)
				*dropped += n;
		} else {
			total += n;
		}
		for (size_t i = 0; i < n; i++)
			incident_free(batch[i]);
		if (r != 0)
			break;
	}
	return rc != 0 ? rc : (int)total;
}

/* ------------------------------------------------------------ reader */

struct incident_reader {
	sqlite3 *db;
	sqlite3_stmt *rcpts;
};

struct incident_reader *incident_reader_open(const char *path, char *err, size_t errlen)
{
	struct incident_reader *r = calloc(1, sizeof(*r));
	int ver = 0;
	if (r == NULL) {
		incident_err(err, errlen, path, NULL);
		return NULL;
	}
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		incident_err(err, errlen, path, r->db);
		goto fail;
	}
	sqlite3_busy_timeout(r->db, 2000);
	if (incident_user_version(r->db, &ver) != 0) {
		incident_err(err, errlen, path, r->db);
		goto fail;
	}
	if (ver != INCIDENT_SCHEMA_VERSION) {
		if (err && errlen)
			snprintf(err, errlen, "%s: schema version %d, expected %d", path, ver,
				 INCIDENT_SCHEMA_VERSION);
		goto fail;
	}
	if (sqlite3_prepare_v2(r->db,
			       "SELECT rcpt FROM incident_rcpts WHERE incident_id = ? ORDER BY pos",
			       -1, &r->rcpts, NULL) != SQLITE_OK) {
		incident_err(err, errlen, path, r->db);
		goto fail;
	}
	return r;
fail:
	incident_reader_close(r);
	return NULL;
}

void incident_reader_close(struct incident_reader *r)
{
	if (r == NULL)
		return;
	sqlite3_finalize(r->rcpts);
	sqlite3_close(r->db);
	free(r);
}

static char *incident_col(sqlite3_stmt *st, int i, bool *ok)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	const unsigned char *t = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);
	char *s = malloc((size_t)n + 1);
	if (s == NULL || t == NULL) {
		free(s);
		*ok = false;
		return NULL;
	}
	memcpy(s, t, (size_t)n);
	s[n] = '\0';
	return s;
}

/* Read the current row (INCIDENT_COLUMNS) into a new incident. */
static struct incident *incident_row(struct incident_reader *r, sqlite3_stmt *st)
{
	struct incident *inc = calloc(1, sizeof(*inc));
	bool ok = inc != NULL;
	if (!ok)
		return NULL;
	int c = 0;
	inc->id = sqlite3_column_int64(st, c++);
	const unsigned char *uid = sqlite3_column_text(st, c++);
	snprintf(inc->uid, sizeof(inc->uid), "%s", uid ? (const char *)uid : "");
	inc->timestamp = sqlite3_column_int64(st, c++);
	inc->received_ms = (uint64_t)sqlite3_column_int64(st, c++);
	inc->queue_id = incident_col(st, c++, &ok);
	inc->policy = incident_col(st, c++, &ok);
	inc->action = incident_col(st, c++, &ok);
	inc->from_user = incident_col(st, c++, &ok);
	inc->profile = incident_col(st, c++, &ok);
	inc->rule = incident_col(st, c++, &ok);
	inc->severity = incident_col(st, c++, &ok);
	inc->rule_count = (uint32_t)sqlite3_column_int64(st, c++);
	inc->unique_count = (uint32_t)sqlite3_column_int64(st, c++);
	inc->is_unique_count = sqlite3_column_int(st, c++) != 0;
	inc->subject = incident_col(st, c++, &ok);
	const unsigned char *md5 = sqlite3_column_text(st, c++);
	snprintf(inc->md5, sizeof(inc->md5), "%s", md5 ? (const char *)md5 : "");
	inc->size = (uint64_t)sqlite3_column_int64(st, c++);
	inc->upstream_reply = incident_col(st, c++, &ok);
	inc->anomalies = (uint32_t)sqlite3_column_int64(st, c++);
	inc->client_addr = incident_col(st, c++, &ok);
	inc->forensics = sqlite3_column_int(st, c++) != 0;
	inc->quarantine_id = incident_col(st, c++, &ok);
	inc->notify_sender = sqlite3_column_int(st, c++) != 0;
	inc->details = incident_col(st, c++, &ok);
	inc->acked = sqlite3_column_int(st, c++) != 0;

	sqlite3_reset(r->rcpts);
	sqlite3_bind_int64(r->rcpts, 1, inc->id);
	int rc;
	while (ok && (rc = sqlite3_step(r->rcpts)) == SQLITE_ROW) {
		char **nr = realloc(inc->rcpts, (inc->n_rcpts + 1) * sizeof(char *));
		if (nr == NULL) {
			ok = false;
			break;
		}
		inc->rcpts = nr;
		inc->rcpts[inc->n_rcpts] = incident_col(r->rcpts, 0, &ok);
		if (inc->rcpts[inc->n_rcpts] == NULL)
			ok = false;
		else
			inc->n_rcpts++;
	}
	sqlite3_reset(r->rcpts);
	if (!ok) {
		incident_free(inc);
		return NULL;
	}
	return inc;
}

int64_t incident_reader_query(struct incident_reader *r, const struct incident_filter *f,
			      int (*cb)(void *arg, const struct incident *inc), void *arg)
{
	struct api_buf sql = {0};
	api_buf_puts(&sql, "SELECT " INCIDENT_COLUMNS " FROM incidents WHERE (");
	api_buf_puts(&sql, f->query && f->query->sql ? f->query->sql : "1");
	api_buf_puts(&sql, ")");
	if (f->start)
		api_buf_puts(&sql, " AND ts >= ?");
	if (f->end)
		api_buf_puts(&sql, " AND ts < ?");
	if (f->acked >= 0)
		api_buf_puts(&sql, " AND acked = ?");
	if (f->action)
		api_buf_puts(&sql, " AND action = ?");
	if (f->after_id)
		api_buf_puts(&sql, " AND id > ?");
	api_buf_puts(&sql, f->oldest_first ? " ORDER BY id ASC LIMIT ? OFFSET ?"
					   : " ORDER BY ts DESC, id DESC LIMIT ? OFFSET ?");
	char *text = api_buf_steal(&sql, NULL);
	if (text == NULL)
		return -ENOMEM;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db, text, -1, &st, NULL) != SQLITE_OK) {
		free(text);
		return -EIO;
	}
	free(text);
	int i = 1;
	if (f->query) {
		for (size_t k = 0; k < f->query->n_params; k++, i++) {
			const struct aq_param *p = &f->query->params[k];
			if (p->is_int)
				sqlite3_bind_int64(st, i, p->i);
			else
				sqlite3_bind_text(st, i, p->s, -1, SQLITE_STATIC);
		}
	}
	if (f->start)
		sqlite3_bind_int64(st, i++, f->start);
	if (f->end)
		sqlite3_bind_int64(st, i++, f->end);
	if (f->acked >= 0)
		sqlite3_bind_int(st, i++, f->acked ? 1 : 0);
	if (f->action)
		sqlite3_bind_text(st, i++, f->action, -1, SQLITE_STATIC);
	if (f->after_id)
		sqlite3_bind_int64(st, i++, f->after_id);
	sqlite3_bind_int64(st, i++, f->limit ? (int64_t)f->limit : -1);
	sqlite3_bind_int64(st, i++, (int64_t)f->skip);

	int64_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct incident *inc = incident_row(r, st);
		if (inc == NULL) {
			n = -ENOMEM;
			break;
		}
		int stop = cb(arg, inc);
		incident_free(inc);
		if (stop) {
			n = stop;
			break;
		}
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		n = -EIO;
	sqlite3_finalize(st);
	return n;
}

int incident_reader_get(struct incident_reader *r, const char *key, struct incident **out)
{
	*out = NULL;
	size_t len = key ? strlen(key) : 0;
	if (len == 0 || len > 64)
		return -EINVAL;
	bool digits = true, hex = true;
	for (size_t i = 0; i < len; i++) {
		char c = key[i];
		if (c < '0' || c > '9')
			digits = false;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			hex = false;
	}
	if (!digits && !(hex && len == INCIDENT_UID_LEN))
		return -EINVAL;
	/* A numeric key is tried as id first, then as uid (a uid may be all
	 * digits). */
	static const char *const q[] = {
		"SELECT " INCIDENT_COLUMNS " FROM incidents WHERE id = ?",
		"SELECT " INCIDENT_COLUMNS " FROM incidents WHERE uid = ?",
	};
	for (int k = digits ? 0 : 1; k < 2; k++) {
		sqlite3_stmt *st;
		if (k == 1 && len != INCIDENT_UID_LEN)
			break;
		if (sqlite3_prepare_v2(r->db, q[k], -1, &st, NULL) != SQLITE_OK)
			return -EIO;
		if (k == 0)
			sqlite3_bind_int64(st, 1, strtoll(key, NULL, 10));
		else
			sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = incident_row(r, st);
			sqlite3_finalize(st);
			return *out ? 0 : -ENOMEM;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return -EIO;
	}
	return -ENOENT;
}

/* ------------------------------------------------------------- queue */

struct incident_cell {
	atomic_size_t seq;
	void *item;
};

struct incident_queue {
	size_t mask;
	struct incident_cell *cells;
	alignas(64) atomic_size_t head; /* producers */
	alignas(64) atomic_size_t tail; /* consumer */
};

struct incident_queue *incident_queue_create(unsigned capacity)
{
	size_t cap = 2;
	while (cap < capacity && cap < (1u << 30))
		cap <<= 1;
	struct incident_queue *q = aligned_alloc(64, sizeof(*q));
	if (q == NULL)
		return NULL;
	memset(q, 0, sizeof(*q));
	q->cells = calloc(cap, sizeof(*q->cells));
	if (q->cells == NULL) {
		free(q);
		errno = ENOMEM;
		return NULL;
	}
	q->mask = cap - 1;
	for (size_t i = 0; i < cap; i++)
		atomic_init(&q->cells[i].seq, i);
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	return q;
}

void incident_queue_destroy(struct incident_queue *q)
{
	if (q == NULL)
		return;
	free(q->cells);
	free(q);
}

int incident_queue_push(struct incident_queue *q, void *item)
{
	size_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
	struct incident_cell *c;
	for (;;) {
		c = &q->cells[pos & q->mask];
		size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
		intptr_t dif = (intptr_t)seq - (intptr_t)pos;
		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(&q->head, &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed))
				break;
		} else if (dif < 0) {
			return -ENOBUFS;
		} else {
			pos = atomic_load_explicit(&q->head, memory_order_relaxed);
		}
	}
	c->item = item;
	atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
	return 0;
}

void *incident_queue_pop(struct incident_queue *q)
{
	size_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
	struct incident_cell *c = &q->cells[pos & q->mask];
	size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
	if ((intptr_t)seq - (intptr_t)(pos + 1) < 0)
		return NULL;
	void *item = c->item;
	atomic_store_explicit(&q->tail, pos + 1, memory_order_relaxed);
	atomic_store_explicit(&c->seq, pos + q->mask + 1, memory_order_release);
	return item;
}
