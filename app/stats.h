/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats.h — the appliance's counters registry.
 *
 * Every counter the daemon keeps (per port, TCP, TLS, SMTP, DLP, actions,
 * incidents) has a fixed id below. Each writer thread (an io or dlp lcore,
 * the control thread) owns one cache-aligned struct stats_block and bumps it
 * with stats_inc()/stats_add() — plain loads and stores, no lock prefix, no
 * sharing of cache lines between writers. Readers (the API thread) sum the
 * blocks with stats_read(); a sum may be a few increments behind, never torn
 * (64-bit aligned relaxed atomic stores/loads are plain moves on x86-64 and
 * AArch64, which is what the __atomic builtins here compile to).
 *
 * Rendering: stats_render_json() for GET /api/v1/stats and
 * stats_render_prometheus() for GET /metrics (text exposition format 0.0.4).
 */
#ifndef SMTPDLP_STATS_H
#define SMTPDLP_STATS_H

#include <stddef.h>
#include <stdint.h>

#define STATS_MAX_PORTS 8
#define STATS_MAX_BLOCKS 128

/* Global (not per port) counters. Names in stats.c (stats_name()). */
enum stats_id {
	/* tcp */
	STATS_TCP_ACCEPTED = 0, /* passive opens completed */
	STATS_TCP_CONNECTED,	/* active opens (upstream) completed */
	STATS_TCP_CONNECT_FAILED,
	STATS_TCP_CLOSED,
	STATS_TCP_RESET_SENT,
	STATS_TCP_RESET_RECEIVED,
	STATS_TCP_RETRANSMITS,
	STATS_TCP_SYN_COOKIES_SENT,
	STATS_TCP_SYN_COOKIES_VALID,
	STATS_TCP_BAD_SEGMENTS,	  /* checksum, RFC 5961 challenge cases */
	STATS_TCP_SOURCE_LIMITED, /* refused by the per-source limit */
	STATS_TCP_TIMEOUTS,	  /* idle / total timeouts */
	STATS_TCP_ACTIVE,	  /* gauge: open connections */
	/* tls */
	STATS_TLS_HANDSHAKES, /* inbound, completed */
	STATS_TLS_HANDSHAKE_FAILURES,
	STATS_TLS_STARTTLS,
	STATS_TLS_IMPLICIT,
	STATS_TLS_RESUMED,
	STATS_TLS_UPSTREAM_HANDSHAKES,
	STATS_TLS_UPSTREAM_FAILURES,
	/* smtp */
	STATS_SMTP_SESSIONS,
	STATS_SMTP_SESSIONS_ACTIVE,  /* gauge */
	STATS_SMTP_MESSAGES,	     /* end of data reached */
	STATS_SMTP_MESSAGES_RELAYED, /* upstream said 2xx */
	STATS_SMTP_BYTES,	     /* message bytes received */
	STATS_SMTP_RECIPIENTS,
	STATS_SMTP_REPLIES_4XX, /* sent to the sender */
	STATS_SMTP_REPLIES_5XX,
	STATS_SMTP_OVERSIZE,
	STATS_SMTP_TOO_MANY_RECIPIENTS,
	STATS_SMTP_LINE_TOO_LONG,
	STATS_SMTP_BARE_LF,
	STATS_SMTP_SMUGGLING,
	STATS_SMTP_PROTOCOL_ERRORS,
	STATS_SMTP_UPSTREAM_FAILURES, /* unreachable / 4xx from upstream */
	/* dlp */
	STATS_DLP_MESSAGES,
	STATS_DLP_BYTES_DECODED,
	STATS_DLP_MATCHES,
	STATS_DLP_RULES_TRIGGERED,
	STATS_DLP_POLICIES_MATCHED,
	STATS_DLP_ANOMALIES, /* messages with any anomaly bit */
	STATS_DLP_UNSCANNABLE,
	STATS_DLP_ERRORS,
	/* actions taken */
	STATS_ACTION_ALLOW,
	STATS_ACTION_ALERT,
	STATS_ACTION_ADD_HEADER,
	STATS_ACTION_BLOCK,
	STATS_ACTION_QUARANTINE,
	STATS_ACTION_TEMPFAIL,
	STATS_ACTION_NOTIFY_SENDER,
	/* management */
	STATS_INCIDENTS_RECORDED,
	STATS_INCIDENTS_DROPPED, /* hand-off queue full or store error */
	STATS_FORENSICS_STORED,
	STATS_FORENSICS_EVICTED,
	STATS_QUARANTINE_HELD,
	STATS_QUARANTINE_RELEASED,
	STATS_API_REQUESTS,
	STATS_API_UNAUTHORIZED,
	STATS_COUNT
};

/* Per-port counters. */
enum stats_port_id {
	STATS_PORT_RX_PACKETS = 0,
	STATS_PORT_RX_BYTES,
	STATS_PORT_TX_PACKETS,
	STATS_PORT_TX_BYTES,
	STATS_PORT_RX_DROPPED, /* no mbuf / ring full */
	STATS_PORT_TX_DROPPED, /* NIC did not take them */
	STATS_PORT_ARP,
	STATS_PORT_ICMP,
	STATS_PORT_COUNT
};

/* One writer's counters. Only its owner writes it. */
struct stats_block {
	uint64_t c[STATS_COUNT];
	uint64_t port[STATS_MAX_PORTS][STATS_PORT_COUNT];
} __attribute__((aligned(64)));

struct stats;

struct stats_params {
	unsigned n_blocks;	       /* writers: lcores + control, <= STATS_MAX_BLOCKS */
	const char *const *port_names; /* n_ports names ("inside"); copied */
	unsigned n_ports;	       /* <= STATS_MAX_PORTS */
};

/* Create a registry with zeroed blocks. NULL + errno (EINVAL, ENOMEM). */
struct stats *stats_create(const struct stats_params *p);
void stats_destroy(struct stats *s); /* NULL is a no-op */

/* The block of writer `idx` (< n_blocks); owned by the registry, valid
 * until stats_destroy(). Hand it to exactly one thread. */
struct stats_block *stats_block(struct stats *s, unsigned idx);

static inline void stats_add(struct stats_block *b, enum stats_id id, uint64_t n)
{
	__atomic_store_n(&b->c[id], b->c[id] + n, __ATOMIC_RELAXED);
}

static inline void stats_inc(struct stats_block *b, enum stats_id id)
{
	stats_add(b, id, 1);
}

/* Gauges go down too (connections closed): */
static inline void stats_sub(struct stats_block *b, enum stats_id id, uint64_t n)
{
	__atomic_store_n(&b->c[id], b->c[id] - n, __ATOMIC_RELAXED);
}

static inline void stats_port_add(struct stats_block *b, unsigned port, enum stats_port_id id,
				  uint64_t n)
{
	if (port < STATS_MAX_PORTS)
		__atomic_store_n(&b->port[port][id], b->port[port][id] + n, __ATOMIC_RELAXED);
}

/* Sums over all blocks, as read by stats_read(). */
struct stats_totals {
	uint64_t c[STATS_COUNT];
	uint64_t port[STATS_MAX_PORTS][STATS_PORT_COUNT];
	unsigned n_ports;
};

/* Sum every block into *out. Any thread. Gauges are summed as signed
 * values (a connection opened on one lcore may be closed on another). */
void stats_read(const struct stats *s, struct stats_totals *out);

/* "tcp", "accepted", ...: the group and short name of a counter. */
const char *stats_group(enum stats_id id);
const char *stats_name(enum stats_id id);
const char *stats_port_name(enum stats_port_id id);

/* Render the current totals. Returns a malloc'd NUL-terminated string (the
 * caller frees it) and its length in *len, or NULL + errno. Any thread.
 * JSON: {"ports":{"inside":{"rx_packets":N,...}},"tcp":{...},"tls":{...},
 *        "smtp":{...},"dlp":{...},"actions":{...},"management":{...}}
 * Prometheus: smtpdlp_<group>_<name>_total (counters) / smtpdlp_<group>_<name>
 * (gauges), per-port ones labelled {port="inside"}. */
char *stats_render_json(const struct stats *s, size_t *len);
char *stats_render_prometheus(const struct stats *s, size_t *len);

#endif /* SMTPDLP_STATS_H */
