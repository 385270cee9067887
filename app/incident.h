/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * incident.h — DLP incidents: the record, the SQLite store, and the hand-off
 * queue from the lcores to the control thread.
 *
 * Flow (DESIGN.md §4 step 8):
 *   dlp/io lcore: verdict + envelope + queue id + action taken + upstream
 *     reply → incident_create() → hand-off (the daemon's rte_ring, or
 *     incident_queue_push() here, which needs no DPDK)
 *   control thread: incident_store_insert() (batched, one transaction),
 *     incident_store_purge() for retention
 *   API thread (libmicrohttpd's): its own struct incident_reader, a
 *   read-only SQLite connection; WAL lets it read while the control thread
 *   writes.
 *
 * Threads:
 *  - struct incident: plain data, owned by whoever holds the pointer.
 *  - struct incident_store: one read-write connection. Its functions take an
 *    internal mutex, so the control thread inserts and purges and the API
 *    thread may call incident_store_ack() on the same store; there is still
 *    exactly one writing connection (no SQLITE_BUSY between writers).
 *  - struct incident_reader: one per thread, never shared.
 *  - struct incident_queue: bounded, lock-free, multi-producer /
 *    single-consumer; push from any lcore, pop on the control thread only.
 *
 * Schema (PRAGMA user_version = INCIDENT_SCHEMA_VERSION; opening a database
 * with a newer version fails): table incidents (one row per incident; column
 * names are the alert field names, see app/alert_query.h) and table
 * incident_rcpts (incident_id, rcpt) for smtp_to.
 */
#ifndef SMTPDLP_INCIDENT_H
#define SMTPDLP_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "dlp/dlp.h"

struct alert_query;

#define INCIDENT_SCHEMA_VERSION 1
#define INCIDENT_UID_LEN 24 /* hex characters of "_id" */

/* One incident. Every string is owned by the struct (incident_free()). */
struct incident {
	int64_t id;			/* "dlp_incident_id": row id, 0 until stored */
	char uid[INCIDENT_UID_LEN + 1]; /* "_id": random hex, set by incident_create() */
	int64_t timestamp;		/* epoch seconds of end of data */
	uint64_t received_ms;		/* end of data, ms since the epoch */
	char *queue_id;			/* the proxy's queue id */
	char *policy;			/* matched policy, or NULL */
	char *profile;			/* "dlp_profile" */
	char *action;			/* action taken: "alert", "add-header", "block",
					 * "quarantine", "allow", "tempfail" */
	char *severity;			/* "dlp_rule_severity": low/medium/high/critical/none */
	char *from_user;		/* envelope sender ("" for <>) */
	char **rcpts;			/* "smtp_to" */
	size_t n_rcpts;
	char *subject;	       /* "object": decoded subject (any bytes), or NULL */
	char *rule;	       /* "dlp_rule": the rule that reached `severity` */
	uint32_t rule_count;   /* "dlp_rule_count" */
	uint32_t unique_count; /* "dlp_unique_count" */
	bool is_unique_count;  /* "dlp_is_unique_count": the rule counts unique */
	char *details;	       /* JSON: {"rules":[...],"entities":[...],"anomalies":[...]} */
	char md5[33];	       /* hex md5 of the message as received, "" unknown */
	uint64_t size;	       /* "file_size": message bytes */
	char *upstream_reply;  /* final upstream reply line, or NULL (blocked) */
	uint32_t anomalies;    /* enum dlp_anomaly bits */
	char *client_addr;     /* sender MTA address, or NULL */
	bool forensics;	       /* a forensic copy is stored under uid */
	char *quarantine_id;   /* quarantine item id, or NULL */
	bool notify_sender;
	bool acked;
};

/* What the proxy knows besides the verdict. All borrowed; NULL = unknown. */
struct incident_meta {
	const char *queue_id;
	/* The SMTP envelope; when mail_from is not NULL it replaces the
	 * verdict's from/rcpts (which may come from the headers). */
	const char *mail_from;
	const char *const *rcpts;
	size_t n_rcpts;
	uint64_t received_ms;	  /* 0 = now */
	const char *action_taken; /* NULL = the verdict's action */
	const char *upstream_reply;
	const char *md5; /* 32 hex chars */
	uint64_t size;	 /* 0 = verdict->raw_bytes */
	const char *client_addr;
	const char *quarantine_id;
	bool forensics;
	const struct cfg *cfg; /* optional: rule count modes for dlp_is_unique_count */
};

/* Build an incident from a verdict (borrowed; may be freed afterwards).
 * Returns NULL + errno (EINVAL if v is NULL, ENOMEM). Any thread. */
struct incident *incident_create(const struct dlp_verdict *v, const struct incident_meta *m);
void incident_free(struct incident *inc); /* NULL is a no-op */

/* "alert", "add-header", ...: the API's action names. Never NULL. */
const char *incident_action_name(enum cfg_action a);
const char *incident_severity_name(enum cfg_severity s);

/* ------------------------------------------------------------- store */

struct incident_store;

/* Open (creating if needed) the database at path in WAL mode, create or
 * check the schema. NULL with a message in err on failure. ":memory:" is
 * accepted for tests (then readers cannot share it). */
struct incident_store *incident_store_open(const char *path, char *err, size_t errlen);
void incident_store_close(struct incident_store *s); /* NULL is a no-op */

/* Insert n incidents in one transaction; sets each one's id. The incidents
 * stay owned by the caller. Returns 0 or a negative errno (-EIO on SQLite
 * errors; nothing is inserted then). */
int incident_store_insert(struct incident_store *s, struct incident *const *incs, size_t n);

/* Set or clear acked. 0, -ENOENT (no such id), -EIO. */
int incident_store_ack(struct incident_store *s, int64_t id, bool acked);

/* Delete incidents with timestamp < before (retention). Returns the number
 * deleted, or a negative errno. */
int64_t incident_store_purge(struct incident_store *s, int64_t before);

/* ------------------------------------------------------------ reader */

struct incident_reader;

/* A read-only connection to the database at path (the store must have
 * created it). NULL + message in err. */
struct incident_reader *incident_reader_open(const char *path, char *err, size_t errlen);
void incident_reader_close(struct incident_reader *r); /* NULL is a no-op */

struct incident_filter {
	const struct alert_query *query; /* compiled alerts query, or NULL */
	int64_t start, end;		 /* timestamp >= start and < end; 0 = unbounded */
	int acked;			 /* -1 any, 0 not acked, 1 acked */
	const char *action;		 /* only this action taken, or NULL */
	int64_t after_id;		 /* only id > after_id (iterators); 0 = any */
	bool oldest_first;		 /* order by id ascending instead of newest first */
	size_t limit;			 /* 0 = no limit */
	size_t skip;
};

/* Call cb for each matching incident, newest first (timestamp, then id,
 * descending) or, with oldest_first, in id order. The incident passed is only valid during the
 * call. A non-zero return from cb stops the walk and is returned. Otherwise returns the number of
 * incidents visited, or a negative errno (-EIO). */
int64_t incident_reader_query(struct incident_reader *r, const struct incident_filter *f,
			      int (*cb)(void *arg, const struct incident *inc), void *arg);

/* Fetch one incident by its id (all digits) or uid. *out is the caller's
 * (incident_free()). 0, -ENOENT, -EINVAL (malformed key), -EIO, -ENOMEM. */
int incident_reader_get(struct incident_reader *r, const char *key, struct incident **out);

/* ------------------------------------------------------------- queue */

struct incident_queue;

/* A bounded MPSC queue of pointers; capacity is rounded up to a power of
 * two (>= 2). NULL + errno. */
struct incident_queue *incident_queue_create(unsigned capacity);
/* Frees nothing it holds: drain it first. NULL is a no-op. */
void incident_queue_destroy(struct incident_queue *q);
/* Any thread. 0, or -ENOBUFS when full (the caller keeps ownership). */
int incident_queue_push(struct incident_queue *q, void *item);
/* Consumer thread only. Returns the oldest item, or NULL when empty. */
void *incident_queue_pop(struct incident_queue *q);

/* Control thread: pop up to max incidents from q, insert them in one
 * transaction and free them. Returns the number inserted, or a negative
 * errno (the popped incidents are freed either way and counted by the
 * caller as dropped: the count is in *dropped if not NULL). */
int incident_store_drain(struct incident_store *s, struct incident_queue *q, size_t max,
			 size_t *dropped);

#endif /* SMTPDLP_INCIDENT_H */
