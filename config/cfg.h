/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg.h — the typed configuration of smtpdlp.
 *
 * cfg_load() reads one libconfig file (schema: config/examples/ and
 * ../shared/smtpdlp.conf.example), validates every value, loads the files it
 * references (dictionary CSVs, address lists, the API token) and returns one
 * immutable struct cfg. Every error names the file, the line and the setting:
 * "smtpdlp.conf:42: dlp.rules.[1].count: must be unique, total or score".
 *
 * A struct cfg owns all of its memory; cfg_free() releases it. Nothing here
 * touches DPDK or the network, so the DLP engine and the SMTP state machines
 * use it in unit tests and in the offline scanner alike.
 *
 * Names are kept as strings; the DLP engine resolves rule -> entity and
 * policy -> profile references when it builds a policy snapshot, and reports
 * a dangling name with the `line` recorded here.
 */
#ifndef SMTPDLP_CFG_H
#define SMTPDLP_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ enums */

enum cfg_severity {
	CFG_SEV_NONE = 0,
	CFG_SEV_LOW,
	CFG_SEV_MEDIUM,
	CFG_SEV_HIGH,
	CFG_SEV_CRITICAL,
};
#define CFG_SEV_COUNT 5

enum cfg_action {
	CFG_ACTION_ALLOW = 0,
	CFG_ACTION_ALERT,
	CFG_ACTION_ADD_HEADER,
	CFG_ACTION_BLOCK,
	CFG_ACTION_QUARANTINE,
};

enum cfg_listen_tls { CFG_LISTEN_PLAIN = 0, CFG_LISTEN_STARTTLS, CFG_LISTEN_IMPLICIT };
enum cfg_upstream_tls { CFG_UP_TLS_NONE = 0, CFG_UP_TLS_OPPORTUNISTIC, CFG_UP_TLS_REQUIRED };
enum cfg_syn_cookies { CFG_SYN_COOKIES_AUTO = 0, CFG_SYN_COOKIES_ALWAYS, CFG_SYN_COOKIES_NEVER };
enum cfg_unscannable { CFG_UNSCANNABLE_TEMPFAIL = 0, CFG_UNSCANNABLE_HOLD, CFG_UNSCANNABLE_ALLOW };
enum cfg_bare_lf { CFG_BARE_LF_REJECT = 0, CFG_BARE_LF_NORMALIZE };
enum cfg_tls_version { CFG_TLS_1_2 = 0, CFG_TLS_1_3 };

enum cfg_entity_type {
	CFG_ENTITY_DICTIONARY = 0,
	CFG_ENTITY_REGEX,
	CFG_ENTITY_IDENTIFIER,
};

/* Predefined identifiers with validators (entity type "identifier"). */
enum cfg_identifier {
	CFG_ID_PAYMENT_CARD = 0, /* "payment-card": 13-19 digits, Luhn, IIN */
	CFG_ID_US_SSN,           /* "us-ssn" */
	CFG_ID_IBAN,             /* "iban": country length + mod 97 */
};

enum cfg_count_mode { CFG_COUNT_UNIQUE = 0, CFG_COUNT_TOTAL, CFG_COUNT_SCORE };

/* Rule scope bits. */
#define CFG_SCOPE_CONTENT  0x1u /* subject, bodies, attachments */
#define CFG_SCOPE_METADATA 0x2u /* from, to, cc, attachment names */

/* ------------------------------------------------------------ dataplane */

struct cfg_port {
	char *name;       /* "inside" */
	char *device;     /* EAL device string, "net_af_packet0,iface=dlp-in" */
	uint32_t ipv4;    /* host byte order */
	uint8_t prefix_len;
	uint32_t gateway; /* host byte order, 0 = none */
	uint16_t mtu;     /* default 1500 */
	int line;
};

struct cfg_fault {
	double drop, duplicate, reorder; /* probabilities per frame, 0..1 */
};

struct cfg_dataplane {
	char **eal;          /* extra EAL argv, n_eal entries */
	size_t n_eal;
	unsigned *io_lcores; /* lcore ids running ports, TCP, TLS, SMTP */
	size_t n_io_lcores;
	unsigned *dlp_lcores; /* lcore ids running MIME + scanning */
	size_t n_dlp_lcores;
	unsigned mbufs;       /* mbufs per pool, default 16384 */
	unsigned idle_sleep_us; /* io lcore sleep when idle (0 = busy-poll, default) */
	struct cfg_port *ports;
	size_t n_ports;
	struct cfg_fault fault;
};

struct cfg_tcp {
	unsigned max_connections;           /* default 65536 */
	enum cfg_syn_cookies syn_cookies;   /* default auto */
	unsigned max_per_source;            /* per-source connection cap, default 256 */
	unsigned syn_backlog;               /* half-open limit before cookies, default 1024 */
};

/* ----------------------------------------------------------------- smtp */

struct cfg_listen {
	char *port;             /* dataplane port name */
	uint32_t address;       /* host byte order; defaults to the port's ipv4 and
	                         * must equal it when a dataplane is configured */
	uint16_t tcp_port;
	enum cfg_listen_tls tls;
	int line;
};

struct cfg_upstream {
	char *port;
	uint32_t address; /* host byte order */
	uint16_t tcp_port;
	enum cfg_upstream_tls tls; /* default opportunistic */
	bool verify;       /* default false; true requires a readable ca_file */
	char *ca_file;     /* resolved path or NULL */
	char *server_name; /* SNI and name verification, or NULL */
	unsigned pool_idle; /* idle upstream connections kept, default 8 */
};

struct cfg_timeouts {
	unsigned command;  /* seconds, default 300 */
	unsigned data;     /* seconds, default 600 */
	unsigned upstream; /* seconds, default 120 */
	unsigned connect;  /* seconds, default 30: TCP connect to the upstream */
	unsigned data_total; /* seconds, default 3600: a whole message's DATA/BDAT */
};

struct cfg_smtp {
	struct cfg_listen *listen;
	size_t n_listen;
	bool require_tls;
	uint64_t max_message_size; /* bytes, advertised with SIZE; default 50 MiB */
	unsigned max_recipients;   /* default 1000 */
	unsigned max_line_length;  /* text line limit incl. CRLF, default 1000 */
	enum cfg_bare_lf bare_lf;  /* default reject */
	char *block_reply;         /* text after "550 5.7.1 "; "%p" = policy name;
	                            * printable ASCII, <= 400 chars; default
	                            * "Message blocked by data loss prevention policy %p" */
	struct cfg_timeouts timeouts;
	struct cfg_upstream upstream;
};

struct cfg_tls {
	char *certificate; /* resolved path or NULL when no TLS is configured */
	char *key;
	enum cfg_tls_version min_version;
};

/* ------------------------------------------------------------------ dlp */

/* Dictionary terms: CSV format and duplicate handling in config/cfg_csv.h
 * (duplicates are merged, first occurrence kept). */
struct cfg_term {
	char *term;  /* UTF-8, as written in the CSV (quotes removed) */
	int weight;  /* -100..100, default 1 */
	int line;    /* line in the CSV file */
};

struct cfg_entity {
	char *name;          /* any text without '"' (rule expressions quote names) */
	enum cfg_entity_type type;
	int line;
	/* dictionary */
	char *file;          /* resolved CSV path */
	struct cfg_term *terms;
	size_t n_terms;
	bool case_sensitive; /* default false */
	/* regex */
	char *pattern;       /* Hyperscan (PCRE subset) syntax */
	/* identifier */
	enum cfg_identifier identifier;
};

struct cfg_rule {
	char *name;
	char *match;            /* entity expression: AND OR NOT NEAR(n) ( ) */
	enum cfg_count_mode count;
	/* severity thresholds: count >= value reaches the level; 0 = unset.
	 * Index by enum cfg_severity (CFG_SEV_LOW..CFG_SEV_CRITICAL). */
	long severity[CFG_SEV_COUNT];
	unsigned scope;         /* CFG_SCOPE_* bits, default content */
	int line;
};

struct cfg_profile {
	char *name;
	char **rules; /* rule names */
	size_t n_rules;
	int line;
};

/* Limits of the MIME decoder; each hit sets an anomaly on the verdict. */
struct cfg_dlp_limits {
	unsigned max_depth;        /* multipart / message nesting, default 20 */
	unsigned max_parts;        /* default 1000 */
	unsigned max_header_bytes; /* one part's header block, default 256 KiB */
	unsigned max_line_length;  /* decoder line buffer, default 64 KiB */
	unsigned max_matches;      /* match records kept per entity, default 100 */
};

struct cfg_dlp {
	char **internal_domains;
	size_t n_internal_domains;
	uint64_t scan_limit;      /* decoded bytes per message, default 32 MiB */
	enum cfg_unscannable on_unscannable;
	char *inspected_header;   /* default "X-SMTPDLP-Inspected" */
	struct cfg_dlp_limits limits;
	struct cfg_entity *entities;
	size_t n_entities;
	struct cfg_rule *rules;
	size_t n_rules;
	struct cfg_profile *profiles;
	size_t n_profiles;
};

/* -------------------------------------------------------------- policies */

/* A set of users: exact addresses and domains (lower-cased; a domain also
 * covers its subdomains only when written as ".corp.example"). Lists named
 * in `address_files` / `domain_files` are loaded into the arrays. Empty set
 * with external == false means "anyone". */
struct cfg_userset {
	char **addresses;
	size_t n_addresses;
	char **domains;
	size_t n_domains;
	bool external; /* "to" only: any recipient outside internal_domains */
	bool any;      /* true when nothing was configured */
};

struct cfg_policy {
	char *name;
	bool enabled;           /* default true */
	struct cfg_userset from;
	struct cfg_userset to;
	char **profiles;        /* profile names */
	size_t n_profiles;
	enum cfg_severity min_severity; /* default low */
	enum cfg_action action;
	char *header_name;      /* add-header: required; NULL for other actions */
	char *header_value;     /* no CR/LF or other controls, <= 900 bytes */
	bool notify_sender;
	int line;
};

/* ------------------------------------------------------ incidents, api */

/* Defaults: database /var/lib/smtpdlp/incidents.db, forensics disabled in
 * /var/lib/smtpdlp/forensics, max_bytes 1 GiB, retention_days 30. */
struct cfg_incidents {
	char *database;          /* SQLite path */
	bool forensics_enabled;
	char *forensics_directory;
	uint64_t forensics_max_bytes;
	unsigned retention_days;
	char *quarantine_directory; /* default <forensics dir>/../quarantine */
};

struct cfg_api {
	char *listen_address; /* "127.0.0.1" */
	uint16_t listen_port; /* 8080 */
	char *token;          /* contents of token_file, trimmed; never logged;
	                       * NULL only when the api section is absent */
	char *tls_certificate; /* optional (api.tls = { certificate; key; }): HTTPS */
	char *tls_key;
};

/* Policy-violation notice to the sender (policy notify_sender = true), built
 * by app/notify.h and relayed through the upstream MTA with a null sender.
 * Template placeholders: {policy} {subject} {recipients} {time} {sender}
 * {queue_id} {action} {hostname}. */
struct cfg_notify {
	char *from;          /* From: address, default "postmaster@<hostname>" */
	char *subject;       /* Subject template, default "Policy violation: {policy}" */
	char *template_file; /* resolved path of the body template, or NULL */
	char *template;      /* its contents (UTF-8), or NULL = built-in text */
};

/* ------------------------------------------------------------------ top */

struct cfg {
	char *path;      /* the file loaded, as given */
	char *base_dir;  /* directory relative paths were resolved against */
	char *hostname;  /* appliance.hostname; default gethostname() or "localhost" */
	struct cfg_dataplane dataplane;
	struct cfg_tcp tcp;
	struct cfg_smtp smtp;
	struct cfg_tls tls;
	struct cfg_dlp dlp;
	struct cfg_policy *policies;
	size_t n_policies;
	struct cfg_incidents incidents;
	struct cfg_api api;
	struct cfg_notify notify;
};

/*
 * Load and validate the file at `path`.
 * Returns a new struct cfg, or NULL with a message written to err (always
 * NUL-terminated, truncated to errlen) of the form "file:line: setting: what".
 * Sections other than dlp and policies may be absent (defaults apply), so
 * the offline scanner can use a DLP-only file.
 */
struct cfg *cfg_load(const char *path, char *err, size_t errlen);

/* Same, from a string; `path` names it in messages and anchors relative paths. */
struct cfg *cfg_load_string(const char *text, const char *path, char *err, size_t errlen);

/* Release everything; NULL is a no-op. */
void cfg_free(struct cfg *cfg);

/* Names for messages and JSON; never NULL. */
const char *cfg_severity_name(enum cfg_severity s);
const char *cfg_action_name(enum cfg_action a);

#endif /* SMTPDLP_CFG_H */
