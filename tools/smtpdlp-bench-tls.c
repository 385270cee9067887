/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtpdlp-bench-tls: what the TLS glue costs, measured side by side in one
 * run on one core, all in memory (no network):
 *   - AES-128-GCM itself (mbedtls_gcm, 16 KiB buffers, seal + open),
 *   - raw mbedTLS records: mbedtls_ssl_write -> memory pipe ->
 *     mbedtls_ssl_read between two contexts,
 *   - the app/tls wrapper doing the same (output copied to a wire as the
 *     transport would, input fed, plaintext peeked in place or read),
 *   - full, ticket-resumed and cache-resumed handshakes per second (and the
 *     server's share of the CPU),
 *   - heap per connection (mallinfo2 deltas) next to tls_conn_memory().
 * Certificates come from tests/unit/app/testcerts.c (ECDSA P-256).
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so other jobs
 * on a shared machine disturb the figures less than wall-clock time would.
 * Usage: smtpdlp-bench-tls [-m MiB per throughput run] [-n handshakes]
 *                          [-c idle connections] [-r repetitions]
 */
#include <errno.h>
#include <stdbool.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "app/tls.h"
#include "testcerts.h"

#define NAME "mx.bench.example"
#define REC 16384

static struct testcerts tc;
static bool account; /* time each side's calls (handshake runs only) */

/* Thread CPU time: the machine is shared, and "per core" is what we want. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int code)
{
	fprintf(stderr, "smtpdlp-bench-tls: %s failed (%d)\n", what, code);
	exit(1);
}

/* ---------------------------------------------------------- the wire */

struct wire {
	unsigned char *p;
	size_t len, off, cap;
};

static void wire_put(struct wire *w, const void *d, size_t n)
{
	if (w->off == w->len)
		w->off = w->len = 0;
	if (w->len + n > w->cap) {
		w->cap = (w->len + n) * 2;
		w->p = realloc(w->p, w->cap);
		if (w->p == NULL)
			die("realloc", ENOMEM);
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

/* ------------------------------------------------------ raw AES-GCM */

static double bench_gcm(size_t total)
{
	static unsigned char buf[REC], out[REC], tag[16], iv[12], key[16];
	mbedtls_gcm_context enc, dec;
	double t0, t;
	size_t done;

	mbedtls_gcm_init(&enc);
	mbedtls_gcm_init(&dec);
	mbedtls_gcm_setkey(&enc, MBEDTLS_CIPHER_ID_AES, key, 128);
	mbedtls_gcm_setkey(&dec, MBEDTLS_CIPHER_ID_AES, key, 128);
	t0 = now();
	for (done = 0; done < total; done += REC) {
		iv[0]++;
		mbedtls_gcm_crypt_and_tag(&enc, MBEDTLS_GCM_ENCRYPT, REC, iv, 12, NULL, 0, buf, out,
					  16, tag);
		if (mbedtls_gcm_auth_decrypt(&dec, REC, iv, 12, NULL, 0, tag, 16, out, buf) != 0)
			die("gcm decrypt", -1);
	}
	t = now() - t0;
	mbedtls_gcm_free(&enc);
	mbedtls_gcm_free(&dec);
	return (double)total / t / 1e6;
}

/* ------------------------------------------------- raw mbedTLS pair */

struct raw {
	mbedtls_ssl_context ssl;
	struct wire *tx, *rx;
};

struct raw_env {
	mbedtls_ssl_config sconf, cconf;
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	int suites[2];
};

static int raw_send(void *ctx, const unsigned char *b, size_t n)
{
	struct raw *r = ctx;

	wire_put(r->tx, b, n);
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

static void raw_env_init(struct raw_env *e)
{
	memset(e, 0, sizeof(*e));
	mbedtls_entropy_init(&e->ent);
	mbedtls_ctr_drbg_init(&e->drbg);
	mbedtls_x509_crt_init(&e->crt);
	mbedtls_pk_init(&e->key);
	mbedtls_ssl_config_init(&e->sconf);
	mbedtls_ssl_config_init(&e->cconf);
	if (mbedtls_ctr_drbg_seed(&e->drbg, mbedtls_entropy_func, &e->ent, NULL, 0) ||
	    mbedtls_x509_crt_parse(&e->crt, (const unsigned char *)tc.ec_cert_pem,
				   strlen(tc.ec_cert_pem) + 1) ||
	    mbedtls_pk_parse_key(&e->key, (const unsigned char *)tc.ec_key_pem,
				 strlen(tc.ec_key_pem) + 1, NULL, 0))
		die("raw setup", -1);
	e->suites[0] = MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
	mbedtls_ssl_config_defaults(&e->sconf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
				    MBEDTLS_SSL_PRESET_DEFAULT);
	mbedtls_ssl_config_defaults(&e->cconf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
				    MBEDTLS_SSL_PRESET_DEFAULT);
	mbedtls_ssl_conf_rng(&e->sconf, mbedtls_ctr_drbg_random, &e->drbg);
	mbedtls_ssl_conf_rng(&e->cconf, mbedtls_ctr_drbg_random, &e->drbg);
	mbedtls_ssl_conf_ciphersuites(&e->sconf, e->suites);
	mbedtls_ssl_conf_ciphersuites(&e->cconf, e->suites);
	mbedtls_ssl_conf_authmode(&e->cconf, MBEDTLS_SSL_VERIFY_NONE);
	if (mbedtls_ssl_conf_own_cert(&e->sconf, &e->crt, &e->key))
		die("own cert", -1);
}

static void raw_env_free(struct raw_env *e)
{
	mbedtls_ssl_config_free(&e->sconf);
	mbedtls_ssl_config_free(&e->cconf);
	mbedtls_x509_crt_free(&e->crt);
	mbedtls_pk_free(&e->key);
	mbedtls_ctr_drbg_free(&e->drbg);
	mbedtls_entropy_free(&e->ent);
}

static double bench_raw_records(struct raw_env *e, size_t total)
{
	static unsigned char data[REC], rbuf[REC];
	struct wire c2s = {0}, s2c = {0};
	struct raw c = {.tx = &c2s, .rx = &s2c}, s = {.tx = &s2c, .rx = &c2s};
	int rc = -1, rs = -1, i;
	double t0, t;
	size_t done, got;

	mbedtls_ssl_init(&c.ssl);
	mbedtls_ssl_init(&s.ssl);
	mbedtls_ssl_setup(&c.ssl, &e->cconf);
	mbedtls_ssl_setup(&s.ssl, &e->sconf);
	mbedtls_ssl_set_bio(&c.ssl, &c, raw_send, raw_recv, NULL);
	mbedtls_ssl_set_bio(&s.ssl, &s, raw_send, raw_recv, NULL);
	for (i = 0; i < 100 && (rc != 0 || rs != 0); i++) {
		if (rc != 0)
			rc = mbedtls_ssl_handshake(&c.ssl);
		if (rs != 0)
			rs = mbedtls_ssl_handshake(&s.ssl);
	}
	if (rc != 0 || rs != 0)
		die("raw handshake", rc ? rc : rs);
	t0 = now();
	for (done = 0; done < total; done += REC) {
		if (mbedtls_ssl_write(&c.ssl, data, REC) != REC)
			die("raw write", -1);
		for (got = 0; got < REC;) {
			int r = mbedtls_ssl_read(&s.ssl, rbuf, sizeof(rbuf));

			if (r <= 0)
				die("raw read", r);
			got += (size_t)r;
		}
	}
	t = now() - t0;
	mbedtls_ssl_free(&c.ssl);
	mbedtls_ssl_free(&s.ssl);
	free(c2s.p);
	free(s2c.p);
	return (double)total / t / 1e6;
}

/* ------------------------------------------------------ the wrapper */

struct side {
	struct tls_conn *c;
	double cpu; /* seconds spent in this side's tls_* calls */
};

static void flush(struct side *s, struct wire *w)
{
	const uint8_t *p;
	size_t n;
	double t0 = account ? now() : 0;

	while (tls_conn_output(s->c, &p, &n) > 0) {
		wire_put(w, p, n);
		if (tls_conn_output_consume(s->c, n) < 0)
			break;
	}
	if (account)
		s->cpu += now() - t0;
}

static void feed(struct side *s, struct wire *w, struct wire *back, bool copy)
{
	static unsigned char rbuf[REC];
	const uint8_t *p;
	size_t n;
	ssize_t r;

	while (w->off < w->len) {
		double t0 = account ? now() : 0;

		r = tls_conn_feed(s->c, w->p + w->off, w->len - w->off);
		if (r < 0)
			die("tls_conn_feed", (int)r);
		w->off += (size_t)r;
		if (copy) {
			while (tls_conn_read(s->c, rbuf, sizeof(rbuf)) > 0)
				;
		} else {
			while (tls_conn_peek(s->c, &p, &n) > 0)
				tls_conn_peek_consume(s->c, n);
		}
		if (account)
			s->cpu += now() - t0;
		flush(s, back);
	}
}

static void handshake(struct side *c, struct side *s, struct wire *c2s, struct wire *s2c)
{
	for (int i = 0; i < 100; i++) {
		flush(c, c2s);
		feed(s, c2s, s2c, true);
		feed(c, s2c, c2s, true);
		if (tls_conn_established(c->c) && tls_conn_established(s->c) &&
		    c2s->off == c2s->len && s2c->off == s2c->len)
			return;
	}
	die("handshake", tls_conn_error(c->c) ? tls_conn_error(c->c) : tls_conn_error(s->c));
}

static double bench_wrapper(struct tls_config *sc, struct tls_config *cc, size_t total, bool copy)
{
	static unsigned char data[REC];
	struct wire c2s = {0}, s2c = {0};
	struct side c = {tls_conn_create(cc, NULL), 0};
	struct side s = {tls_conn_create(sc, NULL), 0};
	double t0, t;
	size_t done;

	if (c.c == NULL || s.c == NULL)
		die("tls_conn_create", errno);
	handshake(&c, &s, &c2s, &s2c);
	t0 = now();
	for (done = 0; done < total;) {
		ssize_t r = tls_conn_write(c.c, data, REC);

		if (r <= 0)
			die("tls_conn_write", (int)r);
		done += (size_t)r;
		flush(&c, &c2s);
		feed(&s, &c2s, &s2c, copy);
	}
	t = now() - t0;
	tls_conn_destroy(c.c);
	tls_conn_destroy(s.c);
	free(c2s.p);
	free(s2c.p);
	return (double)total / t / 1e6;
}

/* Handshakes per second for a pair of configs; *srv_rate gets the rate the
 * server side alone would reach on one core. */
static double bench_handshakes(struct tls_config *sc, struct tls_config *cc, int n,
			       bool want_resumed, double *srv_rate)
{
	struct wire c2s = {0}, s2c = {0};
	double t0, t, scpu = 0;
	int resumed = 0;

	account = true;
	/* prime the client's saved session */
	{
		struct side c = {tls_conn_create(cc, NULL), 0};
		struct side s = {tls_conn_create(sc, NULL), 0};

		handshake(&c, &s, &c2s, &s2c);
		tls_conn_destroy(c.c);
		tls_conn_destroy(s.c);
	}
	t0 = now();
	for (int i = 0; i < n; i++) {
		struct side c = {tls_conn_create(cc, NULL), 0};
		struct side s = {tls_conn_create(sc, NULL), 0};

		if (c.c == NULL || s.c == NULL)
			die("tls_conn_create", errno);
		handshake(&c, &s, &c2s, &s2c);
		resumed += tls_conn_resumed(s.c);
		scpu += s.cpu;
		tls_conn_destroy(c.c);
		tls_conn_destroy(s.c);
	}
	t = now() - t0;
	account = false;
	if (resumed != (want_resumed ? n : 0))
		die("unexpected resumption count", resumed);
	free(c2s.p);
	free(s2c.p);
	*srv_rate = (double)n / scpu;
	return (double)n / t;
}

static size_t heap_used(void)
{
	return mallinfo2().uordblks;
}

static void bench_memory(struct tls_config *sc, struct tls_config *cc, int n)
{
	struct tls_conn **cs = calloc((size_t)n, sizeof(*cs));
	struct tls_conn **ss = calloc((size_t)n, sizeof(*ss));
	struct wire c2s = {0}, s2c = {0};
	size_t base, fresh, est_fresh = 0, est_idle = 0, est_cli = 0;
	size_t before, all, srv_only;

	if (cs == NULL || ss == NULL)
		die("calloc", ENOMEM);
	wire_put(&c2s, "x", 1); /* allocate the wires up front */
	wire_put(&s2c, "x", 1);
	c2s.off = c2s.len;
	s2c.off = s2c.len;
	wire_put(&c2s, (char[65536]){0}, 65536);
	wire_put(&s2c, (char[65536]){0}, 65536);
	c2s.off = c2s.len;
	s2c.off = s2c.len;

	base = heap_used();
	for (int i = 0; i < n; i++)
		ss[i] = tls_conn_create(sc, NULL);
	fresh = heap_used() - base;
	est_fresh = tls_conn_memory(ss[0]);
	for (int i = 0; i < n; i++)
		tls_conn_destroy(ss[i]);

	before = heap_used();
	for (int i = 0; i < n; i++) {
		struct side c = {tls_conn_create(cc, NULL), 0};
		struct side s = {tls_conn_create(sc, NULL), 0};

		handshake(&c, &s, &c2s, &s2c);
		cs[i] = c.c;
		ss[i] = s.c;
	}
	all = heap_used() - before;
	est_idle = tls_conn_memory(ss[0]);
	est_cli = tls_conn_memory(cs[0]);
	for (int i = 0; i < n; i++)
		tls_conn_destroy(cs[i]);
	srv_only = heap_used() - before;
	for (int i = 0; i < n; i++)
		tls_conn_destroy(ss[i]);

	printf("| server conn, before handshake | %zu | %zu |\n", fresh / (size_t)n, est_fresh);
	printf("| server conn, established idle | %zu | %zu |\n", srv_only / (size_t)n, est_idle);
	printf("| client conn, established idle | %zu | %zu |\n", (all - srv_only) / (size_t)n,
	       est_cli);
	free(cs);
	free(ss);
	free(c2s.p);
	free(s2c.p);
}

static struct tls_config *mk_server(bool tickets, bool cache)
{
	struct tls_config_params p = {.role = TLS_SERVER};
	char err[256];
	struct tls_config *cfg;

	p.cert_pem = tc.ec_cert_pem;
	p.cert_pem_len = strlen(tc.ec_cert_pem);
	p.key_pem = tc.ec_key_pem;
	p.key_pem_len = strlen(tc.ec_key_pem);
	p.no_session_tickets = !tickets;
	p.no_session_cache = !cache;
	cfg = tls_config_create(&p, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "server config: %s\n", err);
		exit(1);
	}
	return cfg;
}

static struct tls_config *mk_client(bool reuse)
{
	struct tls_config_params p = {.role = TLS_CLIENT};
	char err[256];
	struct tls_config *cfg;

	p.verify = TLS_VERIFY_REQUIRED;
	p.ca_pem = tc.ca_pem;
	p.ca_pem_len = strlen(tc.ca_pem);
	p.server_name = NAME;
	p.no_session_reuse = !reuse;
	cfg = tls_config_create(&p, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "client config: %s\n", err);
		exit(1);
	}
	return cfg;
}

static double best(double a, double b)
{
	return a > b ? a : b;
}

int main(int argc, char **argv)
{
	size_t mib = 64;
	int n = 300, conns = 200, reps = 3, opt;
	double gcm = 0, raw = 0, wpeek = 0, wread = 0, srv;
	struct tls_config *sc, *sc_cache, *cc, *cc_reuse;
	struct raw_env env;

	while ((opt = getopt(argc, argv, "m:n:c:r:")) != -1) {
		switch (opt) {
		case 'm':
			mib = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'c':
			conns = atoi(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-m MiB] [-n handshakes] "
				"[-c conns] [-r reps]\n",
				argv[0]);
			return 2;
		}
	}
	if (mib == 0 || n <= 0 || conns <= 0 || reps <= 0)
		return 2;
	if (testcerts_generate(&tc, NAME, false) != 0)
		die("testcerts_generate", -1);
	sc = mk_server(true, true);
	sc_cache = mk_server(false, true);
	cc = mk_client(false);
	cc_reuse = mk_client(true);
	raw_env_init(&env);

	for (int r = 0; r < reps; r++) {
		gcm = best(gcm, bench_gcm(mib << 20));
		raw = best(raw, bench_raw_records(&env, mib << 20));
		wpeek = best(wpeek, bench_wrapper(sc, cc, mib << 20, false));
		wread = best(wread, bench_wrapper(sc, cc, mib << 20, true));
	}
	printf("## throughput, one core, one direction, 16 KiB records, best of %d x %zu MiB\n\n",
	       reps, mib);
	printf("| path | MB/s | ratio to raw records |\n|---|---:|---:|\n");
	printf("| AES-128-GCM seal+open (mbedtls_gcm) | %.0f | %.2f |\n", gcm, gcm / raw);
	printf("| raw mbedTLS records (ssl_write -> pipe -> ssl_read) | %.0f | 1.00 |\n", raw);
	printf("| tls_conn, plaintext peeked in place | %.0f | %.2f |\n", wpeek, wpeek / raw);
	printf("| tls_conn, plaintext via tls_conn_read | %.0f | %.2f |\n", wread, wread / raw);

	printf("\n## handshakes (ECDSA P-256 certificate, x25519 ECDHE, client verifies chain and "
	       "name), %d each\n\n",
	       n);
	printf("| kind | pairs/s (client+server on one core) | server-side only /s "
	       "|\n|---|---:|---:|\n");
	double full = bench_handshakes(sc, cc, n, false, &srv);
	printf("| full | %.0f | %.0f |\n", full, srv);
	double tick = bench_handshakes(sc, cc_reuse, n, true, &srv);
	printf("| resumed, session ticket | %.0f | %.0f |\n", tick, srv);
	double cache = bench_handshakes(sc_cache, cc_reuse, n, true, &srv);
	printf("| resumed, session-ID cache | %.0f | %.0f |\n", cache, srv);

	printf("\n## heap per connection (%d connections, mallinfo2 delta)\n\n", conns);
	printf("| state | measured bytes | tls_conn_memory() |\n|---|---:|---:|\n");
	bench_memory(sc, cc, conns);

	raw_env_free(&env);
	tls_config_destroy(sc);
	tls_config_destroy(sc_cache);
	tls_config_destroy(cc);
	tls_config_destroy(cc_reuse);
	testcerts_free(&tc);
	return 0;
}
