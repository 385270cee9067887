/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dlp.h — the DLP engine's public interface.
 *
 * Three objects, with the life cycle the appliance needs:
 *
 *  - struct dlp_policy_set: an immutable snapshot built from a struct cfg on
 *    the control thread: one Hyperscan database holding every pattern of
 *    every entity, the rules, profiles and ordered policies. Reference
 *    counted so a reload can publish a new one while messages in flight
 *    finish on the old one (RCU-style hand-over by the caller).
 *  - struct dlp_scanner: per worker (dlp lcore, thread or the offline tool):
 *    Hyperscan scratch cloned for that worker, reusable message state.
 *    Never shared between threads.
 *  - struct dlp_txn: one message. Raw RFC 5322 bytes (after SMTP
 *    dot-unstuffing) are pushed in any chunking; the MIME decoder, charset
 *    conversion, HTML-to-text and the Hyperscan stream scan run as the bytes
 *    arrive; dlp_txn_end() evaluates rules and policies and returns the
 *    verdict.
 *
 * No DPDK, no I/O: usable from tests, the scanner tool and the daemon.
 *
 * Matching semantics (details in dlp/entities.h, dlp/rule_expr.h,
 * dlp/policy.h and docs/BENCHMARKS.md):
 *  - parts: every decoded MIME leaf part is its own stream ("1", "2.1");
 *    the decoded Subject is content ("header:subject"); From, To, Cc and
 *    attachment file names are metadata ("metadata:from", "metadata:to",
 *    "metadata:cc", "metadata:filename:<part>"). Offsets are bytes into that
 *    part's decoded text.
 *  - dictionary terms: whole words, case folded unless the entity is
 *    case_sensitive (ASCII letters fully; Latin-1, Latin Extended-A, Greek
 *    and Cyrillic letters as lower, UPPER or Capitalised), any run of
 *    whitespace (or NBSP) between the words of a phrase; duplicate terms
 *    (after folding) keep the first one and its weight.
 *  - count = every match (a regex: one per leftmost start, its value the
 *    longest match from there); unique_count = distinct terms (dictionaries)
 *    or distinct normalised values (identifiers: digits/characters without
 *    separators; regexes: the shortest match text); a rule's score is the sum of
 *    the weights of every match (identifier and regex matches weigh 1).
 *  - recipients are internal when their domain is one of
 *    dlp.internal_domains or a subdomain of one.
 */
#ifndef SMTPDLP_DLP_H
#define SMTPDLP_DLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"

struct dlp_policy_set;
struct dlp_scanner;
struct dlp_txn;

/* Anomaly bits on a verdict (decoding problems and limits hit). */
enum dlp_anomaly {
	DLP_ANOM_DEPTH         = 1u << 0,  /* nesting deeper than limits.max_depth */
	DLP_ANOM_PARTS         = 1u << 1,  /* more parts than limits.max_parts */
	DLP_ANOM_HEADER_SIZE   = 1u << 2,  /* a header block over max_header_bytes */
	DLP_ANOM_LINE_LENGTH   = 1u << 3,  /* a line over max_line_length */
	DLP_ANOM_SCAN_LIMIT    = 1u << 4,  /* decoded bytes over dlp.scan_limit */
	DLP_ANOM_BAD_BASE64    = 1u << 5,
	DLP_ANOM_BAD_QP        = 1u << 6,
	DLP_ANOM_BAD_BOUNDARY  = 1u << 7,  /* missing closing boundary, etc. */
	DLP_ANOM_BAD_CHARSET   = 1u << 8,  /* unknown charset, or conversion errors */
	DLP_ANOM_BAD_UTF8      = 1u << 9,
	DLP_ANOM_NUL           = 1u << 10, /* NUL bytes in a text part */
	DLP_ANOM_BAD_HEADER    = 1u << 11, /* malformed header / encoded word */
	DLP_ANOM_BAD_ARCHIVE   = 1u << 12, /* archive not expandable (bomb, broken) */
	DLP_ANOM_SCAN_ERROR    = 1u << 13, /* Hyperscan failed: content unscanned */
	/* a second Content-Type or Content-Transfer-Encoding in one entity:
	 * readers differ on which one counts (the first is used) */
	DLP_ANOM_AMBIGUOUS_HEADER = 1u << 14,
};

/* Anomalies that make the message (partly) unscannable, so that
 * dlp.on_unscannable decides. */
#define DLP_ANOM_UNSCANNABLE (DLP_ANOM_DEPTH | DLP_ANOM_PARTS | \
	DLP_ANOM_SCAN_LIMIT | DLP_ANOM_BAD_ARCHIVE | DLP_ANOM_SCAN_ERROR | \
	DLP_ANOM_AMBIGUOUS_HEADER)

/* Name of one anomaly bit ("depth", "scan-limit", ...), NULL if unknown. */
const char *dlp_anomaly_name(uint32_t bit);

/* The envelope of one message. NULL mail_from / n_rcpts == 0 means "take it
 * from the message's From / To+Cc headers" (the offline scanner does that). */
struct dlp_envelope {
	const char *mail_from;
	const char *const *rcpts;
	size_t n_rcpts;
};

/* One match kept for forensics. */
struct dlp_match {
	char *term;     /* dictionary term as configured, or NULL */
	char *value;    /* regex/identifier value, masked ("4111********1111"), or NULL */
	char *part;     /* MIME part path: "1", "2.1", "header:subject", "metadata:to" */
	uint64_t offset; /* byte offset in that part's decoded text */
};

struct dlp_entity_result {
	char *name;
	uint32_t count;        /* every match */
	uint32_t unique_count; /* distinct terms / distinct normalised values */
	struct dlp_match *matches; /* the first limits.max_matches */
	size_t n_matches;
};

struct dlp_rule_result {
	char *name;
	enum cfg_severity severity; /* highest threshold reached; NONE = not triggered */
	uint32_t count;
	uint32_t unique_count;
	int64_t score;
};

/*
 * The result for one message. Owns every string it points to, so it may
 * outlive the policy set and travel to the control thread.
 * action is ALLOW with policy == NULL when no policy matched.
 */
struct dlp_verdict {
	enum cfg_action action;
	char *policy;           /* first matching policy, or NULL */
	char *profile;          /* first matching profile of that policy */
	enum cfg_severity severity; /* highest severity among that policy's rules */
	char *header_name;      /* add-header action, else NULL */
	char *header_value;
	bool notify_sender;
	/* Triggered rules (any profile, any policy), in configuration order. */
	struct dlp_rule_result *rules;
	size_t n_rules;
	/* Entities with at least one match. */
	struct dlp_entity_result *entities;
	size_t n_entities;
	uint32_t anomalies;      /* enum dlp_anomaly bits */
	bool unscannable;        /* anomalies & DLP_ANOM_UNSCANNABLE */
	enum cfg_unscannable on_unscannable; /* what the config says to do then */
	/* Message facts for incidents. */
	char *from;             /* envelope or header sender */
	char **rcpts;           /* envelope or header recipients */
	size_t n_rcpts;
	char *subject;          /* decoded Subject, or NULL */
	uint64_t raw_bytes;     /* bytes fed */
	uint64_t decoded_bytes; /* decoded text bytes scanned */
};

/* Build a snapshot from a loaded config. Compiles the Hyperscan database.
 * Returns NULL with "file:line: setting: what" in err on a bad rule
 * expression, unknown entity/rule/profile name, or a pattern Hyperscan
 * rejects. The result holds one reference. */
struct dlp_policy_set *dlp_policy_set_build(const struct cfg *cfg, char *err, size_t errlen);
void dlp_policy_set_ref(struct dlp_policy_set *ps);
void dlp_policy_set_unref(struct dlp_policy_set *ps); /* NULL is a no-op */

/* Hyperscan database facts for benchmarks and logs. */
size_t dlp_policy_set_db_bytes(const struct dlp_policy_set *ps);
size_t dlp_policy_set_pattern_count(const struct dlp_policy_set *ps);

/* A worker's scanner for that snapshot (takes a reference). NULL + errno. */
struct dlp_scanner *dlp_scanner_create(struct dlp_policy_set *ps);
void dlp_scanner_destroy(struct dlp_scanner *sc); /* NULL is a no-op */

/* Begin a message. The envelope is copied. NULL + errno on resource failure.
 * At most one transaction per scanner is open at a time unless the
 * implementation documents otherwise. */
struct dlp_txn *dlp_txn_begin(struct dlp_scanner *sc, const struct dlp_envelope *env);

/* Push raw message bytes (any split). 0, or -errno on resource failure
 * (the caller then temp-fails the message). */
int dlp_txn_feed(struct dlp_txn *txn, const void *data, size_t len);

/* Finish: flush decoders, evaluate rules and policies. Returns a verdict the
 * caller frees with dlp_verdict_free(), or NULL + errno. Frees txn either way. */
struct dlp_verdict *dlp_txn_end(struct dlp_txn *txn);

/* Abandon a message (session aborted). NULL is a no-op. */
void dlp_txn_abort(struct dlp_txn *txn);

/* NULL is a no-op. Only this frees a verdict the engine made: its strings
 * may share allocations (an entity's matches[] holds its match strings). */
void dlp_verdict_free(struct dlp_verdict *v);

#endif /* SMTPDLP_DLP_H */
