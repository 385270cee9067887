/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_tls.c — libFuzzer target for the sans-IO TLS glue (app/tls.c).
 *
 * The PKI (tests/unit/app/testcerts.c) and four configurations (a server,
 * clients with verification off / required, with and without session
 * reuse) are built once; every run creates and destroys its connections.
 * Byte 0 picks the mode, byte 1 seeds the chunking PRNG:
 *
 *  - raw server / raw client: the rest is ciphertext from the peer, fed in
 *    pseudo-random chunks to a fresh server connection, or to a fresh
 *    client connection after its ClientHello was taken; output and
 *    plaintext are drained (sometimes partly) after every call;
 *  - pair: a real client and server in memory; the rest is a script of
 *    transport events: move output to the wire in chunks, deliver wire
 *    bytes in chunks, flip / inject / drop wire bytes, write application
 *    data, consume plaintext partly (peek) or by copy (read), close either
 *    side, stop draining (backpressure). Afterwards both wires are pumped
 *    to quiescence.
 *
 * Checked: feed() never takes more than it was given and stops early only
 * with output or plaintext pending or after close_notify; errors are the
 * documented errnos, sticky, with a reason; output_consume() within the
 * offered length; write() at most one record; plaintext received is always
 * a prefix of what the peer wrote (tampering must fail the connection,
 * never alter data); without tampering the pair ends established (or
 * cleanly closed) on both sides.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/tls.h"
#include "../unit/app/testcerts.h"

#define NAME "mx.test.example"

#define FZ_CHECK(c)                                                                                \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_tls: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#c);                                                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static struct tls_config *fz_srv_cfg;
static struct tls_config *fz_cli_cfg[4]; /* [verify required][session reuse] */

/* ------------------------------------------------------------ wires */

struct wire {
	uint8_t *p;
	size_t off, len, cap;
};

static void wire_put(struct wire *w, const void *d, size_t n)
{
	if (w->off == w->len)
		w->off = w->len = 0;
	if (w->len + n > w->cap) {
		w->cap = (w->len + n) * 2 + 256;
		w->p = realloc(w->p, w->cap);
		FZ_CHECK(w->p != NULL);
	}
	if (n)
		memcpy(w->p + w->len, d, n);
	w->len += n;
}

static size_t wire_avail(const struct wire *w)
{
	return w->len - w->off;
}

static void wire_free(struct wire *w)
{
	free(w->p);
	memset(w, 0, sizeof(*w));
}

/* ---------------------------------------------------------- helpers */

struct fz {
	uint64_t rng;
};

static uint32_t fz_rand(struct fz *f)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 7;
	f->rng ^= f->rng << 17;
	return (uint32_t)(f->rng >> 32);
}

static const size_t fz_sizes[] = {1,   2,   3,	 5,    8,    13,    21,	   64,
				  100, 255, 512, 1024, 4096, 16384, 17000, SIZE_MAX};

static void fz_check_err(int e)
{
	FZ_CHECK(e == -EBADMSG || e == -EPROTO || e == -EPROTONOSUPPORT || e == -EACCES ||
		 e == -ECONNABORTED || e == -ENOMEM);
}

static void fz_check_state(const struct tls_conn *c)
{
	enum tls_state st = tls_conn_state(c);
	const char *r = tls_conn_reason(c);

	FZ_CHECK(r != NULL);
	FZ_CHECK(tls_conn_version(c) != NULL && tls_conn_ciphersuite(c) != NULL);
	FZ_CHECK(tls_conn_sni(c) != NULL);
	if (st == TLS_STATE_FAILED) {
		fz_check_err(tls_conn_error(c));
		FZ_CHECK(r[0] != '\0');
	} else {
		FZ_CHECK(tls_conn_error(c) == 0);
	}
	FZ_CHECK(tls_conn_memory(c) > 0);
}

/* One end of a connection: what it sent (accepted by write()) and how much
 * of the peer's stream it has read. */
struct end {
	struct tls_conn *c;
	struct wire sent;
	size_t rcvd;
	bool no_drain; /* leave plaintext pending (backpressure) */
	bool use_read;
};

/* Take plaintext from e (at most max bytes) and check it against what the
 * peer wrote. Returns the bytes taken. */
static size_t end_take(struct end *e, const struct end *peer, size_t max)
{
	size_t total = 0;

	for (int k = 0; k < 64 && total < max; k++) {
		const uint8_t *p;
		size_t n, room = max - total;
		if (e->use_read) {
			uint8_t buf[700];
			ssize_t r =
				tls_conn_read(e->c, buf, room < sizeof(buf) ? room : sizeof(buf));
			if (r <= 0) {
				if (r < 0 && r != -EAGAIN)
					fz_check_err((int)r);
				break;
			}
			p = buf;
			n = (size_t)r;
			if (peer) {
				FZ_CHECK(e->rcvd + n <= wire_avail(&peer->sent));
				FZ_CHECK(memcmp(peer->sent.p + e->rcvd, p, n) == 0);
			}
		} else {
			if (tls_conn_peek(e->c, &p, &n) == 0)
				break;
			FZ_CHECK(p != NULL && n > 0);
			if (n > room)
				n = room;
			if (peer) {
				FZ_CHECK(e->rcvd + n <= wire_avail(&peer->sent));
				FZ_CHECK(memcmp(peer->sent.p + e->rcvd, p, n) == 0);
			}
			tls_conn_peek_consume(e->c, n);
		}
		e->rcvd += n;
		total += n;
	}
	return total;
}

/* Move up to max bytes of e's output onto w, in pseudo-random pieces
 * (max == SIZE_MAX: everything, whole). */
static void end_flush(struct fz *f, struct end *e, struct wire *w, size_t max)
{
	bool whole = max == SIZE_MAX;

	for (int k = 0; k < 64 && max > 0; k++) {
		const uint8_t *p;
		size_t n;
		if (tls_conn_output(e->c, &p, &n) == 0)
			break;
		FZ_CHECK(p != NULL);
		size_t take = whole ? n : fz_sizes[fz_rand(f) % 16];
		if (take > n)
			take = n;
		if (take > max)
			take = max;
		wire_put(w, p, take);
		max -= take;
		int rc = tls_conn_output_consume(e->c, take);
		if (rc < 0) {
			fz_check_err(rc);
			FZ_CHECK(tls_conn_state(e->c) == TLS_STATE_FAILED);
		}
	}
}

/* Feed up to max bytes from w to e. */
static void end_deliver(struct fz *f, struct end *e, const struct end *peer, struct wire *w,
			size_t max)
{
	bool whole = max == SIZE_MAX;

	for (int k = 0; k < 64 && max > 0 && wire_avail(w) > 0; k++) {
		size_t n = whole ? wire_avail(w) : fz_sizes[fz_rand(f) % 16];
		if (n > wire_avail(w))
			n = wire_avail(w);
		if (n > max)
			n = max;
		bool was_failed = tls_conn_state(e->c) == TLS_STATE_FAILED;
		ssize_t r = tls_conn_feed(e->c, w->p + w->off, n);
		if (r < 0) {
			fz_check_err((int)r);
			FZ_CHECK(tls_conn_state(e->c) == TLS_STATE_FAILED);
			FZ_CHECK(r == tls_conn_error(e->c));
			return;
		}
		FZ_CHECK(!was_failed);
		FZ_CHECK((size_t)r <= n);
		if ((size_t)r < n) {
			const uint8_t *p;
			size_t l, pl;
			FZ_CHECK(tls_conn_output(e->c, &p, &l) > 0 ||
				 tls_conn_peek(e->c, &p, &pl) > 0 ||
				 tls_conn_state(e->c) == TLS_STATE_CLOSED);
		}
		w->off += (size_t)r;
		max -= (size_t)r;
		if (!e->no_drain)
			end_take(e, peer, SIZE_MAX);
		if (r == 0)
			break; /* the caller moves output or drains plaintext */
	}
}

/* ------------------------------------------------------------- raw */

static void fz_raw(struct fz *f, bool server, unsigned variant, const uint8_t *d, size_t n)
{
	static const char *const names[] = {NULL, NAME, "other.example", ""};
	struct end e = {0};
	struct wire in = {0}, out = {0};

	e.c = server ? tls_conn_create(fz_srv_cfg, NULL)
		     : tls_conn_create(fz_cli_cfg[variant & 3], names[(variant >> 2) & 3]);
	if (e.c == NULL) {
		/* Only "" as SNI may be refused. */
		FZ_CHECK(!server && ((variant >> 2) & 3) == 3);
		return;
	}
	e.use_read = (variant & 16) != 0;
	end_flush(f, &e, &out, SIZE_MAX);
	wire_put(&in, d, n);
	for (int round = 0; round < 4096 && wire_avail(&in) > 0; round++) {
		size_t before = wire_avail(&in);
		end_deliver(f, &e, NULL, &in, fz_sizes[fz_rand(f) % 16]);
		end_flush(f, &e, &out, fz_sizes[fz_rand(f) % 16]);
		end_take(&e, NULL, SIZE_MAX);
		fz_check_state(e.c);
		if (tls_conn_state(e.c) == TLS_STATE_FAILED) {
			FZ_CHECK(tls_conn_feed(e.c, "x", 1) == tls_conn_error(e.c));
			FZ_CHECK(tls_conn_write(e.c, "x", 1) == tls_conn_error(e.c));
			break;
		}
		if (wire_avail(&in) == before &&
		    tls_conn_output(e.c, &(const uint8_t *){0}, &(size_t){0}) == 0)
			break; /* stuck with nothing pending would be a bug, but
				* end_deliver already checked why it stopped */
	}
	(void)tls_conn_close(e.c);
	end_flush(f, &e, &out, SIZE_MAX);
	fz_check_state(e.c);
	tls_conn_destroy(e.c);
	wire_free(&in);
	wire_free(&out);
	wire_free(&e.sent);
}

/* ------------------------------------------------------------ pair */

struct script {
	const uint8_t *p;
	size_t n, i;
};

static unsigned sc_byte(struct script *s)
{
	return s->i < s->n ? s->p[s->i++] : 0;
}

static void fz_write(struct end *e, struct script *s)
{
	size_t n = sc_byte(s);
	if (n > s->n - s->i)
		n = s->n - s->i;
	const uint8_t *p = s->p + s->i;
	s->i += n;
	ssize_t r = tls_conn_write(e->c, p, n);
	if (r > 0) {
		FZ_CHECK((size_t)r <= n && r <= 16384);
		wire_put(&e->sent, p, (size_t)r);
	} else if (r < 0) {
		if (r != -EAGAIN && r != -EPIPE)
			fz_check_err((int)r);
	} else {
		FZ_CHECK(n == 0);
	}
}

static void fz_pair(struct fz *f, unsigned variant, const uint8_t *d, size_t n)
{
	struct end cli = {0}, srv = {0};
	struct wire c2s = {0}, s2c = {0};
	struct script s = {d, n, 0};
	bool tampered = false, wrong_name = false, closed = false;
	const char *name = NAME;

	if ((variant & 12) == 12) {
		name = "other.example";
		wrong_name = (variant & 1) != 0; /* verify required */
	}
	/* Session reuse unless bit 1: resumed handshakes skip the public-key
	 * operations, so most pairs run at a useful speed. */
	cli.c = tls_conn_create(fz_cli_cfg[(variant & 1) | ((variant & 2) ? 0 : 2)], name);
	srv.c = tls_conn_create(fz_srv_cfg, NULL);
	FZ_CHECK(cli.c != NULL && srv.c != NULL);
	cli.use_read = (variant & 16) != 0;
	srv.use_read = (variant & 32) != 0;

	while (s.i < s.n) {
		unsigned b = sc_byte(&s), a = b >> 4;
		struct wire *w;
		switch (b & 15) {
		case 0:
			end_flush(f, &cli, &c2s, fz_sizes[a]);
			break;
		case 1:
			end_flush(f, &srv, &s2c, fz_sizes[a]);
			break;
		case 2:
			end_deliver(f, &srv, &cli, &c2s, fz_sizes[a]);
			break;
		case 3:
			end_deliver(f, &cli, &srv, &s2c, fz_sizes[a]);
			break;
		case 4:
		case 5: {
			w = (b & 15) == 4 ? &c2s : &s2c;
			size_t at = sc_byte(&s) + (size_t)a * 256;
			uint8_t x = (uint8_t)sc_byte(&s);
			if (wire_avail(w) > at && x != 0) {
				w->p[w->off + at] ^= x;
				tampered = true;
			}
			break;
		}
		case 6:
			fz_write(&cli, &s);
			break;
		case 7:
			fz_write(&srv, &s);
			break;
		case 8:
			end_take(&cli, &srv, (size_t)a * 7 + 1);
			break;
		case 9:
			end_take(&srv, &cli, (size_t)a * 7 + 1);
			break;
		case 10:
		case 11: {
			struct end *e = (b & 15) == 10 ? &cli : &srv;
			int rc = tls_conn_close(e->c);
			if (rc < 0 && rc != -EAGAIN && rc != -ENOTCONN)
				fz_check_err(rc);
			if (rc == 0)
				closed = true;
			break;
		}
		case 12:
		case 13: {
			w = (b & 15) == 12 ? &c2s : &s2c;
			size_t k = sc_byte(&s) & 31;
			if (k > s.n - s.i)
				k = s.n - s.i;
			if (k > 0) {
				/* splice at the read position: bytes already
				 * delivered are history */
				struct wire t = {0};
				wire_put(&t, s.p + s.i, k);
				if (wire_avail(w) > 0)
					wire_put(&t, w->p + w->off, wire_avail(w));
				wire_free(w);
				*w = t;
				tampered = true;
			}
			s.i += k;
			break;
		}
		case 14: {
			w = (a & 1) ? &c2s : &s2c;
			size_t k = (size_t)(a >> 1) * 3 + 1;
			if (k > wire_avail(w))
				k = wire_avail(w);
			if (k > 0) {
				w->off += k;
				tampered = true;
			}
			break;
		}
		case 15:
			if (a & 1)
				cli.no_drain = !cli.no_drain;
			else
				srv.no_drain = !srv.no_drain;
			break;
		}
		fz_check_state(cli.c);
		fz_check_state(srv.c);
	}

	/* Pump to quiescence with everything drained. */
	cli.no_drain = srv.no_drain = false;
	for (int round = 0; round < 1000; round++) {
		size_t before = wire_avail(&c2s) + wire_avail(&s2c) + cli.rcvd + srv.rcvd;
		end_flush(f, &cli, &c2s, SIZE_MAX);
		end_flush(f, &srv, &s2c, SIZE_MAX);
		end_deliver(f, &srv, &cli, &c2s, SIZE_MAX);
		end_deliver(f, &cli, &srv, &s2c, SIZE_MAX);
		end_take(&cli, &srv, SIZE_MAX);
		end_take(&srv, &cli, SIZE_MAX);
		const uint8_t *p;
		size_t l;
		if (wire_avail(&c2s) + wire_avail(&s2c) + cli.rcvd + srv.rcvd == before &&
		    tls_conn_output(cli.c, &p, &l) == 0 && tls_conn_output(srv.c, &p, &l) == 0)
			break;
	}
	fz_check_state(cli.c);
	fz_check_state(srv.c);
	enum tls_state cs = tls_conn_state(cli.c), ss = tls_conn_state(srv.c);
	if (!tampered && !wrong_name) {
		FZ_CHECK(cs != TLS_STATE_FAILED && ss != TLS_STATE_FAILED);
		FZ_CHECK(cs != TLS_STATE_HANDSHAKING && ss != TLS_STATE_HANDSHAKING);
		if (!closed) {
			FZ_CHECK(cs == TLS_STATE_ESTABLISHED && ss == TLS_STATE_ESTABLISHED);
			/* everything written arrived */
			FZ_CHECK(cli.rcvd == wire_avail(&srv.sent));
			FZ_CHECK(srv.rcvd == wire_avail(&cli.sent));
			FZ_CHECK(tls_conn_peer_verified(cli.c) == ((variant & 1) != 0));
		}
	}
	if (wrong_name && !tampered)
		FZ_CHECK(cs == TLS_STATE_FAILED && tls_conn_error(cli.c) == -EACCES);
	(void)tls_conn_resumed(cli.c);
	(void)tls_conn_resumed(srv.c);
	tls_conn_destroy(cli.c);
	tls_conn_destroy(srv.c);
	wire_free(&c2s);
	wire_free(&s2c);
	wire_free(&cli.sent);
	wire_free(&srv.sent);
}

/* ------------------------------------------------------------- main */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct testcerts tc;
	char err[256];

	(void)argc;
	(void)argv;
	FZ_CHECK(testcerts_generate(&tc, NAME, false) == 0);
	struct tls_config_params sp = {
		.role = TLS_SERVER,
		.cert_pem = tc.ec_cert_pem,
		.cert_pem_len = strlen(tc.ec_cert_pem),
		.key_pem = tc.ec_key_pem,
		.key_pem_len = strlen(tc.ec_key_pem),
	};
	fz_srv_cfg = tls_config_create(&sp, err, sizeof(err));
	if (fz_srv_cfg == NULL) {
		fprintf(stderr, "fuzz_tls: server config: %s\n", err);
		abort();
	}
	for (int i = 0; i < 4; i++) {
		struct tls_config_params cp = {
			.role = TLS_CLIENT,
			.verify = (i & 1) ? TLS_VERIFY_REQUIRED : TLS_VERIFY_NONE,
			.ca_pem = tc.ca_pem,
			.ca_pem_len = strlen(tc.ca_pem),
			.server_name = NAME,
			.no_session_reuse = (i & 2) == 0,
		};
		fz_cli_cfg[i] = tls_config_create(&cp, err, sizeof(err));
		if (fz_cli_cfg[i] == NULL) {
			fprintf(stderr, "fuzz_tls: client config: %s\n", err);
			abort();
		}
	}
	testcerts_free(&tc);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f;

	if (size < 2)
		return 0;
	f.rng = 0x2545f4914f6cdd1dull ^ ((uint64_t)data[1] << 32 | data[1]);
	unsigned mode = data[0] & 3, variant = data[0] >> 2;
	data += 2;
	size -= 2;
	switch (mode) {
	case 0:
		fz_raw(&f, true, variant, data, size);
		break;
	case 1:
		fz_raw(&f, false, variant, data, size);
		break;
	default:
		fz_pair(&f, variant, data, size);
		break;
	}
	return 0;
}
