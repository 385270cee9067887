/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Check suite for app/tls: real handshakes in memory between a server and a
 * client tls_conn (and raw mbedTLS peers for protocol limits), bytes pumped
 * through in-memory wires at every chunk size; data both ways, megabytes,
 * verification outcomes, min_version and suite enforcement, close_notify,
 * garbage and truncated input, session resumption. The PKI is generated at
 * start-up by testcerts.c.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "app/tls.h"
#include "config/cfg.h"
#include "testcerts.h"

#define NAME "mx.test.example"

static struct testcerts tc;

/* ------------------------------------------------------------ wires */

struct buf {
	uint8_t *p;
	size_t len, cap, off; /* off: read offset when used as a wire */
};

static void buf_put(struct buf *b, const void *d, size_t n)
{
	if (b->off == b->len)
		b->off = b->len = 0;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

struct end {
	struct tls_conn *c;
	struct buf plain; /* plaintext received */
	bool use_read;	  /* tls_conn_read() instead of peek */
	bool eof;
	int err; /* first error seen */
	/* fault injection on the output: xor byte number corrupt_at with 0x5a */
	long corrupt_at;
	size_t sent;
};

static void end_init(struct end *e, struct tls_conn *c)
{
	memset(e, 0, sizeof(*e));
	e->c = c;
	e->corrupt_at = -1;
}

static void end_free(struct end *e)
{
	tls_conn_destroy(e->c);
	buf_free(&e->plain);
}

static size_t flush_out(struct end *e, struct buf *wire, size_t chunk)
{
	const uint8_t *p;
	size_t n, moved = 0;
	int r;

	while (tls_conn_output(e->c, &p, &n) > 0) {
		if (n > chunk)
			n = chunk;
		buf_put(wire, p, n);
		if (e->corrupt_at >= 0 && (size_t)e->corrupt_at >= e->sent &&
		    (size_t)e->corrupt_at < e->sent + n)
			wire->p[wire->len - n + (e->corrupt_at - e->sent)] ^= 0x5a;
		e->sent += n;
		r = tls_conn_output_consume(e->c, n);
		if (r < 0 && e->err == 0)
			e->err = r;
		moved += n;
	}
	return moved;
}

static size_t drain(struct end *e, size_t chunk)
{
	uint8_t tmp[777];
	const uint8_t *p;
	size_t n, got = 0;
	ssize_t r;

	if (e->use_read) {
		for (;;) {
			n = chunk < sizeof(tmp) ? chunk : sizeof(tmp);
			r = tls_conn_read(e->c, tmp, n);
			if (r == 0)
				e->eof = true;
			if (r <= 0)
				break;
			buf_put(&e->plain, tmp, (size_t)r);
			got += (size_t)r;
		}
		return got;
	}
	while (tls_conn_peek(e->c, &p, &n) > 0) {
		if (n > chunk)
			n = chunk;
		buf_put(&e->plain, p, n);
		tls_conn_peek_consume(e->c, n);
		got += n;
	}
	if (tls_conn_state(e->c) == TLS_STATE_CLOSED)
		e->eof = true;
	return got;
}

static size_t feed_in(struct end *e, struct buf *wire, struct buf *back, size_t chunk)
{
	size_t n, d, o, total = 0;
	ssize_t r;

	while (wire->off < wire->len) {
		n = wire->len - wire->off;
		if (n > chunk)
			n = chunk;
		r = tls_conn_feed(e->c, wire->p + wire->off, n);
		if (r < 0) {
			if (e->err == 0)
				e->err = (int)r;
			flush_out(e, back, chunk); /* the alert, if any */
			break;
		}
		ck_assert_uint_le((size_t)r, n);
		wire->off += (size_t)r;
		total += (size_t)r;
		d = drain(e, chunk);
		o = flush_out(e, back, chunk);
		/* the header contract: feed only stops early for pending
		 * output or plaintext, so something must have moved */
		ck_assert_msg(r > 0 || d > 0 || o > 0, "feed made no progress");
	}
	return total;
}

/* Move bytes both ways until nothing moves. a is usually the client. */
static void pump(struct end *a, struct end *b, struct buf *a2b, struct buf *b2a, size_t chunk)
{
	size_t moved;

	do {
		moved = flush_out(a, a2b, chunk) + flush_out(b, b2a, chunk);
		moved += feed_in(b, a2b, b2a, chunk);
		moved += feed_in(a, b2a, a2b, chunk);
		moved += drain(a, chunk) + drain(b, chunk);
	} while (moved > 0);
}

/* ------------------------------------------------------------ helpers */

static struct tls_config *server_cfg(const char *cert, const char *key)
{
	struct tls_config_params p = {.role = TLS_SERVER};
	char err[256];
	struct tls_config *cfg;

	p.cert_pem = cert;
	p.cert_pem_len = strlen(cert);
	p.key_pem = key;
	p.key_pem_len = strlen(key) + 1; /* both length conventions work */
	cfg = tls_config_create(&p, err, sizeof(err));
	ck_assert_msg(cfg != NULL, "server config: %s", err);
	return cfg;
}

static struct tls_config *client_cfg_reuse(enum tls_verify v, const char *ca, const char *name,
					   bool reuse)
{
	struct tls_config_params p = {.role = TLS_CLIENT};
	char err[256];
	struct tls_config *cfg;

	p.verify = v;
	p.no_session_reuse = !reuse;
	if (ca != NULL) {
		p.ca_pem = ca;
		p.ca_pem_len = strlen(ca);
	}
	p.server_name = name;
	cfg = tls_config_create(&p, err, sizeof(err));
	ck_assert_msg(cfg != NULL, "client config: %s", err);
	return cfg;
}

/* Clients offer no saved session unless a test is about resumption. */
static struct tls_config *client_cfg(enum tls_verify v, const char *ca, const char *name)
{
	return client_cfg_reuse(v, ca, name, false);
}

struct pair {
	struct end cli, srv;
	struct buf c2s, s2c;
};

static void pair_open(struct pair *p, struct tls_config *ccfg, struct tls_config *scfg,
		      const char *name)
{
	struct tls_conn *c, *s;

	memset(p, 0, sizeof(*p));
	c = tls_conn_create(ccfg, name);
	s = tls_conn_create(scfg, NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(s);
	end_init(&p->cli, c);
	end_init(&p->srv, s);
}

static void pair_close(struct pair *p)
{
	end_free(&p->cli);
	end_free(&p->srv);
	buf_free(&p->c2s);
	buf_free(&p->s2c);
}

static void pair_pump(struct pair *p, size_t chunk)
{
	pump(&p->cli, &p->srv, &p->c2s, &p->s2c, chunk);
}

static uint8_t pattern(size_t i, unsigned seed)
{
	uint32_t x = (uint32_t)i * 2654435761u + seed * 40503u;

	return (uint8_t)(x >> 13);
}

static void fill(uint8_t *d, size_t n, size_t base, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		d[i] = pattern(base + i, seed);
}

static bool check_pattern(const struct buf *b, unsigned seed)
{
	for (size_t i = 0; i < b->len; i++)
		if (b->p[i] != pattern(i, seed))
			return false;
	return true;
}

/* Write len pattern bytes from e, flushing to wire; no pumping. */
static void send_pattern(struct end *e, struct buf *wire, size_t len, unsigned seed, size_t chunk)
{
	static uint8_t tmp[20000];
	size_t off = 0, n;
	ssize_t r;

	while (off < len) {
		n = len - off < sizeof(tmp) ? len - off : sizeof(tmp);
		fill(tmp, n, off, seed);
		r = tls_conn_write(e->c, tmp, n);
		if (r == -EAGAIN) {
			ck_assert_uint_gt(flush_out(e, wire, chunk), 0);
			continue;
		}
		ck_assert_int_gt(r, 0);
		off += (size_t)r;
		flush_out(e, wire, chunk);
	}
}

static void assert_established(struct pair *p)
{
	ck_assert_msg(tls_conn_established(p->cli.c), "client state %d err %d (%s)",
		      tls_conn_state(p->cli.c), tls_conn_error(p->cli.c),
		      tls_conn_reason(p->cli.c));
	ck_assert_msg(tls_conn_established(p->srv.c), "server state %d err %d (%s)",
		      tls_conn_state(p->srv.c), tls_conn_error(p->srv.c),
		      tls_conn_reason(p->srv.c));
	ck_assert_int_eq(p->cli.err, 0);
	ck_assert_int_eq(p->srv.err, 0);
}

/* ----------------------------------------------------------- raw peer */

/* A plain mbedTLS endpoint for limits our own configs would never offer. */
struct raw {
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	struct buf *tx, *rx;
	int suites[2];
};

static int raw_send(void *ctx, const unsigned char *b, size_t n)
{
	struct raw *r = ctx;

	buf_put(r->tx, b, n);
	return (int)n;
}

static int raw_recv(void *ctx, unsigned char *b, size_t n)
{
	struct raw *r = ctx;
	size_t avail = r->rx->len - r->rx->off;

	if (avail == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > avail)
		n = avail;
	memcpy(b, r->rx->p + r->rx->off, n);
	r->rx->off += n;
	return (int)n;
}

static void raw_client(struct raw *r, int max_minor, int suite, struct buf *tx, struct buf *rx)
{
	memset(r, 0, sizeof(*r));
	mbedtls_ssl_init(&r->ssl);
	mbedtls_ssl_config_init(&r->conf);
	mbedtls_entropy_init(&r->ent);
	mbedtls_ctr_drbg_init(&r->drbg);
	ck_assert_int_eq(mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->ent, NULL, 0),
			 0);
	ck_assert_int_eq(mbedtls_ssl_config_defaults(&r->conf, MBEDTLS_SSL_IS_CLIENT,
						     MBEDTLS_SSL_TRANSPORT_STREAM,
						     MBEDTLS_SSL_PRESET_DEFAULT),
			 0);
	mbedtls_ssl_conf_rng(&r->conf, mbedtls_ctr_drbg_random, &r->drbg);
	mbedtls_ssl_conf_authmode(&r->conf, MBEDTLS_SSL_VERIFY_NONE);
	mbedtls_ssl_conf_min_version(&r->conf, 3, MBEDTLS_SSL_MINOR_VERSION_1);
	mbedtls_ssl_conf_max_version(&r->conf, 3, max_minor);
	if (suite != 0) {
		r->suites[0] = suite;
		mbedtls_ssl_conf_ciphersuites(&r->conf, r->suites);
	}
	ck_assert_int_eq(mbedtls_ssl_setup(&r->ssl, &r->conf), 0);
	r->tx = tx;
	r->rx = rx;
	mbedtls_ssl_set_bio(&r->ssl, r, raw_send, raw_recv, NULL);
}

/* Raw server with our test certificate and renegotiation enabled. */
static void raw_server(struct raw *r, mbedtls_x509_crt *crt, mbedtls_pk_context *key,
		       struct buf *tx, struct buf *rx)
{
	memset(r, 0, sizeof(*r));
	mbedtls_ssl_init(&r->ssl);
	mbedtls_ssl_config_init(&r->conf);
	mbedtls_entropy_init(&r->ent);
	mbedtls_ctr_drbg_init(&r->drbg);
	ck_assert_int_eq(mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->ent, NULL, 0),
			 0);
	ck_assert_int_eq(mbedtls_ssl_config_defaults(&r->conf, MBEDTLS_SSL_IS_SERVER,
						     MBEDTLS_SSL_TRANSPORT_STREAM,
						     MBEDTLS_SSL_PRESET_DEFAULT),
			 0);
	mbedtls_ssl_conf_rng(&r->conf, mbedtls_ctr_drbg_random, &r->drbg);
	mbedtls_ssl_conf_renegotiation(&r->conf, MBEDTLS_SSL_RENEGOTIATION_ENABLED);
	ck_assert_int_eq(mbedtls_ssl_conf_own_cert(&r->conf, crt, key), 0);
	ck_assert_int_eq(mbedtls_ssl_setup(&r->ssl, &r->conf), 0);
	r->tx = tx;
	r->rx = rx;
	mbedtls_ssl_set_bio(&r->ssl, r, raw_send, raw_recv, NULL);
}

static void raw_free(struct raw *r)
{
	mbedtls_ssl_free(&r->ssl);
	mbedtls_ssl_config_free(&r->conf);
	mbedtls_ctr_drbg_free(&r->drbg);
	mbedtls_entropy_free(&r->ent);
}

/* Run raw client vs. our server; returns the raw handshake result. */
static int raw_vs_server(struct raw *r, struct end *srv, struct buf *c2s, struct buf *s2c)
{
	int ret = MBEDTLS_ERR_SSL_WANT_READ;

	for (int i = 0; i < 50; i++) {
		ret = mbedtls_ssl_handshake(&r->ssl);
		if (ret != MBEDTLS_ERR_SSL_WANT_READ)
			break;
		feed_in(srv, c2s, s2c, 1 << 20);
		flush_out(srv, s2c, 1 << 20);
		if (srv->err != 0 && s2c->off == s2c->len)
			break;
	}
	if (ret == MBEDTLS_ERR_SSL_WANT_READ)
		ret = mbedtls_ssl_handshake(&r->ssl);
	return ret;
}

/* -------------------------------------------------------------- tests */

/* Handshake, then 20000 bytes both ways, at every chunk size 1..200 and a
 * spread of larger ones; odd chunks drain with read(), even with peek.
 * Each size runs a full handshake and a resumed one. */
START_TEST(handshake_every_chunk)
{
	static const size_t big[] = {256,  511,	 512,	1000,  1459,  1460,
				     2048, 4096, 16383, 16384, 16406, 65536};
	struct tls_config *s = server_cfg(tc.ec_cert_pem, tc.ec_key_pem);
	struct tls_config *full = client_cfg(TLS_VERIFY_REQUIRED, tc.ca_pem, NAME);
	struct tls_config *res = client_cfg_reuse(TLS_VERIFY_REQUIRED, tc.ca_pem, NAME, true);
	size_t nbig = sizeof(big) / sizeof(big[0]);

	for (size_t i = 0; i < 2 * (200 + nbig); i++) {
		size_t k = i / 2;
		size_t chunk = k < 200 ? k + 1 : big[k - 200];
		struct pair p;

		pair_open(&p, i & 1 ? res : full, s, NULL);
		p.cli.use_read = chunk & 1;
		p.srv.use_read = !(chunk & 1);
		pair_pump(&p, chunk);
		assert_established(&p);
		ck_assert(tls_conn_peer_verified(p.cli.c));
		ck_assert(tls_conn_resumed(p.cli.c) == (i > 1 && (i & 1)));
		ck_assert(tls_conn_resumed(p.srv.c) == (i > 1 && (i & 1)));
		send_pattern(&p.cli, &p.c2s, 20000, 1, chunk);
		send_pattern(&p.srv, &p.s2c, 20000, 2, chunk);
		pair_pump(&p, chunk);
		ck_assert_uint_eq(p.srv.plain.len, 20000);
		ck_assert_uint_eq(p.cli.plain.len, 20000);
		ck_assert(check_pattern(&p.srv.plain, 1));
		ck_assert(check_pattern(&p.cli.plain, 2));
		ck_assert_uint_eq(p.c2s.off, p.c2s.len);
		ck_assert_uint_eq(p.s2c.off, p.s2c.len);
		pair_close(&p);
	}
	tls_config_destroy(full);
	tls_config_destroy(res);
	tls_config_destroy(s);
}
END_TEST

/* Megabytes both ways, interleaved, at network-ish chunk sizes. */
START_TEST(large_transfer)
{
	static const size_t chunks[] = {1460, 9000, 65536};
	const size_t total = 8u << 20;
	struct tls_config *s = server_cfg(tc.ec_cert_pem, tc.ec_key_pem);
	struct tls_config *c = client_cfg(TLS_VERIFY_REQUIRED, tc.ca_pem, NAME);
	uint8_t *tmp = malloc(100000);

	ck_assert_ptr_nonnull(tmp);
	for (size_t k = 0; k < 3; k++) {
		size_t chunk = chunks[k], off = 0;
		struct pair p;

		pair_open(&p, c, s, NULL);
		p.srv.use_read = k == 1;
		pair_pump(&p, chunk);
		assert_established(&p);
		while (off < total) {
			size_t n = total - off < 100000 ? total - off : 100000;
			size_t done = 0;

			fill(tmp, n, off, 7);
			while (done < n) {
				ssize_t a = tls_conn_write(p.cli.c, tmp + done, n - done);
				uint8_t back[3000];
				ssize_t b;

				if (a == -EAGAIN) {
					pair_pump(&p, chunk);
					continue;
				}
				ck_assert_int_gt(a, 0);
				done += (size_t)a;
				fill(back, sizeof(back), p.srv.sent, 9);
				b = tls_conn_write(p.srv.c, back, sizeof(back));
				ck_assert(b > 0 || b == -EAGAIN);
				pair_pump(&p, chunk);
			}
			off += n;
		}
		pair_pump(&p, chunk);
		ck_assert_uint_eq(p.srv.plain.len, total);
		ck_assert(check_pattern(&p.srv.plain, 7));
		ck_assert_uint_gt(p.cli.plain.len, 0);
		pair_close(&p);
	}
	free(tmp);
	tls_config_destroy(c);
	tls_config_destroy(s);
}
END_TEST

START_TEST(negotiated_parameters)
{
	struct tls_config *s = server_cfg(tc.ec_cert_pem, tc.ec_key_pem);
	struct tls_config *c = client_cfg(TLS_VERIFY_REQUIRED, tc.ca_pem, NAME);
	struct pair p;
	size_t mem;

	pair_open(&p, c, s, NULL);
	ck_assert_str_eq(tls_conn_version(p.cli.c), "");
	ck_assert_str_eq(tls_conn_ciphersuite(p.srv.c), "");
	pair_pump(&p, 1460);
	assert_established(&p);
	ck_assert_str_eq(tls_conn_version(p.cli.c), "TLSv1.2");
	ck_assert_str_eq(tls_conn_version(p.srv.c), "TLSv1.2");
	ck_assert_str_eq(tls_conn_ciphersuite(p.cli.c), "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
	ck_assert_str_eq(tls_conn_ciphersuite(p.srv.c), "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
	ck_assert_str_eq(tls_conn_sni(p.srv.c), NAME);
	ck_assert(!tls_conn_resumed(p.cli.c));
	ck_assert(!tls_conn_peer_verified(p.srv.c)); /* server: no client auth */
	ck_assert_str_eq(tls_conn_reason(p.cli.c), "");
	mem = tls_conn_memory(p.srv.c);
	ck_assert_uint_gt(mem, 32 * 1024);
	ck_assert_uint_lt(mem, 48 * 1024);
	pair_close(&p);
	tls_config_destroy(c);
	tls_config_destroy(s);
}
END_TEST

START_TEST(rsa_certificate)
{
	struct tls_config *s = server_cfg(tc.rsa_cert_pem, tc.rsa_key_pem);
	struct tls_config *c = client_cfg(TLS_VERIFY_REQUIRED, tc.ca_pem, NAME);
	struct pair p;

	pair_open(&p, c, s, NULL);
	pair_pump(&p, 700);
	assert_established(&p);
	ck_assert(tls_conn_peer_verified(p.cli.c));
	ck_assert_str_eq(tls_conn_ciphersuite(p.cli.c), "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256");
	pair_close(&p);
	tls_config_destroy(c);
	tls_config_destroy(s);
}
END_TEST

/* Verification outcomes: [what the server presents, what the client trusts,
 * the name asked for, mode] -> result. */
START_TEST(verify_outcomes)
{
	static const struct {
		int cert; /* 0 valid, 1 expired */
		int ca;	  /* 0 right CA, 1 other CA */
		const char *name;
		enum tls_verify mode;
		bool ok, verified;
		const char *reason;
	} t[] = {
		{0, 0, NAME, TLS_VERIFY_REQUIRED, true, true, ""},
		{0, 1, NAME, TLS_VERIFY_REQUIRED, false, false, "certificate not trusted"},
		{0, 0, "other.test.example", TLS_VERIFY_REQUIRED, false, false,
		 "certificate name mismatch"},
		{1, 0, NAME, TLS_VERIFY_REQUIRED, false, false, "certificate expired"},
		{0, 1, NAME, TLS_VERIFY_OPTIONAL, true, false, "certificate not trusted"},
		{0, 0, "other.test.example", TLS_VERIFY_OPTIONAL, true, false,
		 "certificate name mismatch"},
		{0, 1, NAME, TLS_VERIFY_NONE, true, false, ""},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tls_config *s =
			server_cfg(t[i].cert ? tc.expired_cert_pem : tc.ec_cert_pem, tc.ec_key_pem);
		struct tls_config *c = client_cfg(t[i].mode,
						  t[i].mode == TLS_VERIFY_NONE ? NULL
						  : t[i].ca		       ? tc.other_ca_pem
									       : tc.ca_pem,
						  NAME);
		struct pair p;

		pair_open(&p, c, s, t[i].name);
		pair_pump(&p, 1460);
		if (t[i].ok) {
			assert_established(&p);
		} else {
			ck_assert_int_eq(tls_conn_state(p.cli.c), TLS_STATE_FAILED);
			ck_assert_int_eq(tls_conn_error(p.cli.c), -EACCES);
			ck_assert_int_eq(p.cli.err, -EACCES);
			ck_assert_int_lt(tls_conn_mbedtls_error(p.cli.c), 0);
			/* the client's alert reached the server */
			ck_assert_int_eq(tls_conn_state(p.srv.c), TLS_STATE_FAILED);
			ck_assert_int_eq(tls_conn_error(p.srv.c), -ECONNABORTED);
			ck_assert_msg(strncmp(tls_conn_reason(p.srv.c), "peer alert: ", 12) == 0,
				      "server reason %s", tls_conn_reason(p.srv.c));
			/* a failed connection refuses further use */
			ck_assert_int_eq(tls_conn_write(p.cli.c, "x", 1), -EACCES);
			ck_assert_int_eq(tls_conn_feed(p.cli.c, "x", 1), -EACCES);
		}
		ck_assert_msg(tls_conn_peer_verified(p.cli.c) == t[i].verified, "case %zu", i);
		ck_assert_msg(strcmp(tls_conn_reason(p.cli.c), t[i].reason) == 0,
			      "case %zu: reason '%s'", i, tls_conn_reason(p.cli.c));
		pair_close(&p);
		tls_config_destroy(c);
		tls_config_destroy(s);
	}
}
END_TEST

/* A peer limited to TLS 1.1, or to suites outside our list, is refused. */
START_TEST(min_version_and_suites)
{
	static const struct {
		int max_minor, suite;
		int err;
		const char *negotiated;
	} t[] = {
		{MBEDTLS_SSL_MINOR_VERSION_2, 0, -EPROTONOSUPPORT, NULL},
		{MBEDTLS_SSL_MINOR_VERSION_1, 0, -EPROTONOSUPPORT, NULL},
		{3, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, -EPROTONOSUPPORT, NULL},
		{3, MBEDTLS_TLS_RSA_WITH_AES_128_GCM_SHA256, -EPROTONOSUPPORT, NULL},
		{3, MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 0,
		 "TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256"},
		{3, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, 0,
		 "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384"},
	};
	struct tls_config *s = server_cfg(tc.ec_cert_pem, tc.ec_key_pem);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct buf c2s = {0}, s2c = {0};
		struct end srv;
		struct raw r;
		int ret;

		end_init(&srv, tls_conn_create(s, NULL));
		ck_assert_ptr_nonnull(srv.c);
		raw_client(&r, t[i].max_minor, t[i].suite, &c2s, &s2c);
		ret = raw_vs_server(&r, &srv, &c2s, &s2c);
		if (t[i].err != 0) {
			ck_assert_msg(tls_conn_error(srv.c) == t[i].err, "case %zu: %d (%s)", i,
				      tls_conn_error(srv.c), tls_conn_reason(srv.c));
			ck_assert_int_ne(ret, 0);
			ck_assert_str_ne(tls_conn_reason(srv.c), "");
		} else {
			ck_assert_int_eq(ret, 0);
			ck_assert(tls_conn_established(srv.c));
			ck_assert_str_eq(tls_conn_ciphersuite(srv.c), t[i].negotiated);
		}
		raw_free(&r);
		end_free(&srv);
		buf_free(&c2s);
		buf_free(&s2c);
	}
	tls_config_destroy(s);
}
END_TEST

START_TEST(config_errors)
{
	struct tls_config_params p = {.role = TLS_SERVER};
	char err[256], dir[] = "/tmp/tls-test-XXXXXX", path[300], key[300];
	struct tls_config *cfg;

	/* min_version 1.3 cannot be honoured with mbedTLS 2.28 */
	p.min_version = TLS_VERSION_1_3;
	p.cert_pem = tc.ec_cert_pem;
	p.cert_pem_len = strlen(tc.ec_cert_pem);
	p.key_pem = tc.ec_key_pem;
	p.key_pem_len = strlen(tc.ec_key_pem);
	errno = 0;
	ck_assert_ptr_null(tls_config_create(&p, err, sizeof(err)));
	ck_assert_int_eq(errno, ENOTSUP);
	ck_assert(strstr(err, "1.3") != NULL);

	/* key of another certificate */
	p.min_version = TLS_VERSION_1_2;
	p.key_pem = tc.rsa_key_pem;
	p.key_pem_len = strlen(tc.rsa_key_pem);
	ck_assert_ptr_null(tls_config_create(&p, err, sizeof(err)));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(strstr(err, "does not match") != NULL);

	/* garbage PEM */
	p.key_pem = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
	p.key_pem_len = strlen(p.key_pem);
	ck_assert_ptr_null(tls_config_create(&p, err, sizeof(err)));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(strstr(err, "BEGIN") == NULL); /* no key material echoed */

	/* server without key; client verifying without a CA */
	p.key_pem = NULL;
	ck_assert_ptr_null(tls_config_create(&p, err, sizeof(err)));
	ck_assert_int_eq(errno, EINVAL);
	memset(&p, 0, sizeof(p));
	p.role = TLS_CLIENT;
	p.verify = TLS_VERIFY_REQUIRED;
	ck_assert_ptr_null(tls_config_create(&p, err, sizeof(err)));
	ck_assert_int_eq(errno, EINVAL);

	/* files: missing, then real ones written by testcerts */
	memset(&p, 0, sizeof(p));
	p.role = TLS_SERVER;
	p.cert_file = "/nonexistent/cert.pem";
	p.key_file = "/nonexistent/key.pem";
	ck_assert_ptr_null(tls_config_create(&p, err, sizeof(err)));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert(strstr(err, "/nonexistent/cert.pem") != NULL);

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(testcerts_write(&tc, dir), 0);
	snprintf(path, sizeof(path), "%s/server.pem", dir);
	snprintf(key, sizeof(key), "%s/server.key", dir);
	{
		struct cfg_tls t = {.certificate = path, .key = key, .min_version = CFG_TLS_1_2};
		struct cfg_upstream u = {.verify = true, .server_name = NAME};
		struct tls_config *c;
		char ca[300];
		struct pair pr;

		cfg = tls_config_create_server(&t, err, sizeof(err));
		ck_assert_msg(cfg != NULL, "%s", err);
		snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
		u.ca_file = ca;
		c = tls_config_create_client(&u, err, sizeof(err));
		ck_assert_msg(c != NULL, "%s", err);
		pair_open(&pr, c, cfg, NULL);
		pair_pump(&pr, 4096);
		assert_established(&pr);
		ck_assert(tls_conn_peer_verified(pr.cli.c));
		pair_close(&pr);
		tls_config_destroy(c);
		tls_config_destroy(cfg);

		t.min_version = CFG_TLS_1_3;
		ck_assert_ptr_null(tls_config_create_server(&t, err, sizeof(err)));
		ck_assert_int_eq(errno, ENOTSUP);
		t.certificate = NULL;
		ck_assert_ptr_null(tls_config_create_server(&t, err, sizeof(err)));
		ck_assert_int_eq(errno, ENOENT);
		u.ca_file = NULL;
		ck_assert_ptr_null(tls_config_create_client(&u, err, sizeof(err)));
		ck_assert_int_eq(errno, EINVAL);
	}
	static const char *const files[] = {"ca.pem",	  "other-ca.pem", "server.pem",
					    "server.key", "expired.pem",  "rsa.pem",
					    "rsa.key"};
	for (size_t i = 0; i < 7; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	tls_config_destroy(NULL);
	tls_conn_destroy(NULL);
}
END_TEST

/* write/close preconditions and one-record-per-call semantics */
START_TEST(write_semantics)
{
	struct tls_config *s = server_cfg(tc.ec_cert_pem, tc.ec_key_pem);
	struct tls_config *c = client_cfg(TLS_VERIFY_NONE, NULL, NULL);
	static uint8_t big[40000];
	const uint8_t *o;
	size_t n;
	struct pair p;

	pair_open(&p, c, s, NULL);
	/* the ClientHello is ready at once; nothing can be written yet */
	ck_assert_uint_gt(tls_conn_output(p.cli.c, &o, &n), 0);
	ck_assert_int_eq(tls_conn_write(p.cli.c, "x", 1), -EAGAIN);
	ck_assert_int_eq(tls_conn_close(p.cli.c), -ENOTCONN);
	ck_assert_uint_eq(tls_conn_output(p.srv.c, &o, &n), 0);
	ck_assert_int_eq(tls_conn_read(p.srv.c, big, 10), -EAGAIN);
	pair_pump(&p, 333);
	assert_established(&p);

	ck_assert_int_eq(tls_conn_write(p.cli.c, big, 0), 0);
	ck_assert_int_eq(tls_conn_write(p.cli.c, big, sizeof(big)), 16384);
	ck_assert_int_eq(tls_conn_write(p.cli.c, big, sizeof(big)), -EAGAIN);
	ck_assert_int_eq(tls_conn_close(p.cli.c), -EAGAIN);
	ck_assert_uint_eq(tls_conn_output(p.cli.c, &o, &n), 16384 + 5 + 8 + 16);
	/* partial consumption keeps the rest in place */
	buf_put(&p.c2s, o, 100);
	ck_assert_int_eq(tls_conn_output_consume(p.cli.c, 100), 0);
	ck_assert_uint_eq(tls_conn_output(p.cli.c, &o, &n), 16413 - 100);
	pair_pump(&p, 5000);
	ck_assert_uint_eq(p.srv.plain.len, 16384);
	ck_assert_int_eq(tls_conn_write(p.cli.c, "x", 1), 1);
	pair_close(&p);
	tls_config_destroy(c);
	tls_config_destroy(s);
}
END_TEST

START_TEST(close_notify_both_ways)
{
	struct tls_config *s = server_cfg(tc.ec_cert_pem, tc.ec_key_pem);
	struct tls_config *c = client_cfg(TLS_VERIFY_REQUIRED, tc.ca_pem, NAME);

	for (int who = 0; who < 2; who++) {
		struct pair p;
		struct end *closer, *other;
		struct buf *w;
		uint8_t tmp[16];

		pair_open(&p, c, s, NULL);
		pair_pump(&p, 1460);
		assert_established(&p);
		closer = who ? &p.srv : &p.cli;
		other = who ? &p.cli : &p.srv;
		other->use_read = true;
		w = who ? &p.s2c : &p.c2s;
		/* data, then close_notify in the same flight */
		send_pattern(closer, w, 5000, 3, 1 << 20);
		ck_assert_int_eq(tls_conn_close(closer->c), 0);
		ck_assert_int_eq(tls_conn_close(closer->c), 0); /* idempotent */
		ck_assert_int_eq(tls_conn_state(closer->c), TLS_STATE_CLOSING);
		ck_assert_int_eq(tls_conn_write(closer->c, "x", 1), -EPIPE);
		pair_pump(&p, 100);
		ck_assert_uint_eq(other->plain.len, 5000);
		ck_assert(check_pattern(&other->plain, 3));
		ck_assert(other->eof);
		ck_assert_int_eq(tls_conn_read(other->c, tmp, sizeof(tmp)), 0);
		ck_assert_int_eq(tls_conn_state(other->c), TLS_STATE_CLOSED);
		ck_assert_int_eq(tls_conn_write(other->c, "x", 1), -EPIPE);
		/* the automatic reply closed the closer's side too */
		ck_assert_int_eq(tls_conn_state(closer->c), TLS_STATE_CLOSED);
		ck_assert_int_eq(tls_conn_error(closer->c), 0);
		ck_assert_int_eq(tls_conn_error(other->c), 0);
		/* anything after close_notify is ignored */
		ck_assert_int_eq(tls_conn_feed(other->c, "junk", 4), 4);
		pair_close(&p);
	}

	/* close_notify arrives while the receiver's own record is still
	 * pending: the record goes out first, then the reply, and the closer
	 * (half-closed) still reads the data */
	{
		struct pair p;
		const uint8_t *o;
		size_t n;
		uint8_t tmp[16];

		pair_open(&p, c, s, NULL);
		pair_pump(&p, 1460);
		assert_established(&p);
		p.cli.use_read = true;
		ck_assert_int_eq(tls_conn_write(p.srv.c, "last words", 10), 10);
		ck_assert_int_eq(tls_conn_close(p.cli.c), 0);
		flush_out(&p.cli, &p.c2s, 1 << 20);
		ck_assert_int_eq(tls_conn_feed(p.srv.c, p.c2s.p + p.c2s.off, p.c2s.len - p.c2s.off),
				 (ssize_t)(p.c2s.len - p.c2s.off));
		p.c2s.off = p.c2s.len;
		ck_assert_int_eq(tls_conn_state(p.srv.c), TLS_STATE_CLOSED);
		ck_assert_uint_eq(tls_conn_output(p.srv.c, &o, &n), 10 + 29);
		ck_assert_uint_eq(o[0], 0x17); /* application data first */
		flush_out(&p.srv, &p.s2c, 1 << 20);
		ck_assert_uint_eq(p.s2c.len - p.s2c.off, 10 + 29 + 5 + 8 + 2 + 16);
		pair_pump(&p, 1460);
		ck_assert_uint_eq(p.cli.plain.len, 10);
		ck_assert(memcmp(p.cli.plain.p, "last words", 10) == 0);
		ck_assert_int_eq(tls_conn_read(p.cli.c, tmp, sizeof(tmp)), 0);
		ck_assert_int_eq(tls_conn_state(p.cli.c), TLS_STATE_CLOSED);
		pair_close(&p);
	}
	tls_config_destroy(c);
	tls_config_destroy(s);
}
END_TEST

/* Garbage and truncated input end in a clean error or a wait, never a crash. */
START_TEST(garbage_input)
{
	struct tls_config *s = server_cfg(tc.ec_cert_pem, tc.ec_key_pem);
	struct tls_config *c = client_cfg(TLS_VERIFY_NONE, NULL, NULL);
#define J(s)                     \
	{                        \
		s, sizeof(s) - 1 \
	}
	static const struct {
		const char *d;
		size_t n;
	} junk[] = {
		J("EHLO client.example\r\n"),
		J("\x16\x03\x03\xff\xff"),		   /* oversized record */
		J("\x17\x03\x03\x00\x10xxxxxxxxxxxxxxxx"), /* app data first */
		J("\x80\x2e\x01\x03\x01"),		   /* SSLv2 hello */
		J("\x15\x03\x03\x00\x02\x02\x28"),	   /* fatal alert */
	};
#undef J
	uint8_t rnd[512];
	unsigned seed = 12345;

	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		struct tls_conn *x = tls_conn_create(s, NULL);
		ssize_t r = tls_conn_feed(x, junk[i].d, junk[i].n);

		ck_assert_msg(r < 0, "junk %zu accepted", i);
		ck_assert_int_eq(tls_conn_state(x), TLS_STATE_FAILED);
		ck_assert_int_eq(tls_conn_error(x), (int)r);
		ck_assert_str_ne(tls_conn_reason(x), "");
		ck_assert_int_eq(tls_conn_feed(x, "more", 4), r);
		tls_conn_destroy(x);
	}
	/* random bytes, both roles */
	for (int i = 0; i < 400; i++) {
		struct tls_conn *x = tls_conn_create(i & 1 ? c : s, NULL);
		size_t n = 1 + (size_t)(rand_r(&seed) % (int)sizeof(rnd));
		const uint8_t *o;
		size_t ol;

		while (tls_conn_output(x, &o, &ol) > 0)
			tls_conn_output_consume(x, ol);
		for (size_t k = 0; k < n; k++)
			rnd[k] = (uint8_t)rand_r(&seed);
		if (i % 3 == 0)
			rnd[0] = 0x16, rnd[1] = 0x03, rnd[2] = 0x03;
		ssize_t r = tls_conn_feed(x, rnd, n);
		ck_assert(r < 0 || (size_t)r == n);
		ck_assert((r < 0) == (tls_conn_state(x) == TLS_STATE_FAILED));
		tls_conn_destroy(x);
	}
	/* a truncated ClientHello just waits for more */
	{
		struct tls_conn *cl = tls_conn_create(c, NULL);
		struct tls_conn *sv = tls_conn_create(s, NULL);
		const uint8_t *o;
		size_t ol;

		ck_assert_uint_gt(tls_conn_output(cl, &o, &ol), 10);
		ck_assert_int_eq(tls_conn_feed(sv, o, ol / 2), (ssize_t)(ol / 2));
		ck_assert_int_eq(tls_conn_state(sv), TLS_STATE_HANDSHAKING);
		ck_assert_int_eq(tls_conn_error(sv), 0);
		tls_conn_destroy(cl);
		tls_conn_destroy(sv);
	}
	tls_config_destroy(c);
	tls_config_destroy(s);
}
END_TEST

/* Tampered records after the handshake: MAC failure, alert to the sender. */
START_TEST(tampered_record)
{
	struct tls_config *s = server_cfg(tc.ec_cert_pem, tc.ec_key_pem);
	struct tls_config *c = client_cfg(TLS_VERIFY_REQUIRED, tc.ca_pem, NAME);
	struct pair p;

	pair_open(&p, c, s, NULL);
	pair_pump(&p, 1460);
	assert_established(&p);
	p.cli.corrupt_at = (long)p.cli.sent + 30; /* inside the ciphertext */
	send_pattern(&p.cli, &p.c2s, 100, 4, 1 << 20);
	pair_pump(&p, 1460);
	ck_assert_int_eq(p.srv.err, -EBADMSG);
	ck_assert_str_eq(tls_conn_reason(p.srv.c), "record authentication failed");
	ck_assert_uint_eq(p.srv.plain.len, 0);
	/* the server's bad_record_mac alert reached the client */
	ck_assert_int_eq(tls_conn_error(p.cli.c), -ECONNABORTED);
	ck_assert_str_eq(tls_conn_reason(p.cli.c), "peer alert: bad record MAC");
	pair_close(&p);
	tls_config_destroy(c);
	tls_config_destroy(s);
}
END_TEST

/* Flip one byte at each offset of each side's handshake output. */
START_TEST(corrupted_handshake)
{
	struct tls_config *s = server_cfg(tc.ec_cert_pem, tc.ec_key_pem);
	struct tls_config *c = client_cfg(TLS_VERIFY_REQUIRED, tc.ca_pem, NAME);
	int failures = 0, runs = 0;
	size_t len[2];
	struct pair clean;

	/* how many bytes each side sends in a clean full handshake */
	pair_open(&clean, c, s, NULL);
	pair_pump(&clean, 512);
	assert_established(&clean);
	len[0] = clean.cli.sent;
	len[1] = clean.srv.sent;
	pair_close(&clean);
	ck_assert_uint_gt(len[0], 150);
	ck_assert_uint_gt(len[1], 500);

	for (int side = 0; side < 2; side++) {
		for (long at = 0; at < (long)len[side]; at += side ? 3 : 1) {
			struct pair p;
			struct end *e;

			pair_open(&p, c, s, NULL);
			e = side ? &p.srv : &p.cli;
			e->corrupt_at = at;
			pair_pump(&p, 512);
			runs++;
			if (tls_conn_established(p.cli.c) && tls_conn_established(p.srv.c)) {
				pair_close(&p);
				continue;
			}
			failures++;
			/* whoever failed says why; nobody is left half-open
			 * with an error but no FAILED state */
			for (int k = 0; k < 2; k++) {
				struct tls_conn *x = k ? p.srv.c : p.cli.c;

				if (tls_conn_state(x) == TLS_STATE_FAILED) {
					ck_assert_int_lt(tls_conn_error(x), 0);
					ck_assert_str_ne(tls_conn_reason(x), "");
				} else {
					ck_assert_int_eq(tls_conn_error(x), 0);
				}
			}
			pair_close(&p);
		}
	}
	/* nearly every flipped byte must break the handshake */
	ck_assert_int_gt(failures, runs * 9 / 10);
	tls_config_destroy(c);
	tls_config_destroy(s);
}
END_TEST

START_TEST(session_resumption)
{
	static const struct {
		bool tickets, cache;
		bool resumed;
	} t[] = {
		{true, true, true},
		{false, true, true}, /* session-ID cache */
		{true, false, true}, /* tickets only */
		{false, false, false},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tls_config_params sp = {.role = TLS_SERVER};
		struct tls_config *s, *c;
		char err[256];

		sp.cert_pem = tc.ec_cert_pem;
		sp.cert_pem_len = strlen(tc.ec_cert_pem);
		sp.key_pem = tc.ec_key_pem;
		sp.key_pem_len = strlen(tc.ec_key_pem);
		sp.no_session_tickets = !t[i].tickets;
		sp.no_session_cache = !t[i].cache;
		s = tls_config_create(&sp, err, sizeof(err));
		ck_assert_msg(s != NULL, "%s", err);
		c = client_cfg_reuse(TLS_VERIFY_REQUIRED, tc.ca_pem, NAME, true);
		for (int round = 0; round < 3; round++) {
			struct pair p;

			pair_open(&p, c, s, NULL);
			pair_pump(&p, 1460);
			assert_established(&p);
			bool want = round > 0 && t[i].resumed;
			ck_assert_msg(tls_conn_resumed(p.cli.c) == want &&
					      tls_conn_resumed(p.srv.c) == want,
				      "case %zu round %d", i, round);
			/* a resumed session keeps the verification result */
			ck_assert(tls_conn_peer_verified(p.cli.c));
			send_pattern(&p.cli, &p.c2s, 3000, 5, 1 << 20);
			pair_pump(&p, 1460);
			ck_assert(check_pattern(&p.srv.plain, 5));
			pair_close(&p);
		}
		/* a ticket from another server that B does not accept is
		 * dropped after the full handshake, so B's session-ID cache
		 * resumes the next time */
		if (!t[i].tickets && t[i].cache) {
			struct tls_config *a = server_cfg(tc.ec_cert_pem, tc.ec_key_pem);
			struct tls_config *c3 =
				client_cfg_reuse(TLS_VERIFY_REQUIRED, tc.ca_pem, NAME, true);

			for (int round = 0; round < 3; round++) {
				struct pair p;

				pair_open(&p, c3, round == 0 ? a : s, NULL);
				pair_pump(&p, 1460);
				assert_established(&p);
				ck_assert_msg(tls_conn_resumed(p.srv.c) == (round == 2),
					      "stale ticket round %d", round);
				pair_close(&p);
			}
			tls_config_destroy(c3);
			tls_config_destroy(a);
		}
		/* another server name is never offered the saved session */
		{
			struct tls_config *c2 = client_cfg_reuse(TLS_VERIFY_NONE, NULL, NULL, true);
			struct pair p;

			pair_open(&p, c2, s, "a.test.example");
			pair_pump(&p, 1460);
			assert_established(&p);
			pair_close(&p);
			pair_open(&p, c2, s, "b.test.example");
			pair_pump(&p, 1460);
			assert_established(&p);
			ck_assert(!tls_conn_resumed(p.cli.c));
			pair_close(&p);
			tls_config_destroy(c2);
		}
		tls_config_destroy(c);
		tls_config_destroy(s);
	}
}
END_TEST

/* Renegotiation is refused with a warning alert and the connection goes on,
 * whichever side asks. */
START_TEST(renegotiation_refused)
{
	struct tls_config *s = server_cfg(tc.ec_cert_pem, tc.ec_key_pem);
	struct tls_config *c = client_cfg(TLS_VERIFY_REQUIRED, tc.ca_pem, NAME);
	struct buf c2s = {0}, s2c = {0};
	unsigned char rb[64];
	struct raw r;
	struct end e;
	int ret = MBEDTLS_ERR_SSL_WANT_READ;

	/* our server, raw client asking for renegotiation */
	end_init(&e, tls_conn_create(s, NULL));
	raw_client(&r, 3, 0, &c2s, &s2c);
	mbedtls_ssl_conf_renegotiation(&r.conf, MBEDTLS_SSL_RENEGOTIATION_ENABLED);
	ck_assert_int_eq(raw_vs_server(&r, &e, &c2s, &s2c), 0);
	ck_assert(tls_conn_established(e.c));
	ret = mbedtls_ssl_renegotiate(&r.ssl);
	ck_assert(ret == MBEDTLS_ERR_SSL_WANT_READ || ret == 0);
	ck_assert_uint_gt(c2s.len - c2s.off, 0);
	feed_in(&e, &c2s, &s2c, 1 << 20);
	ck_assert_int_eq(e.err, 0);
	ck_assert(tls_conn_established(e.c));
	ck_assert_uint_gt(s2c.len - s2c.off, 0); /* the no_renegotiation alert */
	ck_assert_uint_eq(s2c.p[s2c.off], 0x15);
	raw_free(&r);
	end_free(&e);
	buf_free(&c2s);
	buf_free(&s2c);

	/* our client, raw server sending HelloRequest then data */
	{
		mbedtls_x509_crt crt;
		mbedtls_pk_context key;
		struct buf s2c2 = {0}, c2s2 = {0};

		mbedtls_x509_crt_init(&crt);
		mbedtls_pk_init(&key);
		ck_assert_int_eq(mbedtls_x509_crt_parse(&crt, (const unsigned char *)tc.ec_cert_pem,
							strlen(tc.ec_cert_pem) + 1),
				 0);
		ck_assert_int_eq(mbedtls_pk_parse_key(&key, (const unsigned char *)tc.ec_key_pem,
						      strlen(tc.ec_key_pem) + 1, NULL, 0),
				 0);
		raw_server(&r, &crt, &key, &s2c2, &c2s2);
		end_init(&e, tls_conn_create(c, NULL));
		for (int i = 0; i < 20; i++) {
			flush_out(&e, &c2s2, 1 << 20);
			ret = mbedtls_ssl_handshake(&r.ssl);
			feed_in(&e, &s2c2, &c2s2, 1 << 20);
			if (ret == 0 && tls_conn_established(e.c))
				break;
		}
		ck_assert_int_eq(ret, 0);
		ck_assert(tls_conn_established(e.c));
		ret = mbedtls_ssl_renegotiate(&r.ssl);
		ck_assert(ret == MBEDTLS_ERR_SSL_WANT_READ || ret == 0);
		ck_assert_int_eq(mbedtls_ssl_write(&r.ssl, (const unsigned char *)"after", 5), 5);
		feed_in(&e, &s2c2, &c2s2, 1 << 20);
		ck_assert_int_eq(e.err, 0);
		ck_assert(tls_conn_established(e.c));
		ck_assert_uint_eq(e.plain.len, 5);
		ck_assert(memcmp(e.plain.p, "after", 5) == 0);
		ck_assert_uint_gt(c2s2.len - c2s2.off, 0);
		ck_assert_uint_eq(c2s2.p[c2s2.off], 0x15); /* warning alert */
		/* and the conversation goes on */
		ck_assert_int_eq(tls_conn_write(e.c, "reply", 5), 5);
		flush_out(&e, &c2s2, 1 << 20);
		ret = MBEDTLS_ERR_SSL_WANT_READ;
		for (int i = 0; i < 5 && ret < 0; i++)
			ret = mbedtls_ssl_read(&r.ssl, rb, sizeof(rb));
		ck_assert_int_eq(ret, 5);
		ck_assert(memcmp(rb, "reply", 5) == 0);
		raw_free(&r);
		end_free(&e);
		buf_free(&c2s2);
		buf_free(&s2c2);
		mbedtls_x509_crt_free(&crt);
		mbedtls_pk_free(&key);
	}
	tls_config_destroy(c);
	tls_config_destroy(s);
}
END_TEST

/* Input keeps flowing while our own output waits for the transport. */
START_TEST(full_duplex_with_pending_output)
{
	struct tls_config *s = server_cfg(tc.ec_cert_pem, tc.ec_key_pem);
	struct tls_config *c = client_cfg(TLS_VERIFY_NONE, NULL, NULL);
	static uint8_t big[16384];
	const uint8_t *o;
	size_t n;
	struct pair p;

	pair_open(&p, c, s, NULL);
	pair_pump(&p, 1460);
	assert_established(&p);
	ck_assert_int_eq(tls_conn_write(p.cli.c, big, sizeof(big)), 16384);
	/* the client's record stays pending while the server's data is fed */
	send_pattern(&p.srv, &p.s2c, 50000, 6, 1 << 20);
	while (p.s2c.off < p.s2c.len) {
		size_t k = p.s2c.len - p.s2c.off;
		ssize_t r = tls_conn_feed(p.cli.c, p.s2c.p + p.s2c.off, k < 4096 ? k : 4096);

		ck_assert_int_gt(r, 0);
		p.s2c.off += (size_t)r;
		drain(&p.cli, 1 << 20);
		ck_assert_uint_eq(tls_conn_output(p.cli.c, &o, &n), 16413);
	}
	ck_assert_uint_eq(p.cli.plain.len, 50000);
	ck_assert(check_pattern(&p.cli.plain, 6));
	/* the record, taken only now, arrives intact */
	pair_pump(&p, 1460);
	ck_assert_uint_eq(p.srv.plain.len, 16384);
	pair_close(&p);
	tls_config_destroy(c);
	tls_config_destroy(s);
}
END_TEST

static Suite *tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *t = tcase_create("handshake");

	tcase_set_timeout(t, 120); /* sanitizer builds are ~10x slower */
	tcase_add_test(t, handshake_every_chunk);
	tcase_add_test(t, negotiated_parameters);
	tcase_add_test(t, rsa_certificate);
	tcase_add_test(t, large_transfer);
	tcase_add_test(t, write_semantics);
	tcase_add_test(t, close_notify_both_ways);
	tcase_add_test(t, full_duplex_with_pending_output);
	suite_add_tcase(s, t);

	t = tcase_create("policy");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, verify_outcomes);
	tcase_add_test(t, min_version_and_suites);
	tcase_add_test(t, config_errors);
	tcase_add_test(t, session_resumption);
	tcase_add_test(t, renegotiation_refused);
	suite_add_tcase(s, t);

	t = tcase_create("robustness");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, garbage_input);
	tcase_add_test(t, tampered_record);
	tcase_add_test(t, corrupted_handshake);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed, ret;

	ret = testcerts_generate(&tc, NAME, true);
	if (ret != 0) {
		fprintf(stderr, "testcerts_generate: %d\n", ret);
		return 1;
	}
	sr = srunner_create(tls_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	testcerts_free(&tc);
	return failed == 0 ? 0 : 1;
}
