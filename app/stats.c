/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats.c — counters registry: per-writer blocks summed on read, rendered
 * as JSON and as Prometheus text exposition.
 */
#include "app/stats.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stats {
	unsigned n_blocks;
	unsigned n_ports;
	char *port_names[STATS_MAX_PORTS];
	struct stats_block *blocks; /* n_blocks, 64-byte aligned */
};

struct stats_desc {
	const char *group;
	const char *name;
	bool gauge;
	const char *help;
};

static const struct stats_desc stats_desc[STATS_COUNT] = {
	[STATS_TCP_ACCEPTED] = {"tcp", "accepted", false, "TCP passive opens completed"},
	[STATS_TCP_CONNECTED] = {"tcp", "connected", false, "TCP active opens completed"},
	[STATS_TCP_CONNECT_FAILED] = {"tcp", "connect_failed", false,
				      "TCP active opens that failed"},
	[STATS_TCP_CLOSED] = {"tcp", "closed", false, "TCP connections closed"},
	[STATS_TCP_RESET_SENT] = {"tcp", "reset_sent", false, "RST segments sent"},
	[STATS_TCP_RESET_RECEIVED] = {"tcp", "reset_received", false, "RST segments accepted"},
	[STATS_TCP_RETRANSMITS] = {"tcp", "retransmits", false, "segments retransmitted"},
	[STATS_TCP_SYN_COOKIES_SENT] = {"tcp", "syn_cookies_sent", false, "SYN cookies sent"},
	[STATS_TCP_SYN_COOKIES_VALID] = {"tcp", "syn_cookies_valid", false,
					 "SYN cookies validated"},
	[STATS_TCP_BAD_SEGMENTS] = {"tcp", "bad_segments", false, "segments dropped as invalid"},
	[STATS_TCP_SOURCE_LIMITED] = {"tcp", "source_limited", false,
				      "connections refused by the per-source limit"},
	[STATS_TCP_TIMEOUTS] = {"tcp", "timeouts", false,
				"connections closed by idle or total timeouts"},
	[STATS_TCP_ACTIVE] = {"tcp", "active", true, "open TCP connections"},
	[STATS_TLS_HANDSHAKES] = {"tls", "handshakes", false, "inbound TLS handshakes completed"},
	[STATS_TLS_HANDSHAKE_FAILURES] = {"tls", "handshake_failures", false,
					  "inbound TLS handshakes failed"},
	[STATS_TLS_STARTTLS] = {"tls", "starttls", false, "STARTTLS commands accepted"},
	[STATS_TLS_IMPLICIT] = {"tls", "implicit", false, "implicit TLS connections"},
	[STATS_TLS_RESUMED] = {"tls", "resumed", false, "TLS sessions resumed"},
	[STATS_TLS_UPSTREAM_HANDSHAKES] = {"tls", "upstream_handshakes", false,
					   "upstream TLS handshakes completed"},
	[STATS_TLS_UPSTREAM_FAILURES] = {"tls", "upstream_failures", false,
					 "upstream TLS handshakes or verifications failed"},
	[STATS_SMTP_SESSIONS] = {"smtp", "sessions", false, "SMTP sessions started"},
	[STATS_SMTP_SESSIONS_ACTIVE] = {"smtp", "sessions_active", true,
					"SMTP sessions in progress"},
	[STATS_SMTP_MESSAGES] = {"smtp", "messages", false, "messages received to end of data"},
	[STATS_SMTP_MESSAGES_RELAYED] = {"smtp", "messages_relayed", false,
					 "messages accepted by the upstream MTA"},
	[STATS_SMTP_BYTES] = {"smtp", "bytes", false, "message bytes received"},
	[STATS_SMTP_RECIPIENTS] = {"smtp", "recipients", false, "recipients accepted"},
	[STATS_SMTP_REPLIES_4XX] = {"smtp", "replies_4xx", false, "4xx replies sent to senders"},
	[STATS_SMTP_REPLIES_5XX] = {"smtp", "replies_5xx", false, "5xx replies sent to senders"},
	[STATS_SMTP_OVERSIZE] = {"smtp", "oversize", false, "messages refused as too large"},
	[STATS_SMTP_TOO_MANY_RECIPIENTS] = {"smtp", "too_many_recipients", false,
					    "recipients refused over the limit"},
	[STATS_SMTP_LINE_TOO_LONG] = {"smtp", "line_too_long", false,
				      "over-long command or text lines"},
	[STATS_SMTP_BARE_LF] = {"smtp", "bare_lf", false, "bare LF seen"},
	[STATS_SMTP_SMUGGLING] = {"smtp", "smuggling", false,
				  "end-of-data smuggling variants seen"},
	[STATS_SMTP_PROTOCOL_ERRORS] = {"smtp", "protocol_errors", false, "SMTP protocol errors"},
	[STATS_SMTP_UPSTREAM_FAILURES] = {"smtp", "upstream_failures", false,
					  "upstream unreachable or temporary failures"},
	[STATS_DLP_MESSAGES] = {"dlp", "messages", false, "messages scanned"},
	[STATS_DLP_BYTES_DECODED] = {"dlp", "bytes_decoded", false, "decoded bytes scanned"},
	[STATS_DLP_MATCHES] = {"dlp", "matches", false, "entity matches"},
	[STATS_DLP_RULES_TRIGGERED] = {"dlp", "rules_triggered", false, "rules triggered"},
	[STATS_DLP_POLICIES_MATCHED] = {"dlp", "policies_matched", false,
					"messages that matched a policy"},
	[STATS_DLP_ANOMALIES] = {"dlp", "anomalies", false, "messages with decoding anomalies"},
	[STATS_DLP_UNSCANNABLE] = {"dlp", "unscannable", false, "messages not fully scannable"},
	[STATS_DLP_ERRORS] = {"dlp", "errors", false, "scan errors"},
	[STATS_ACTION_ALLOW] = {"actions", "allow", false, "messages allowed"},
	[STATS_ACTION_ALERT] = {"actions", "alert", false, "messages alerted"},
	[STATS_ACTION_ADD_HEADER] = {"actions", "add_header", false,
				     "messages with a policy header added"},
	[STATS_ACTION_BLOCK] = {"actions", "block", false, "messages blocked"},
	[STATS_ACTION_QUARANTINE] = {"actions", "quarantine", false, "messages quarantined"},
	[STATS_ACTION_TEMPFAIL] = {"actions", "tempfail", false, "messages temporarily failed"},
	[STATS_ACTION_NOTIFY_SENDER] = {"actions", "notify_sender", false, "sender notices sent"},
	[STATS_INCIDENTS_RECORDED] = {"management", "incidents_recorded", false,
				      "incidents stored"},
	[STATS_INCIDENTS_DROPPED] = {"management", "incidents_dropped", false,
				     "incidents lost (queue full or store error)"},
	[STATS_FORENSICS_STORED] = {"management", "forensics_stored", false,
				    "forensic copies stored"},
	[STATS_FORENSICS_EVICTED] = {"management", "forensics_evicted", false,
				     "forensic copies evicted"},
	[STATS_QUARANTINE_HELD] = {"management", "quarantine_held", false,
				   "messages put in quarantine"},
	[STATS_QUARANTINE_RELEASED] = {"management", "quarantine_released", false,
				       "quarantined messages released"},
	[STATS_API_REQUESTS] = {"management", "api_requests", false, "API requests"},
	[STATS_API_UNAUTHORIZED] = {"management", "api_unauthorized", false,
				    "API requests refused with 401"},
};

static const char *const stats_port_names[STATS_PORT_COUNT] = {
	[STATS_PORT_RX_PACKETS] = "rx_packets",
	[STATS_PORT_RX_BYTES] = "rx_bytes",
	[STATS_PORT_TX_PACKETS] = "tx_packets",
	[STATS_PORT_TX_BYTES] = "tx_bytes",
	[STATS_PORT_RX_DROPPED] = "rx_dropped",
	[STATS_PORT_TX_DROPPED] = "tx_dropped",
	[STATS_PORT_ARP] = "arp",
	[STATS_PORT_ICMP] = "icmp",
};

const char *stats_group(enum stats_id id)
{
	return (unsigned)id < STATS_COUNT ? stats_desc[id].group : "unknown";
}

const char *stats_name(enum stats_id id)
{
	return (unsigned)id < STATS_COUNT ? stats_desc[id].name : "unknown";
}

const char *stats_port_name(enum stats_port_id id)
{
	return (unsigned)id < STATS_PORT_COUNT ? stats_port_names[id] : "unknown";
}

struct stats *stats_create(const struct stats_params *p)
{
	if (p == NULL || p->n_blocks == 0 || p->n_blocks > STATS_MAX_BLOCKS ||
	    p->n_ports > STATS_MAX_PORTS || (p->n_ports > 0 && p->port_names == NULL)) {
		errno = EINVAL;
		return NULL;
	}
	struct stats *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->blocks = aligned_alloc(64, sizeof(struct stats_block) * p->n_blocks);
	if (s->blocks == NULL) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	memset(s->blocks, 0, sizeof(struct stats_block) * p->n_blocks);
	s->n_blocks = p->n_blocks;
	for (unsigned i = 0; i < p->n_ports; i++) {
		s->port_names[i] = strdup(p->port_names[i] ? p->port_names[i] : "");
		if (s->port_names[i] == NULL) {
			stats_destroy(s);
			errno = ENOMEM;
			return NULL;
		}
		s->n_ports = i + 1;
	}
	return s;
}

void stats_destroy(struct stats *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->n_ports; i++)
		free(s->port_names[i]);
	free(s->blocks);
	free(s);
}

struct stats_block *stats_block(struct stats *s, unsigned idx)
{
	if (s == NULL || idx >= s->n_blocks)
		return NULL;
	return &s->blocks[idx];
}

void stats_read(const struct stats *s, struct stats_totals *out)
{
	memset(out, 0, sizeof(*out));
	out->n_ports = s->n_ports;
	/* Unsigned wrap-around makes the per-block gauge deltas sum correctly. */
	for (unsigned b = 0; b < s->n_blocks; b++) {
		const struct stats_block *blk = &s->blocks[b];
		for (unsigned i = 0; i < STATS_COUNT; i++)
			out->c[i] += __atomic_load_n(&blk->c[i], __ATOMIC_RELAXED);
		for (unsigned p = 0; p < s->n_ports; p++)
			for (unsigned i = 0; i < STATS_PORT_COUNT; i++)
				out->port[p][i] +=
					__atomic_load_n(&blk->port[p][i], __ATOMIC_RELAXED);
	}
}

/* Port names come from the config; escape them for JSON strings and for
 * Prometheus label values (both accept \" and \\; control bytes dropped). */
static void stats_put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c >= 0x20 && c != 0x7f)
			fputc(c, f);
	}
}

static char *stats_finish(FILE *f, char **buf)
{
	if (ferror(f)) {
		fclose(f);
		free(*buf);
		errno = ENOMEM;
		return NULL;
	}
	if (fclose(f) != 0) {
		free(*buf);
		errno = ENOMEM;
		return NULL;
	}
	return *buf;
}

char *stats_render_json(const struct stats *s, size_t *len)
{
	struct stats_totals t;
	char *buf = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&buf, &sz);
	if (f == NULL)
		return NULL;
	stats_read(s, &t);
	fputs("{\"ports\":{", f);
	for (unsigned p = 0; p < t.n_ports; p++) {
		fputs(p ? ",\"" : "\"", f);
		stats_put_escaped(f, s->port_names[p]);
		fputs("\":{", f);
		for (unsigned i = 0; i < STATS_PORT_COUNT; i++)
			fprintf(f, "%s\"%s\":%llu", i ? "," : "", stats_port_names[i],
				(unsigned long long)t.port[p][i]);
		fputc('}', f);
	}
	fputc('}', f);
	const char *group = NULL;
	for (unsigned i = 0; i < STATS_COUNT; i++) {
		if (group == NULL || strcmp(group, stats_desc[i].group) != 0) {
			fprintf(f, "%s,\"%s\":{", group ? "}" : "", stats_desc[i].group);
			group = stats_desc[i].group;
		} else {
			fputc(',', f);
		}
		if (stats_desc[i].gauge)
			fprintf(f, "\"%s\":%lld", stats_desc[i].name, (long long)(int64_t)t.c[i]);
		else
			fprintf(f, "\"%s\":%llu", stats_desc[i].name, (unsigned long long)t.c[i]);
	}
	fputs("}}", f);
	char *out = stats_finish(f, &buf);
	if (out && len)
		*len = sz;
	return out;
}

char *stats_render_prometheus(const struct stats *s, size_t *len)
{
	struct stats_totals t;
	char *buf = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&buf, &sz);
	if (f == NULL)
		return NULL;
	stats_read(s, &t);
	static const char *const port_help[STATS_PORT_COUNT] = {
		"frames received",
		"bytes received",
		"frames sent",
		"bytes sent",
		"frames dropped on receive",
		"frames dropped on transmit",
		"ARP frames handled",
		"ICMP messages handled",
	};
	for (unsigned i = 0; i < STATS_PORT_COUNT; i++) {
		fprintf(f, "# HELP smtpdlp_port_%s_total %s\n", stats_port_names[i], port_help[i]);
		fprintf(f, "# TYPE smtpdlp_port_%s_total counter\n", stats_port_names[i]);
		for (unsigned p = 0; p < t.n_ports; p++) {
			fprintf(f, "smtpdlp_port_%s_total{port=\"", stats_port_names[i]);
			stats_put_escaped(f, s->port_names[p]);
			fprintf(f, "\"} %llu\n", (unsigned long long)t.port[p][i]);
		}
	}
	for (unsigned i = 0; i < STATS_COUNT; i++) {
		const struct stats_desc *d = &stats_desc[i];
		const char *suffix = d->gauge ? "" : "_total";
		fprintf(f, "# HELP smtpdlp_%s_%s%s %s\n", d->group, d->name, suffix, d->help);
		fprintf(f, "# TYPE smtpdlp_%s_%s%s %s\n", d->group, d->name, suffix,
			d->gauge ? "gauge" : "counter");
		if (d->gauge)
			fprintf(f, "smtpdlp_%s_%s %lld\n", d->group, d->name,
				(long long)(int64_t)t.c[i]);
		else
			fprintf(f, "smtpdlp_%s_%s_total %llu\n", d->group, d->name,
				(unsigned long long)t.c[i]);
	}
	char *out = stats_finish(f, &buf);
	if (out && len)
		*len = sz;
	return out;
}
