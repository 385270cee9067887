/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtp_proxy.h — one proxied SMTP session: the server facing the sender, the
 * client facing the upstream MTA, the DLP scan and the policy action, with
 * the no-loss rule: the sender gets 250 for a message only after the
 * upstream said 250 for it (or the quarantine store kept it).
 *
 * Sans-IO. The transport (the DPDK TCP stack glue, the in-memory test pump,
 * the benchmark) owns two byte pipes and drives the session with calls:
 *
 *   sender side ("down")                upstream side ("up")
 *   smtp_proxy_down_recv(bytes)         smtp_proxy_up_connected() / _connect_failed()
 *   smtp_proxy_down_pending(&buf) ->    smtp_proxy_up_recv(bytes)
 *   smtp_proxy_down_sent(n)             smtp_proxy_up_pending(&buf) / _up_sent(n)
 *   smtp_proxy_down_closed()            smtp_proxy_up_closed()
 *
 * plus smtp_proxy_next_timeout() / smtp_proxy_timer(), and
 * smtp_proxy_verdict() when an asynchronous scan backend has a verdict.
 * TLS (STARTTLS on both sides, implicit TLS on the listener) lives inside
 * the session: the transport only ever sees wire bytes.
 *
 * After any call the transport:
 *   1. drains output on both sides: while (n = *_pending(&b)) send, *_sent(n);
 *   2. re-offers any input a *_recv() call did not accept (it accepts fewer
 *      bytes only when its bounded staging is full or TLS output is pending;
 *      TCP flow control holds the rest);
 *   3. reads smtp_proxy_events(): UP_CONNECT (open a TCP connection to
 *      cfg.smtp.upstream, then call up_connected or up_connect_failed),
 *      UP_CLOSE (close the upstream connection once up output is drained;
 *      no more up_* calls for it), DOWN_CLOSE (close the sender connection
 *      once down output is drained);
 *   4. destroys the session when smtp_proxy_done() is true.
 * Every call is non-blocking and runs in time bounded by its input.
 */
#ifndef SMTPDLP_APP_SMTP_PROXY_H
#define SMTPDLP_APP_SMTP_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/msgbuf.h"
#include "app/quarantine.h"
#include "app/smtp_scan.h"
#include "config/cfg.h"

struct tls_config;
struct smtp_proxy;
struct smtp_upool;

/* Sender-side staging of plaintext held back while a command waits. */
#define SMTP_PROXY_DOWN_IN_MAX (64u * 1024u)
/* Upstream plaintext queued ahead of the transport while relaying. */
#define SMTP_PROXY_RELAY_HIGH (256u * 1024u)
/* Largest piece handed to the client per body call. */
#define SMTP_PROXY_RELAY_PIECE (64u * 1024u)

/* The incident record for one message (every action but a no-match allow). */
struct smtp_incident {
	const char *queue_id;
	const char *client_helo;
	const char *mail_from;       /* "" for <> */
	const char *const *rcpts;    /* accepted recipients */
	size_t n_rcpts;
	const struct dlp_verdict *verdict; /* NULL if the scan failed */
	enum cfg_action action;      /* what was done with the message */
	bool unscannable;            /* on_unscannable decided */
	uint64_t msg_bytes;          /* as received, after dot-unstuffing */
	const struct msgbuf *msg;    /* the message as received (forensics, md5) */
	uint64_t relayed_bytes;      /* sent upstream incl. added headers, 0 if not */
	uint16_t reply_code;         /* what the sender was told */
	uint16_t upstream_code;      /* the upstream's final reply, 0 if none */
	const char *upstream_text;   /* its text (not NUL-terminated), or NULL */
	size_t upstream_text_len;
	uint64_t t_data_ms;          /* DATA / first BDAT */
	uint64_t t_eod_ms;           /* end of data */
	uint64_t t_done_ms;          /* final reply to the sender */
	bool tls_in, tls_out;
};

/* Borrowed record: copy what you keep. Called on the session's lcore. */
typedef void (*smtp_incident_fn)(void *ctx, const struct smtp_incident *inc);

struct smtp_proxy_params {
	const struct cfg *cfg;            /* borrowed; outlives the session */
	enum cfg_listen_tls listen_tls;   /* plain, starttls or implicit */
	struct tls_config *tls_server;    /* NULL: no STARTTLS / implicit TLS */
	struct tls_config *tls_client;    /* NULL: upstream in plaintext only */
	struct msgbuf_pool *pool;         /* message chunks (per lcore) */
	const struct smtp_scan_ops *scan_ops; /* DLP backend */
	void *scan_ctx;
	const struct quarantine_ops *quarantine; /* may be NULL: 451 on quarantine */
	void *quarantine_ctx;
	smtp_incident_fn incident;        /* may be NULL */
	void *incident_ctx;
	/* Called for every message at its final reply (one log line per
	 * message), before incident() when it is an incident. May be NULL. */
	smtp_incident_fn message;
	void *message_ctx;
	uint64_t session_id;              /* unique per lcore; names queue ids */
	struct smtp_upool *upool;         /* idle upstream connections, or NULL */
};

/* Create a session for an accepted connection. NULL + errno (EINVAL,
 * ENOMEM, or the TLS layer's errno for implicit TLS). */
struct smtp_proxy *smtp_proxy_create(const struct smtp_proxy_params *p);
void smtp_proxy_destroy(struct smtp_proxy *p); /* NULL is a no-op */

/* Start: the greeting (or, implicit TLS, wait for the ClientHello). */
void smtp_proxy_start(struct smtp_proxy *p, uint64_t now_ms);

/* ------------------------------------------------------ sender side */
/* Wire bytes from the sender; returns the bytes accepted (see above). */
size_t smtp_proxy_down_recv(struct smtp_proxy *p, const void *data, size_t len, uint64_t now_ms);
/* Wire bytes to send to the sender: *buf valid until the next call. */
size_t smtp_proxy_down_pending(struct smtp_proxy *p, const uint8_t **buf);
void smtp_proxy_down_sent(struct smtp_proxy *p, size_t n, uint64_t now_ms);
/* The sender's connection closed or reset. */
void smtp_proxy_down_closed(struct smtp_proxy *p, uint64_t now_ms);

/* ---------------------------------------------------- upstream side */
void smtp_proxy_up_connected(struct smtp_proxy *p, uint64_t now_ms);
void smtp_proxy_up_connect_failed(struct smtp_proxy *p, int err, uint64_t now_ms);
size_t smtp_proxy_up_recv(struct smtp_proxy *p, const void *data, size_t len, uint64_t now_ms);
size_t smtp_proxy_up_pending(struct smtp_proxy *p, const uint8_t **buf);
void smtp_proxy_up_sent(struct smtp_proxy *p, size_t n, uint64_t now_ms);
void smtp_proxy_up_closed(struct smtp_proxy *p, uint64_t now_ms);

/* The transport's name for the current upstream connection (any pointer);
 * kept with the connection when it is parked in the pool. */
void smtp_proxy_set_up_handle(struct smtp_proxy *p, void *handle);
void *smtp_proxy_up_handle(const struct smtp_proxy *p);

/* ------------------------------------------------------------ other */
#define SMTP_PROXY_EV_UP_CONNECT 0x1u
#define SMTP_PROXY_EV_UP_CLOSE   0x2u
#define SMTP_PROXY_EV_DOWN_CLOSE 0x4u
/* The session ended and its idle upstream connection went to the pool:
 * keep the TCP connection open; its events now go to smtp_upool_drop(). */
#define SMTP_PROXY_EV_UP_POOLED  0x8u
/* The session took an idle connection from the pool instead of asking for
 * UP_CONNECT: route that connection (smtp_proxy_up_handle()) to it. */
#define SMTP_PROXY_EV_UP_ADOPTED 0x10u
/* One-shot events since the last call (cleared by reading). */
uint32_t smtp_proxy_events(struct smtp_proxy *p);
/* Both sides finished: destroy the session. */
bool smtp_proxy_done(const struct smtp_proxy *p);

uint64_t smtp_proxy_next_timeout(const struct smtp_proxy *p);
void smtp_proxy_timer(struct smtp_proxy *p, uint64_t now_ms);

/* An asynchronous backend's verdict for this session's current message
 * (ownership passes to the session; released through the backend). A
 * verdict arriving after the message was abandoned is released. */
void smtp_proxy_verdict(struct smtp_proxy *p, struct dlp_verdict *v, int err, uint64_t now_ms);

/* Heap bytes held by the session now, TLS contexts excluded (see
 * smtp_proxy_tls_memory()). */
size_t smtp_proxy_memory(const struct smtp_proxy *p);
size_t smtp_proxy_tls_memory(const struct smtp_proxy *p);

struct smtp_proxy_stats {
	uint32_t messages;       /* ends of data */
	uint32_t relayed;        /* upstream said 2xx */
	uint32_t blocked;
	uint32_t quarantined;
	uint32_t tempfailed;     /* 4xx given for a message */
	uint32_t upstream_failures;
	uint32_t incidents;
	uint64_t bytes_in;       /* message bytes received */
	uint64_t bytes_out;      /* message bytes relayed incl. headers */
	uint32_t tls_in;         /* sender-side handshakes completed (STARTTLS or implicit) */
	uint32_t tls_in_resumed; /* ... of which resumed a session */
	uint32_t tls_in_failed;  /* sender-side handshakes that failed */
	uint32_t tls_out;        /* upstream handshakes completed */
	uint32_t tls_out_failed; /* upstream handshakes that failed */
};
const struct smtp_proxy_stats *smtp_proxy_stats(const struct smtp_proxy *p);

/*
 * The bounded idle pool of upstream connections (one per io lcore): a
 * session that ends with its upstream connection ready and idle parks it
 * here (set-up, TLS and EHLO already done) and the next session that needs
 * the upstream takes the most recently parked one. Connections are reused
 * across messages of one session anyway (RSET between when needed).
 */
/* At most max_idle connections, each kept at most idle_ms. NULL + errno. */
struct smtp_upool *smtp_upool_create(unsigned max_idle, uint64_t idle_ms);
/* Remaining connections are freed; the transport closes their TCP
 * connections itself (drain them with smtp_upool_expire(UINT64_MAX)). */
void smtp_upool_destroy(struct smtp_upool *u);
unsigned smtp_upool_count(const struct smtp_upool *u);
/* Remove one connection idle since before now - idle_ms: returns true and
 * its handle, which the transport then closes. Call until false. */
bool smtp_upool_expire(struct smtp_upool *u, uint64_t now_ms, void **handle);
/* A parked connection saw input or was closed by the peer: forget it
 * (the transport closes it). 0 or -ENOENT. */
int smtp_upool_drop(struct smtp_upool *u, void *handle);
const struct smtp_server *smtp_proxy_server(const struct smtp_proxy *p);

#endif /* SMTPDLP_APP_SMTP_PROXY_H */
