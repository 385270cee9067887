/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtp_client.h — the sans-IO SMTP client that relays to the upstream MTA.
 *
 * Bytes in (the upstream's replies, plaintext after any TLS layer), command
 * and message bytes out into an iobuf the owner drains, events up through an
 * ops table. Time is passed in; smtp_client_next_timeout() says when to call
 * smtp_client_timer(). No sockets, clocks or threads.
 *
 * Session set-up: greeting 220 -> EHLO (falls back to HELO on 5xx) ->
 * STARTTLS per cfg.smtp.upstream.tls (none; opportunistic: when offered and a
 * TLS config exists; required: the session fails unless offered and the
 * handshake succeeds) -> EHLO again -> ready. The owner runs the TLS
 * handshake itself when told (ops->starttls) and calls
 * smtp_client_tls_ready() when it is established.
 *
 * Transactions: MAIL and RCPT are written immediately and pipelined when the
 * upstream offers PIPELINING (otherwise one at a time: the owner asks
 * smtp_client_can_send()). Each reply is handed back with the command kind,
 * in order. The message goes with DATA (dot-stuffed here) or, when the
 * upstream offers CHUNKING and PIPELINING, with BDAT chunks (raw) and a final
 * "BDAT 0 LAST". The final reply is reported as SMTP_CMD_EOD.
 *
 * Failures (unexpected or malformed replies, 421, timeouts, a closed
 * connection) end the client: ops->failed() once; then the owner destroys it.
 */
#ifndef SMTPDLP_APP_SMTP_CLIENT_H
#define SMTPDLP_APP_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/msgbuf.h"
#include "app/smtp_reply.h"
#include "app/smtp_server.h" /* enum smtp_cmd */

struct cfg;

#define SMTP_CLIENT_INFLIGHT_MAX 64u
#define SMTP_CLIENT_OUT_MAX (1024u * 1024u)

/* Upstream capabilities from its EHLO reply. */
struct smtp_client_caps {
	bool esmtp;
	bool pipelining;
	bool size;
	uint64_t size_max;
	bool eightbitmime;
	bool smtputf8;
	bool dsn;
	bool chunking;
	bool starttls;
	bool enhanced;
};

struct smtp_client_ops {
	/* Set-up finished; capabilities are valid. */
	void (*ready)(void *ctx);
	/* The reply to MAIL (SMTP_CMD_MAIL), RCPT (SMTP_CMD_RCPT) or the
	 * message (SMTP_CMD_EOD: the final reply, or DATA's refusal). */
	void (*reply)(void *ctx, enum smtp_cmd kind, const struct smtp_reply *r);
	/* The upstream said 220 to STARTTLS: start the TLS client handshake on
	 * this connection now; bytes already received after the 220 were
	 * discarded. */
	void (*starttls)(void *ctx);
	/* The client is unusable: err is -ETIMEDOUT, -ECONNRESET, -EPROTO
	 * (malformed reply), -ENOTSUP (required TLS not offered), -ECONNREFUSED
	 * (greeting/EHLO refused, r set), -ECONNABORTED (421), -ENOMEM.
	 * r is the reply that caused it, or NULL. Called once. */
	void (*failed)(void *ctx, int err, const struct smtp_reply *r);
};

struct smtp_client_params {
	const struct cfg *cfg;   /* borrowed: hostname, smtp.upstream, timeouts */
	const struct smtp_client_ops *ops;
	void *ctx;
	struct iobuf *out;       /* borrowed: commands and message bytes */
	bool tls_available;      /* a TLS client config exists */
};

struct smtp_client;

struct smtp_client *smtp_client_create(const struct smtp_client_params *p);
void smtp_client_destroy(struct smtp_client *c); /* NULL is a no-op */
/* Move an idle client to another owner (upstream connection pool). */
void smtp_client_rebind(struct smtp_client *c, void *ctx, struct iobuf *out);

/* The TCP connection is up: wait for the greeting. */
void smtp_client_connected(struct smtp_client *c, uint64_t now_ms);
/* Replies from the upstream (plaintext). Consumes everything. 0, or a
 * negative errno once failed (ops->failed was called). */
int smtp_client_input(struct smtp_client *c, const uint8_t *data, size_t len, uint64_t now_ms);
/* The connection closed (by the peer or the transport). */
void smtp_client_closed(struct smtp_client *c, uint64_t now_ms);
/* The TLS handshake after STARTTLS is established: EHLO again. */
void smtp_client_tls_ready(struct smtp_client *c, uint64_t now_ms);
/* The handshake failed: the client fails (-EPROTO). */
void smtp_client_tls_failed(struct smtp_client *c, uint64_t now_ms);

/* Heap bytes of the client object (fixed: output goes to the owner's iobuf). */
size_t smtp_client_memory(const struct smtp_client *c);
bool smtp_client_ready(const struct smtp_client *c);
bool smtp_client_failed(const struct smtp_client *c);
bool smtp_client_in_tls(const struct smtp_client *c);
const struct smtp_client_caps *smtp_client_caps(const struct smtp_client *c);
/* Ready, not streaming a message, and room for one more command. */
bool smtp_client_can_send(const struct smtp_client *c);
/* Ready with nothing in flight and no transaction open. */
bool smtp_client_idle(const struct smtp_client *c);
/* A transaction (MAIL sent, message not finished) is open upstream. */
bool smtp_client_in_txn(const struct smtp_client *c);

/*
 * Transaction commands; each returns 0, -EAGAIN (not now: see
 * smtp_client_can_send()), -EINVAL (wrong state) or -ENOBUFS.
 * `params` is written after the address verbatim (already filtered by the
 * caller for what the upstream supports); may be NULL/0.
 */
int smtp_client_mail(struct smtp_client *c, const char *addr, size_t addr_len,
		     const char *params, size_t params_len, uint64_t now_ms);
int smtp_client_rcpt(struct smtp_client *c, const char *addr, size_t addr_len,
		     const char *params, size_t params_len, uint64_t now_ms);
/* Start the message: DATA (then wait for 354) or BDAT mode. `allow_bdat`
 * lets the client use BDAT when the upstream offers CHUNKING+PIPELINING. */
int smtp_client_data(struct smtp_client *c, bool allow_bdat, uint64_t now_ms);
/* True once message bytes may be written (354 received, or BDAT mode). */
bool smtp_client_body_open(const struct smtp_client *c);
/* Message bytes (unstuffed, as received from the sender): dot-stuffed for
 * DATA, one BDAT chunk per call for BDAT. 0 or -ENOBUFS / -EINVAL. */
int smtp_client_body(struct smtp_client *c, const uint8_t *data, size_t len, uint64_t now_ms);
/* End the message: "." line or "BDAT 0 LAST". */
int smtp_client_body_end(struct smtp_client *c, uint64_t now_ms);
/* RSET (reply handled internally). */
int smtp_client_rset(struct smtp_client *c, uint64_t now_ms);
/* QUIT; the client is done after the reply or when the peer closes. */
int smtp_client_quit(struct smtp_client *c, uint64_t now_ms);
bool smtp_client_done(const struct smtp_client *c);

uint64_t smtp_client_next_timeout(const struct smtp_client *c);
void smtp_client_timer(struct smtp_client *c, uint64_t now_ms);

#endif /* SMTPDLP_APP_SMTP_CLIENT_H */
