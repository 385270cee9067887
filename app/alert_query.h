/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * alert_query.h — the alerts API query language, compiled to a
 * parameterised SQL WHERE clause over the incidents table (app/incident.c).
 *
 * Grammar (keywords case-insensitive, as in Netskope's REST API v1):
 *
 *   expr    := term { "or" term }
 *   term    := factor { "and" factor }
 *   factor  := "not" factor | "(" expr ")" | field op value
 *            | field "in" "[" value { "," value } "]"
 *   op      := eq | ne | like | lt | le | gt | ge
 *   value   := 'text' | "text" | bare-word
 *
 * Inside a quoted value a backslash escapes the next byte and a doubled quote
 * stands for one quote. Bare words are runs of [A-Za-z0-9_.@+:/-].
 *
 * Semantics:
 *  - eq / ne / in compare exactly; address fields (from_user, to_user,
 *    smtp_to, user) compare case-insensitively (ASCII).
 *  - like: a substring match, case-insensitive for ASCII ('secret' matches
 *    "Top Secret plan"). If the value contains '%', it is a whole-value
 *    pattern instead, anchored at both ends, '%' matching any run of bytes
 *    ('Q3%' = starts with Q3, '%.pdf' = ends with .pdf). '_' and '\' are
 *    literal. A literal '%' cannot be searched for.
 *  - lt/le/gt/ge only on numeric fields (timestamp, file_size, counts, ids).
 *  - acked takes true/false (also yes/no, 1/0).
 *  - smtp_to matches when any recipient of the incident matches.
 *
 * URL encoding: clients (the seed's Tines story) send the query
 * percent-encoded inside JSON: "(policy%20in%20%5B%20'Customer%20email%20Hold'%20%5D)".
 * A query that contains no whitespace but a %XX escape or a '+' is taken as
 * encoded and decoded once (%XX → byte, '+' → space) before parsing. A query with
 * whitespace is used as is, so like '%abc%' patterns are not mangled; a
 * decoded query always has whitespace between a field and its operator.
 *
 * Field names (whitelist; anything else is an error):
 *   _id dlp_incident_id timestamp type alert_type policy action from_user user
 *   to_user smtp_to dlp_profile dlp_rule dlp_rule_severity dlp_rule_count
 *   dlp_unique_count object object_type md5 file_size acked queue_id
 *   upstream_reply
 *
 * The generated SQL references only fixed column names of table
 * `incidents` and `incident_rcpts`; every value is a bound parameter.
 * Pure functions, no I/O, thread-safe.
 */
#ifndef SMTPDLP_ALERT_QUERY_H
#define SMTPDLP_ALERT_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AQ_MAX_TEXT 8192  /* bytes of query text */
#define AQ_MAX_DEPTH 32	  /* nesting of parentheses / not */
#define AQ_MAX_PARAMS 512 /* bound values */

enum aq_status {
	AQ_OK = 0,
	AQ_ERR_SYNTAX,	 /* unexpected token, unbalanced parentheses, bad quote */
	AQ_ERR_FIELD,	 /* unknown field */
	AQ_ERR_OPERATOR, /* operator not valid for that field */
	AQ_ERR_VALUE,	 /* value not valid for that field (e.g. not a number) */
	AQ_ERR_LIMIT,	 /* too long, too deep, too many values */
	AQ_ERR_NOMEM,
};

struct aq_param {
	bool is_int;
	int64_t i;
	char *s; /* NUL-terminated text (is_int false); may contain any byte but NUL */
};

/* A compiled query. sql is a boolean SQL expression usable as
 * "WHERE <sql>"; params bind to its '?' placeholders in order (1-based
 * index = array index + 1). */
struct alert_query {
	char *sql;
	struct aq_param *params;
	size_t n_params;
};

/*
 * Compile `text` (len bytes, need not be NUL-terminated). An empty or
 * all-whitespace text compiles to "1" (match everything).
 * On AQ_OK *out owns its memory (alert_query_free()); otherwise *out is
 * zeroed and `reason` (NUL-terminated, truncated to reasonlen) says what is
 * wrong and where, suitable for a 400 response.
 */
enum aq_status alert_query_compile(const char *text, size_t len, struct alert_query *out,
				   char *reason, size_t reasonlen);

/* Release a compiled query; zeroes *q. NULL is a no-op. */
void alert_query_free(struct alert_query *q);

/* Short name of a status ("syntax", "field", ...). */
const char *alert_query_status_name(enum aq_status st);

#endif /* SMTPDLP_ALERT_QUERY_H */
