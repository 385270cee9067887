/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS glue: a sans-IO wrapper around mbedTLS 2.28 for the SMTP proxy.
 *
 * No sockets and no clocks of our own: the transport (the DPDK TCP stack, or
 * a test pump) feeds ciphertext it received, takes ciphertext to send, and
 * exchanges plaintext with the SMTP engine. The handshake is driven by the
 * same calls. mbedTLS itself reads time() for session-cache/ticket lifetimes
 * and certificate validity; nothing else here does.
 *
 * Protocol: TLS 1.2 only. mbedTLS 2.28 (Debian 12) has no usable TLS 1.3
 * (MBEDTLS_SSL_PROTO_TLS1_3_EXPERIMENTAL is off), so min_version 1.3 is
 * refused with -ENOTSUP. Suites: ECDHE-ECDSA and ECDHE-RSA with
 * AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305 only; curves x25519,
 * P-256, P-384; no renegotiation. Resumption: the server issues session
 * tickets (RFC 5077) and keeps a session-ID cache; a client config remembers
 * the last session per server name and offers it on the next connection.
 *
 * Threading: a struct tls_config is used by one lcore only (its RNG, ticket
 * keys, cache and client session slot are per config). The daemon creates
 * one config per io lcore; connections never migrate between lcores.
 *
 * Driving a connection (the transport's loop, after any event):
 *
 *   on bytes from the network (p, n):
 *       while (n > 0) {
 *           r = tls_conn_feed(c, p, n);      // consumes what mbedTLS needs
 *           if (r < 0) { flush; close; }     // failed: alert may be pending
 *           p += r; n -= r;
 *           flush();                         // see below
 *           drain();                         // see below
 *       }
 *   flush():  while (tls_conn_output(c, &buf, &len) > 0) {
 *                 sent = transport_send(buf, len);     // copy into mbufs
 *                 tls_conn_output_consume(c, sent);
 *             }
 *   drain():  while (tls_conn_peek(c, &pt, &len) > 0) {
 *                 used = app_input(pt, len);
 *                 tls_conn_peek_consume(c, used);
 *             }   // or tls_conn_read() into a buffer of your own
 *   to send plaintext: r = tls_conn_write(c, data, len) accepts up to one
 *       record (16 KiB) per call; flush() after each call; -EAGAIN means
 *       flush first (or the handshake is not done yet).
 *
 * tls_conn_feed() consumes the whole input unless output or plaintext is
 * pending, or the connection is closed by the peer (then the rest is
 * discarded and counted as consumed); so the loop above always advances.
 * Bytes feed() did not consume stay owned by the caller. Plaintext the
 * application leaves unconsumed is backpressure: feed() then consumes
 * nothing more, and the transport's receive window closes.
 *
 * STARTTLS: the SMTP layer discards any plaintext received after the
 * STARTTLS command line before creating the tls_conn, and feeds only bytes
 * that arrive after its 220 reply; implicit TLS (port 465) creates the
 * tls_conn at accept. Work per call is bounded: feed() decrypts at most one
 * record beyond what the application has drained.
 *
 * Memory per connection: mbedTLS allocates 16 KiB+ input and output record
 * buffers (MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH is not enabled in Debian's
 * build), so an established connection costs 36-38 KB of heap; see
 * tls_conn_memory(). This wrapper adds no buffers of its own: output is
 * handed out straight from mbedTLS's record buffer, input is read straight
 * from the caller's memory, plaintext can be peeked in place.
 *
 * Errors are negative errnos; tls_conn_reason() adds a short static text for
 * logs (never key material or plaintext).
 */
#ifndef SMTPDLP_APP_TLS_H
#define SMTPDLP_APP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cfg_tls;
struct cfg_upstream;

enum tls_role { TLS_SERVER = 0, TLS_CLIENT };

/* Lowest protocol version accepted. Only TLS 1.2 can be negotiated. */
enum tls_version { TLS_VERSION_1_2 = 0, TLS_VERSION_1_3 };

/* Client certificate checking (the server never asks for client certs). */
enum tls_verify {
	TLS_VERIFY_NONE = 0, /* encrypt only; any certificate accepted */
	TLS_VERIFY_OPTIONAL, /* check, record the result, continue anyway */
	TLS_VERIFY_REQUIRED, /* handshake fails unless chain and name check */
};

/*
 * Parameters for tls_config_create(). Zero-initialise, then set what you
 * need. Every pointer is borrowed for the duration of the call only.
 * Files and PEM buffers are alternatives: a PEM buffer (pointer + length,
 * NUL-termination not required; DER also accepted) wins over a file name.
 */
struct tls_config_params {
	enum tls_role role;
	enum tls_version min_version; /* default 1.2; 1.3 -> -ENOTSUP */

	/* server: certificate chain (leaf first) and private key, required */
	const char *cert_file;
	const char *key_file;
	const void *cert_pem;
	size_t cert_pem_len;
	const void *key_pem;
	size_t key_pem_len;
	/* server resumption: both on unless disabled */
	bool no_session_tickets;
	bool no_session_cache;
	unsigned session_lifetime;  /* seconds; 0 = 3600 */
	unsigned session_cache_max; /* entries; 0 = 1024 */

	/* client */
	enum tls_verify verify;
	const char *ca_file; /* trust anchors; required unless verify NONE */
	const void *ca_pem;
	size_t ca_pem_len;
	/* default SNI and the name checked against the certificate's SAN/CN;
	 * NULL: no SNI and, with mbedTLS 2.28, only the chain is verified */
	const char *server_name;
	bool no_session_reuse; /* don't remember/offer sessions */
};

struct tls_config;
struct tls_conn;

/*
 * Build a configuration: parse certificates and keys, seed the RNG, set up
 * ticket keys and session cache (server) or trust anchors (client).
 * err (may be NULL) receives a NUL-terminated, secret-free message such as
 * "key_file: cannot parse private key (mbedTLS -0x3d00)".
 * Returns the config, or NULL with errno: EINVAL (bad params or
 * unparsable cert/key/CA, key not matching the certificate), ENOENT (file
 * missing), ENOTSUP (TLS 1.3 requested), ENOMEM, EIO (RNG seeding).
 */
struct tls_config *tls_config_create(const struct tls_config_params *p, char *err, size_t errlen);

/*
 * Convenience builders from the typed configuration. Server: the tls
 * section (certificate, key, min_version); returns NULL + ENOENT when no
 * certificate is configured. Client: the smtp.upstream section; verify=true
 * maps to TLS_VERIFY_REQUIRED against ca_file/server_name, false to
 * TLS_VERIFY_NONE. Whether TLS is attempted at all (none/opportunistic/
 * required) is the SMTP client's decision, not this layer's.
 */
struct tls_config *tls_config_create_server(const struct cfg_tls *t, char *err, size_t errlen);
struct tls_config *tls_config_create_client(const struct cfg_upstream *u, char *err, size_t errlen);

/* Free a config. All its connections must be destroyed first. NULL: no-op. */
void tls_config_destroy(struct tls_config *cfg);

/*
 * New connection in the handshaking state. `cfg` is borrowed and must
 * outlive the connection. `server_name` (client only; copied; NULL = the
 * config's) is sent as SNI and checked against the certificate when
 * verifying. A client has its ClientHello pending as output right away.
 * Returns NULL with errno ENOMEM or EINVAL.
 */
struct tls_conn *tls_conn_create(struct tls_config *cfg, const char *server_name);

/* Free a connection (no close_notify is sent). NULL: no-op. */
void tls_conn_destroy(struct tls_conn *c);

/* ------------------------------------------------------ network side */

/*
 * Give ciphertext received from the network. Borrowed: bytes are copied
 * into mbedTLS's record buffer as needed; nothing is retained after the
 * call. Drives the handshake and decrypts records.
 * Returns the number of bytes consumed (0..len; see the header comment for
 * when it stops early), or a negative errno once the connection failed:
 * -EBADMSG (malformed / unauthentic record), -EPROTO (handshake protocol
 * error), -EPROTONOSUPPORT (no common version or suite), -EACCES (peer
 * certificate rejected), -ECONNABORTED (peer sent a fatal alert),
 * -ENOMEM. After a failure an alert may still be pending as output.
 */
ssize_t tls_conn_feed(struct tls_conn *c, const void *data, size_t len);

/*
 * Ciphertext waiting to be sent: *buf points into the connection (valid
 * until the next call on it), *len its length. Returns *len (0 = nothing).
 */
size_t tls_conn_output(struct tls_conn *c, const uint8_t **buf, size_t *len);

/*
 * The transport took `n` bytes (n <= the length returned by
 * tls_conn_output()); the next pending bytes (e.g. the rest of the
 * handshake flight) may become available. Returns 0, or a negative errno
 * as for tls_conn_feed() if continuing the handshake failed.
 */
int tls_conn_output_consume(struct tls_conn *c, size_t n);

/* --------------------------------------------------- application side */

/*
 * Plaintext received, in place: *buf and *len describe decrypted bytes inside
 * the connection's record buffer (valid until the next call on it).
 * Returns *len; 0 means none available now. Consume with
 * tls_conn_peek_consume(); feed() stops consuming until it is drained.
 */
size_t tls_conn_peek(struct tls_conn *c, const uint8_t **buf, size_t *len);
void tls_conn_peek_consume(struct tls_conn *c, size_t n);

/*
 * Copying alternative: up to `len` plaintext bytes into buf.
 * Returns the count (> 0), 0 at end of stream (peer sent close_notify and
 * all plaintext was read), -EAGAIN when nothing is available yet, or the
 * connection's error if it failed.
 */
ssize_t tls_conn_read(struct tls_conn *c, void *buf, size_t len);

/*
 * Encrypt plaintext. Accepts at most one record's worth (16 KiB) per call
 * and only when no output is pending; the record becomes pending output.
 * Returns bytes accepted (> 0), -EAGAIN (handshake not finished or output
 * pending: flush and retry), -EPIPE (close_notify sent or received), or the
 * connection's error if it failed. len 0 returns 0.
 */
ssize_t tls_conn_write(struct tls_conn *c, const void *data, size_t len);

/*
 * Queue close_notify (clean shutdown of our direction). The alert is
 * pending output; flush it, then close the transport or wait for the
 * peer's close_notify. Idempotent. Returns 0, -EAGAIN if output was
 * pending (flush, call again), or the connection's error.
 * A close_notify received from the peer is answered automatically.
 */
int tls_conn_close(struct tls_conn *c);

/* ------------------------------------------------------------ queries */

enum tls_state {
	TLS_STATE_HANDSHAKING = 0,
	TLS_STATE_ESTABLISHED,
	TLS_STATE_CLOSING, /* we sent close_notify, peer's not yet seen */
	TLS_STATE_CLOSED,  /* peer sent close_notify (ours answered) */
	TLS_STATE_FAILED,
};

enum tls_state tls_conn_state(const struct tls_conn *c);
static inline bool tls_conn_handshaking(const struct tls_conn *c)
{
	return tls_conn_state(c) == TLS_STATE_HANDSHAKING;
}
static inline bool tls_conn_established(const struct tls_conn *c)
{
	return tls_conn_state(c) == TLS_STATE_ESTABLISHED;
}

/* Negative errno of the failure, 0 if not failed. */
int tls_conn_error(const struct tls_conn *c);

/*
 * Static, secret-free text for logs: why the connection failed, or why the
 * peer certificate was not verified ("certificate not trusted", "name
 * mismatch", "expired", ...). "" if nothing to report. Never NULL.
 */
const char *tls_conn_reason(const struct tls_conn *c);

/* The mbedTLS error code behind the failure (negative), for logs; 0 if none. */
int tls_conn_mbedtls_error(const struct tls_conn *c);

/* Client: the peer's chain and name verified (mode OPTIONAL/REQUIRED). */
bool tls_conn_peer_verified(const struct tls_conn *c);

/* After the handshake: e.g. "TLSv1.2" and
 * "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256"; "" before. Never NULL. */
const char *tls_conn_version(const struct tls_conn *c);
const char *tls_conn_ciphersuite(const struct tls_conn *c);

/* The handshake was abbreviated (session ticket or session-ID cache). */
bool tls_conn_resumed(const struct tls_conn *c);

/* Server: the SNI name the client sent ("" if none). Never NULL. */
const char *tls_conn_sni(const struct tls_conn *c);

/*
 * Bytes of heap this connection holds now: the wrapper struct, mbedTLS's
 * context, record buffers, session, transform and (during the handshake)
 * the handshake state, estimated from mbedTLS's compile-time sizes.
 * Measured numbers are in docs/BENCHMARKS.md.
 */
size_t tls_conn_memory(const struct tls_conn *c);

#endif /* SMTPDLP_APP_TLS_H */
