/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api.h — the management REST API (libmicrohttpd), on the management
 * address only (kernel sockets, never the DPDK ports).
 *
 * Endpoints (every one needs the token; see "Authentication"):
 *   GET|POST /api/v1/alerts              Netskope-compatible alerts (DESIGN.md §6)
 *   GET      /api/v2/events/data/alert   same data, {"ok":1,"result":[...]};
 *                                        with index=<name> it is an iterator
 *                                        (see below)
 *   GET      /api/v1/incidents/{id}      one incident with its rules/matches;
 *                                        {id} = dlp_incident_id or _id
 *   GET      /api/v1/incidents/{id}/forensics  the message as received (message/rfc822)
 *   GET      /api/v1/incidents/{id}/matches    the stored match list (JSON)
 *   POST     /api/v1/incidents/{id}/ack        acked=true|false (default true)
 *   GET      /api/v1/quarantine                held messages, newest first
 *   GET      /api/v1/quarantine/{qid}          one item's metadata
 *   GET      /api/v1/quarantine/{qid}/message  the held message
 *   POST     /api/v1/quarantine/{qid}/release  relay it upstream (202)
 *   POST     /api/v1/quarantine/{qid}/delete   (or DELETE /api/v1/quarantine/{qid})
 *   GET      /api/v1/stats                     counters as JSON
 *   GET      /metrics                          Prometheus text exposition
 *
 * /api/v1/alerts parameters, from the query string and/or the POST body
 * (application/json object of scalars, or application/x-www-form-urlencoded;
 * body values win): token, type (policy and DLP select every incident,
 * quarantine those quarantined, other Netskope alert types none; unknown →
 * 400), query (app/alert_query.h; may be URL-encoded once more, as the
 * seed's Tines payload does), timeperiod (3600 | 86400 | 604800 | 2592000)
 * or starttime/endtime (epoch seconds, inclusive; not with timeperiod;
 * none = all time), limit (default 100, clamped to max_limit), skip, acked
 * (true|false). Newest first.
 *
 * v2 iterator (Netskope's index/operation): index=<name> keeps a position
 * per name (the last incident id handed out; in memory, up to 64 names, a
 * restart starts them from the beginning). operation=next (default) returns
 * the incidents after the position in id order (limit applies) and advances;
 * head restarts from the beginning; tail jumps past the newest (returns
 * nothing); resend returns the previous batch again; an epoch time positions
 * after the newest incident older than it. The answer carries wait_time
 * (5 when nothing was new) and timestamp_hwm.
 *
 * Responses: {"status":"success","msg":"","data":[...]} or
 * {"status":"error","msg":"<reason>"} with 400 (bad parameter or query),
 * 401 (token), 404, 405, 409 (quarantine item busy), 413 (body over
 * max_body), 500, 503 (store not configured). Strings are escaped byte-exact
 * where valid UTF-8 and with U+FFFD for invalid bytes.
 *
 * Authentication: the token may come as the `token` parameter, the
 * `Netskope-Api-Token` header or `Authorization: Bearer <token>`. The
 * configured token and the presented one are both reduced to
 * HMAC-SHA256(k, token) under a random per-process key k and the 32-byte
 * digests compared in constant time, so neither content nor length leaks
 * through timing. Tokens are never logged.
 *
 * TLS: when tls_cert_file and tls_key_file are set the API serves HTTPS
 * only; if this libmicrohttpd was built without TLS, api_start() fails with
 * a clear error instead of falling back to HTTP. Debian's libmicrohttpd12
 * (0.9.75, GnuTLS) supports it. Without them it serves plain HTTP: bind it
 * to a loopback or dedicated management address.
 *
 * Threads: libmicrohttpd runs one internal polling thread; every request is
 * handled there, reading SQLite through the API's own read-only
 * incident_reader (WAL lets it read beside the control thread's writes).
 * Acks go through incident_store_ack() (the store serialises them with the
 * control thread's inserts); quarantine and forensics calls are
 * thread-safe. api_start() and api_stop() are called by the control thread.
 */
#ifndef SMTPDLP_API_H
#define SMTPDLP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/quarantine_store.h"

struct incident_store;
struct forensics_store;
struct stats;
struct stats_block;

#define API_DEFAULT_LIMIT 100
#define API_MAX_LIMIT 5000
#define API_MAX_BODY (64 * 1024)

struct api_params {
	const char *listen_address; /* IPv4 or IPv6 literal, e.g. "127.0.0.1" */
	uint16_t port;		    /* 0 = ephemeral (tests; see api_port()) */
	const char *token;	    /* required, non-empty; copied as a digest only */
	const char *tls_cert_file;  /* PEM; both or neither */
	const char *tls_key_file;
	const char *database;		     /* incidents database path (read-only here) */
	struct incident_store *store;	     /* acks; NULL → 503 on ack */
	struct forensics_store *forensics;   /* NULL → 404 on downloads */
	struct quarantine_store *quarantine; /* NULL → 503 on quarantine calls */
	quarantine_relay_fn relay;	     /* release: hands the message to the relay path */
	void *relay_arg;
	struct stats *stats;		 /* NULL → 503 on /api/v1/stats and /metrics */
	struct stats_block *stats_block; /* the API thread's counters, or NULL */
	size_t max_limit;		 /* 0 = API_MAX_LIMIT */
	size_t max_body;		 /* 0 = API_MAX_BODY */
	unsigned max_connections;	 /* 0 = 64 */
	unsigned timeout_s;		 /* idle connection timeout, 0 = 30 */
};

struct api;

/* Start serving. Borrowed pointers in p must outlive the api. NULL with a
 * reason in err (bad address, no token, TLS requested but unsupported or
 * unreadable files, bind failure, database not readable). */
struct api *api_start(const struct api_params *p, char *err, size_t errlen);

/* Stop serving and wait for the thread. NULL is a no-op. */
void api_stop(struct api *a);

/* The bound TCP port (useful with port 0). */
uint16_t api_port(const struct api *a);

/* Whether the linked libmicrohttpd can serve HTTPS. */
bool api_tls_supported(void);

#endif /* SMTPDLP_API_H */
