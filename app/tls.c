/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS glue: sans-IO connections over mbedTLS 2.28 (see tls.h).
 *
 * The BIO callbacks never touch a socket. Input is borrowed from the caller
 * for the duration of tls_conn_feed() and copied by mbedTLS into its own
 * record buffer. Output is never copied here: the send callback remembers
 * the pointer mbedTLS offers and answers WANT_WRITE; when the transport has
 * taken n bytes, tls_conn_output_consume() grants a credit of n and asks
 * mbedTLS to flush, which makes the callback report those n bytes as sent.
 * Plaintext can be consumed in place (tls_conn_peek) through the record
 * buffer's read offset, exactly as mbedtls_ssl_read() does minus the copy.
 *
 * That last part and the resumption flag use fields of mbedTLS 2.x structs
 * (public in 2.x, private in 3.x), hence the version check below.
 */
#include "app/tls.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/gcm.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_internal.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include "config/cfg.h"

#if MBEDTLS_VERSION_NUMBER < 0x021C0000 || MBEDTLS_VERSION_NUMBER >= 0x03000000
#error "app/tls.c is written against mbedTLS 2.28 (uses 2.x context fields)"
#endif
#if !defined(MBEDTLS_SSL_PROTO_TLS1_2) || !defined(MBEDTLS_GCM_C) || \
	!defined(MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED)
#error "mbedTLS without TLS 1.2 / GCM / ECDHE-ECDSA"
#endif

#define TLS_PERS "smtpdlp-tls"
#define TLS_DEFAULT_LIFETIME 3600
#define TLS_DEFAULT_CACHE_MAX 1024
#define TLS_SNI_MAX 255

struct tls_config {
	enum tls_role role;
	enum tls_verify verify;
	mbedtls_ssl_config conf;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt chain; /* server: own chain; client: trust anchors */
	mbedtls_pk_context key;
	mbedtls_ssl_ticket_context ticket;
	mbedtls_ssl_cache_context cache;
	bool have_ticket;
	bool have_cache;
	bool session_reuse;
	char *server_name;
	/* client: last session, offered to the next connection to the same name */
	mbedtls_ssl_session saved;
	bool have_saved;
	char *saved_name;
};

struct tls_conn {
	struct tls_config *cfg;
	enum tls_state state;
	int err;      /* negative errno once failed */
	int mbed_err; /* the mbedTLS code behind it */
	const char *reason;
	/* input borrowed during tls_conn_feed() */
	const uint8_t *in;
	size_t in_len;
	size_t in_used;
	/* output: the region mbedTLS last offered to the send callback */
	const uint8_t *out;
	size_t out_len;
	size_t out_credit;
	bool resumed;
	bool close_sent;
	bool close_rcvd;
	bool close_reply_due;
	char *sni;
	mbedtls_ssl_context ssl;
};

/* Allowed suites, in preference order: AES-128-GCM is fastest with AES-NI. */
static const int tls_suites[] = {
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	0,
};

/* x25519 first: ~15 % more full handshakes per CPU second than P-256 with
 * mbedTLS 2.28 here (docs/BENCHMARKS.md, TLS section). */
static const mbedtls_ecp_group_id tls_curves[] = {
	MBEDTLS_ECP_DP_CURVE25519,
	MBEDTLS_ECP_DP_SECP256R1,
	MBEDTLS_ECP_DP_SECP384R1,
	MBEDTLS_ECP_DP_NONE,
};

static const int tls_sig_hashes[] = {
	MBEDTLS_MD_SHA256,
	MBEDTLS_MD_SHA384,
	MBEDTLS_MD_SHA512,
	MBEDTLS_MD_NONE,
};

/* ------------------------------------------------------------ config */

static void tls_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void tls_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * mbedTLS parses PEM only from a NUL-terminated buffer whose length counts
 * the NUL; callers of this API need not care. DER is passed through.
 * Returns the buffer to parse (maybe a copy in *tmp) or NULL on ENOMEM.
 */
static const unsigned char *tls_pem_buf(const void *p, size_t len, unsigned char **tmp,
					size_t *outlen)
{
	const unsigned char *b = p;

	*tmp = NULL;
	*outlen = len;
	if (len == 0 || b[len - 1] == '\0' || memmem(b, len, "-----BEGIN", 10) == NULL)
		return b;
	*tmp = malloc(len + 1);
	if (*tmp == NULL)
		return NULL;
	memcpy(*tmp, b, len);
	(*tmp)[len] = '\0';
	*outlen = len + 1;
	return *tmp;
}

static void tls_tmp_free(unsigned char *tmp, size_t len)
{
	if (tmp != NULL) {
		mbedtls_platform_zeroize(tmp, len);
		free(tmp);
	}
}

/* Load certificates from a PEM/DER buffer or a file into crt. */
static int tls_load_crt(mbedtls_x509_crt *crt, const char *what, const char *file, const void *pem,
			size_t pem_len, char *err, size_t errlen)
{
	unsigned char *tmp;
	const unsigned char *b;
	size_t blen;
	int ret;

	if (pem != NULL) {
		b = tls_pem_buf(pem, pem_len, &tmp, &blen);
		if (b == NULL)
			return -ENOMEM;
		ret = mbedtls_x509_crt_parse(crt, b, blen);
		tls_tmp_free(tmp, blen);
	} else {
		if (access(file, R_OK) != 0) {
			ret = -errno;
			tls_errf(err, errlen, "%s: %s: %s", what, file, strerror(errno));
			return ret;
		}
		ret = mbedtls_x509_crt_parse_file(crt, file);
	}
	if (ret != 0) {
		tls_errf(err, errlen, "%s: cannot parse certificate%s (mbedTLS -0x%04x)", what,
			 ret > 0 ? "s" : "", ret > 0 ? 0 : -ret);
		return -EINVAL;
	}
	return 0;
}

static int tls_load_key(mbedtls_pk_context *key, const char *file, const void *pem, size_t pem_len,
			char *err, size_t errlen)
{
	unsigned char *tmp;
	const unsigned char *b;
	size_t blen;
	int ret;

	if (pem != NULL) {
		b = tls_pem_buf(pem, pem_len, &tmp, &blen);
		if (b == NULL)
			return -ENOMEM;
		ret = mbedtls_pk_parse_key(key, b, blen, NULL, 0);
		tls_tmp_free(tmp, blen);
	} else {
		if (access(file, R_OK) != 0) {
			ret = -errno;
			tls_errf(err, errlen, "key: %s: %s", file, strerror(errno));
			return ret;
		}
		ret = mbedtls_pk_parse_keyfile(key, file, NULL);
	}
	if (ret != 0) {
		tls_errf(err, errlen, "key: cannot parse private key (mbedTLS -0x%04x)", -ret);
		return -EINVAL;
	}
	return 0;
}

static int tls_sni_cb(void *p, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
	struct tls_conn *c = ssl->p_bio;

	(void)p;
	if (len > TLS_SNI_MAX || c->sni != NULL)
		return 0;
	c->sni = malloc(len + 1);
	if (c->sni != NULL) {
		memcpy(c->sni, name, len);
		c->sni[len] = '\0';
	}
	return 0;
}

static int tls_config_server(struct tls_config *cfg, const struct tls_config_params *p, char *err,
			     size_t errlen)
{
	unsigned lifetime = p->session_lifetime ? p->session_lifetime : TLS_DEFAULT_LIFETIME;
	int ret;

	if ((p->cert_pem == NULL && p->cert_file == NULL) ||
	    (p->key_pem == NULL && p->key_file == NULL)) {
		tls_errf(err, errlen, "server needs a certificate and a key");
		return -EINVAL;
	}
	ret = tls_load_crt(&cfg->chain, "certificate", p->cert_file, p->cert_pem, p->cert_pem_len,
			   err, errlen);
	if (ret)
		return ret;
	ret = tls_load_key(&cfg->key, p->key_file, p->key_pem, p->key_pem_len, err, errlen);
	if (ret)
		return ret;
	if (mbedtls_pk_check_pair(&cfg->chain.pk, &cfg->key) != 0) {
		tls_errf(err, errlen, "key does not match the certificate's public key");
		return -EINVAL;
	}
	if (!mbedtls_pk_can_do(&cfg->key, MBEDTLS_PK_ECKEY) &&
	    !mbedtls_pk_can_do(&cfg->key, MBEDTLS_PK_RSA)) {
		tls_errf(err, errlen, "key must be ECDSA or RSA");
		return -EINVAL;
	}
	ret = mbedtls_ssl_conf_own_cert(&cfg->conf, &cfg->chain, &cfg->key);
	if (ret != 0)
		return -ENOMEM;
	mbedtls_ssl_conf_authmode(&cfg->conf, MBEDTLS_SSL_VERIFY_NONE);
	mbedtls_ssl_conf_sni(&cfg->conf, tls_sni_cb, cfg);

	if (!p->no_session_tickets) {
		mbedtls_ssl_ticket_init(&cfg->ticket);
		cfg->have_ticket = true;
		ret = mbedtls_ssl_ticket_setup(&cfg->ticket, mbedtls_ctr_drbg_random, &cfg->drbg,
					       MBEDTLS_CIPHER_AES_256_GCM, lifetime);
		if (ret != 0) {
			tls_errf(err, errlen, "session tickets: setup failed (mbedTLS -0x%04x)",
				 -ret);
			return -EIO;
		}
		mbedtls_ssl_conf_session_tickets_cb(&cfg->conf, mbedtls_ssl_ticket_write,
						    mbedtls_ssl_ticket_parse, &cfg->ticket);
	}
	if (!p->no_session_cache) {
		mbedtls_ssl_cache_init(&cfg->cache);
		cfg->have_cache = true;
		mbedtls_ssl_cache_set_max_entries(&cfg->cache, p->session_cache_max
								       ? (int)p->session_cache_max
								       : TLS_DEFAULT_CACHE_MAX);
		mbedtls_ssl_cache_set_timeout(&cfg->cache, (int)lifetime);
		mbedtls_ssl_conf_session_cache(&cfg->conf, &cfg->cache, mbedtls_ssl_cache_get,
					       mbedtls_ssl_cache_set);
	}
	return 0;
}

static int tls_config_client(struct tls_config *cfg, const struct tls_config_params *p, char *err,
			     size_t errlen)
{
	int ret, mode;

	switch (p->verify) {
	case TLS_VERIFY_NONE:
		mode = MBEDTLS_SSL_VERIFY_NONE;
		break;
	case TLS_VERIFY_OPTIONAL:
		mode = MBEDTLS_SSL_VERIFY_OPTIONAL;
		break;
	case TLS_VERIFY_REQUIRED:
		mode = MBEDTLS_SSL_VERIFY_REQUIRED;
		break;
	default:
		tls_errf(err, errlen, "unknown verify mode");
		return -EINVAL;
	}
	cfg->verify = p->verify;
	if (p->verify != TLS_VERIFY_NONE) {
		if (p->ca_pem == NULL && p->ca_file == NULL) {
			tls_errf(err, errlen, "ca_file is required to verify the server");
			return -EINVAL;
		}
		ret = tls_load_crt(&cfg->chain, "ca_file", p->ca_file, p->ca_pem, p->ca_pem_len,
				   err, errlen);
		if (ret)
			return ret;
		mbedtls_ssl_conf_ca_chain(&cfg->conf, &cfg->chain, NULL);
	}
	mbedtls_ssl_conf_authmode(&cfg->conf, mode);
	mbedtls_ssl_conf_session_tickets(&cfg->conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
	if (p->server_name != NULL) {
		if (strlen(p->server_name) > TLS_SNI_MAX) {
			tls_errf(err, errlen, "server_name too long");
			return -EINVAL;
		}
		cfg->server_name = strdup(p->server_name);
		if (cfg->server_name == NULL)
			return -ENOMEM;
	}
	cfg->session_reuse = !p->no_session_reuse;
	return 0;
}

struct tls_config *tls_config_create(const struct tls_config_params *p, char *err, size_t errlen)
{
	struct tls_config *cfg;
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (p == NULL || (p->role != TLS_SERVER && p->role != TLS_CLIENT)) {
		tls_errf(err, errlen, "invalid parameters");
		errno = EINVAL;
		return NULL;
	}
	if (p->min_version == TLS_VERSION_1_3) {
		tls_errf(err, errlen,
			 "min_version 1.3: TLS 1.3 is not available with mbedTLS 2.28");
		errno = ENOTSUP;
		return NULL;
	}
	if (p->min_version != TLS_VERSION_1_2) {
		tls_errf(err, errlen, "invalid min_version");
		errno = EINVAL;
		return NULL;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		tls_errf(err, errlen, "out of memory");
		return NULL;
	}
	cfg->role = p->role;
	mbedtls_ssl_config_init(&cfg->conf);
	mbedtls_entropy_init(&cfg->entropy);
	mbedtls_ctr_drbg_init(&cfg->drbg);
	mbedtls_x509_crt_init(&cfg->chain);
	mbedtls_pk_init(&cfg->key);
	mbedtls_ssl_session_init(&cfg->saved);

	ret = mbedtls_ctr_drbg_seed(&cfg->drbg, mbedtls_entropy_func, &cfg->entropy,
				    (const unsigned char *)TLS_PERS, sizeof(TLS_PERS) - 1);
	if (ret != 0) {
		tls_errf(err, errlen, "cannot seed the RNG (mbedTLS -0x%04x)", -ret);
		ret = -EIO;
		goto fail;
	}
	ret = mbedtls_ssl_config_defaults(
		&cfg->conf, p->role == TLS_SERVER ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
		MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret != 0) {
		ret = -ENOMEM;
		goto fail;
	}
	mbedtls_ssl_conf_rng(&cfg->conf, mbedtls_ctr_drbg_random, &cfg->drbg);
	mbedtls_ssl_conf_min_version(&cfg->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(&cfg->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_ciphersuites(&cfg->conf, tls_suites);
	mbedtls_ssl_conf_curves(&cfg->conf, tls_curves);
	mbedtls_ssl_conf_sig_hashes(&cfg->conf, tls_sig_hashes);
	mbedtls_ssl_conf_renegotiation(&cfg->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);

	ret = p->role == TLS_SERVER ? tls_config_server(cfg, p, err, errlen)
				    : tls_config_client(cfg, p, err, errlen);
	if (ret != 0)
		goto fail;
	return cfg;

fail:
	if (err != NULL && errlen > 0 && err[0] == '\0')
		tls_errf(err, errlen, "%s", strerror(-ret));
	tls_config_destroy(cfg);
	errno = -ret;
	return NULL;
}

struct tls_config *tls_config_create_server(const struct cfg_tls *t, char *err, size_t errlen)
{
	struct tls_config_params p = {.role = TLS_SERVER};

	if (t == NULL || t->certificate == NULL || t->key == NULL) {
		tls_errf(err, errlen, "tls: no certificate configured");
		errno = ENOENT;
		return NULL;
	}
	p.cert_file = t->certificate;
	p.key_file = t->key;
	p.min_version = t->min_version == CFG_TLS_1_3 ? TLS_VERSION_1_3 : TLS_VERSION_1_2;
	return tls_config_create(&p, err, errlen);
}

struct tls_config *tls_config_create_client(const struct cfg_upstream *u, char *err, size_t errlen)
{
	struct tls_config_params p = {.role = TLS_CLIENT};

	if (u == NULL) {
		errno = EINVAL;
		return NULL;
	}
	p.verify = u->verify ? TLS_VERIFY_REQUIRED : TLS_VERIFY_NONE;
	p.ca_file = u->ca_file;
	p.server_name = u->server_name;
	return tls_config_create(&p, err, errlen);
}

void tls_config_destroy(struct tls_config *cfg)
{
	if (cfg == NULL)
		return;
	if (cfg->have_ticket)
		mbedtls_ssl_ticket_free(&cfg->ticket);
	if (cfg->have_cache)
		mbedtls_ssl_cache_free(&cfg->cache);
	mbedtls_ssl_session_free(&cfg->saved);
	mbedtls_ssl_config_free(&cfg->conf);
	mbedtls_pk_free(&cfg->key);
	mbedtls_x509_crt_free(&cfg->chain);
	mbedtls_ctr_drbg_free(&cfg->drbg);
	mbedtls_entropy_free(&cfg->entropy);
	free(cfg->server_name);
	free(cfg->saved_name);
	free(cfg);
}

/* -------------------------------------------------------------- BIO */

static int tls_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn *c = ctx;
	size_t n;

	if (c->out_credit > 0) {
		n = c->out_credit < len ? c->out_credit : len;
		c->out_credit -= n;
		return (int)n;
	}
	c->out = buf;
	c->out_len = len;
	return MBEDTLS_ERR_SSL_WANT_WRITE;
}

static int tls_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tls_conn *c = ctx;
	size_t n;

	if (c->in == NULL || c->in_used == c->in_len)
		return MBEDTLS_ERR_SSL_WANT_READ;
	n = c->in_len - c->in_used;
	if (n > len)
		n = len;
	if (n > INT_MAX)
		n = INT_MAX;
	memcpy(buf, c->in + c->in_used, n);
	c->in_used += n;
	return (int)n;
}

/* ----------------------------------------------------------- errors */

static const char *tls_verify_reason(uint32_t flags)
{
	if (flags & MBEDTLS_X509_BADCERT_SKIP_VERIFY)
		return "certificate not verified";
	if (flags & MBEDTLS_X509_BADCERT_MISSING)
		return "no certificate";
	if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		return "certificate not trusted";
	if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		return "certificate name mismatch";
	if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
		return "certificate expired";
	if (flags & MBEDTLS_X509_BADCERT_FUTURE)
		return "certificate not yet valid";
	if (flags & MBEDTLS_X509_BADCERT_REVOKED)
		return "certificate revoked";
	if (flags & (MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
		     MBEDTLS_X509_BADCERT_NS_CERT_TYPE))
		return "certificate not valid for TLS server use";
	if (flags & (MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK |
		     MBEDTLS_X509_BADCERT_BAD_KEY))
		return "certificate uses weak or unsupported algorithms";
	if (flags != 0)
		return "certificate invalid";
	return "";
}

static const char *tls_alert_reason(unsigned char alert)
{
	switch (alert) {
	case MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE:
		return "peer alert: handshake failure";
	case MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION:
		return "peer alert: protocol version";
	case MBEDTLS_SSL_ALERT_MSG_INSUFFICIENT_SECURITY:
		return "peer alert: insufficient security";
	case MBEDTLS_SSL_ALERT_MSG_BAD_CERT:
		return "peer alert: bad certificate";
	case MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA:
		return "peer alert: unknown CA";
	case MBEDTLS_SSL_ALERT_MSG_BAD_RECORD_MAC:
		return "peer alert: bad record MAC";
	case MBEDTLS_SSL_ALERT_MSG_DECODE_ERROR:
		return "peer alert: decode error";
	case MBEDTLS_SSL_ALERT_MSG_UNEXPECTED_MESSAGE:
		return "peer alert: unexpected message";
	case MBEDTLS_SSL_ALERT_MSG_ILLEGAL_PARAMETER:
		return "peer alert: illegal parameter";
	case MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT:
		return "peer alert: unsupported certificate";
	case MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED:
		return "peer alert: certificate revoked";
	case MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED:
		return "peer alert: certificate expired";
	case MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN:
		return "peer alert: certificate unknown";
	case MBEDTLS_SSL_ALERT_MSG_ACCESS_DENIED:
		return "peer alert: access denied";
	case MBEDTLS_SSL_ALERT_MSG_DECRYPT_ERROR:
		return "peer alert: decrypt error";
	case MBEDTLS_SSL_ALERT_MSG_INTERNAL_ERROR:
		return "peer alert: internal error";
	default:
		return "peer alert: other";
	}
}

/* Move to FAILED; map the mbedTLS code to an errno and a reason. */
static int tls_fail(struct tls_conn *c, int mret)
{
	int e;
	const char *why;

	switch (mret) {
	case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
		e = -EACCES;
		why = tls_verify_reason(mbedtls_ssl_get_verify_result(&c->ssl));
		if (why[0] == '\0')
			why = "certificate verification failed";
		break;
	case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
		e = -ECONNABORTED;
		why = tls_alert_reason(c->ssl.in_msg != NULL ? c->ssl.in_msg[1] : 0);
		break;
	case MBEDTLS_ERR_SSL_INVALID_MAC:
		e = -EBADMSG;
		why = "record authentication failed";
		break;
	case MBEDTLS_ERR_SSL_INVALID_RECORD:
		e = -EBADMSG;
		why = "invalid record";
		break;
	case MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION:
		e = -EPROTONOSUPPORT;
		why = "no common protocol version";
		break;
	case MBEDTLS_ERR_SSL_NO_CIPHER_CHOSEN:
	case MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE:
		e = -EPROTONOSUPPORT;
		why = "no common cipher suite";
		break;
	case MBEDTLS_ERR_SSL_ALLOC_FAILED:
		e = -ENOMEM;
		why = "out of memory";
		break;
	case MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE:
		e = -EPROTO;
		why = "unexpected message";
		break;
	case MBEDTLS_ERR_SSL_BAD_HS_CLIENT_HELLO:
		e = -EPROTO;
		why = "bad ClientHello";
		break;
	case MBEDTLS_ERR_SSL_BAD_HS_SERVER_HELLO:
		e = -EPROTO;
		why = "bad ServerHello";
		break;
	case MBEDTLS_ERR_SSL_BAD_HS_CERTIFICATE:
		e = -EPROTO;
		why = "bad Certificate message";
		break;
	case MBEDTLS_ERR_SSL_BAD_HS_FINISHED:
		e = -EPROTO;
		why = "bad Finished";
		break;
	default:
		e = -EPROTO;
		why = "TLS protocol error";
		break;
	}
	c->state = TLS_STATE_FAILED;
	c->err = e;
	c->mbed_err = mret;
	c->reason = why;
	return e;
}

/* ------------------------------------------------------ connections */

static void tls_save_session(struct tls_conn *c)
{
	struct tls_config *cfg = c->cfg;
	const char *name = c->ssl.hostname;
	mbedtls_ssl_session fresh;
	char *fresh_name = NULL;

	if (cfg->role != TLS_CLIENT || !cfg->session_reuse)
		return;
	if (cfg->verify != TLS_VERIFY_NONE && mbedtls_ssl_get_verify_result(&c->ssl) != 0)
		return;
	mbedtls_ssl_session_init(&fresh);
	if (mbedtls_ssl_get_session(&c->ssl, &fresh) != 0 ||
	    (name != NULL && (fresh_name = strdup(name)) == NULL)) {
		mbedtls_ssl_session_free(&fresh);
		return;
	}
	/*
	 * mbedTLS keeps the ticket it offered when a full handshake brought no
	 * new one (the server stopped issuing tickets or rejected ours). A
	 * client offering a ticket sends a random session ID, so that stale
	 * ticket would also defeat session-ID resumption: drop it.
	 */
	if (!c->resumed && cfg->have_saved && fresh.ticket != NULL &&
	    fresh.ticket_len == cfg->saved.ticket_len &&
	    memcmp(fresh.ticket, cfg->saved.ticket, fresh.ticket_len) == 0) {
		mbedtls_platform_zeroize(fresh.ticket, fresh.ticket_len);
		free(fresh.ticket);
		fresh.ticket = NULL;
		fresh.ticket_len = 0;
	}
	mbedtls_ssl_session_free(&cfg->saved);
	free(cfg->saved_name);
	cfg->saved = fresh; /* plain struct: ownership moves with it */
	cfg->saved_name = fresh_name;
	cfg->have_saved = true;
}

/* Queue close_notify if it is due and the output side is free. */
static int tls_close_reply(struct tls_conn *c)
{
	int ret;

	if (!c->close_reply_due || c->ssl.out_left != 0)
		return 0;
	c->close_reply_due = false;
	c->close_sent = true;
	ret = mbedtls_ssl_close_notify(&c->ssl);
	if (ret != 0 && ret != MBEDTLS_ERR_SSL_WANT_WRITE)
		return tls_fail(c, ret);
	return 0;
}

/*
 * Advance the handshake as far as input and output allow. Steps one at a
 * time so the resumption flag can be read before the final step frees the
 * handshake state. Returns 0 (done or waiting) or a negative errno.
 */
static int tls_handshake(struct tls_conn *c)
{
	mbedtls_ssl_context *ssl = &c->ssl;
	int ret = 0;

	while (ssl->state != MBEDTLS_SSL_HANDSHAKE_OVER) {
		if (ssl->handshake != NULL)
			c->resumed = ssl->handshake->resume != 0;
		ret = mbedtls_ssl_handshake_step(ssl);
		if (ret != 0)
			break;
	}
	if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
		return 0;
	if (ret != 0)
		return tls_fail(c, ret);
	c->state = TLS_STATE_ESTABLISHED;
	tls_save_session(c);
	return 0;
}

struct tls_conn *tls_conn_create(struct tls_config *cfg, const char *server_name)
{
	struct tls_conn *c;
	const char *name;
	int ret;

	if (cfg == NULL) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->cfg = cfg;
	c->state = TLS_STATE_HANDSHAKING;
	c->reason = "";
	mbedtls_ssl_init(&c->ssl);
	ret = mbedtls_ssl_setup(&c->ssl, &cfg->conf);
	if (ret != 0) {
		errno = ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ? ENOMEM : EINVAL;
		goto fail;
	}
	mbedtls_ssl_set_bio(&c->ssl, c, tls_bio_send, tls_bio_recv, NULL);
	if (cfg->role == TLS_CLIENT) {
		name = server_name != NULL ? server_name : cfg->server_name;
		if (name != NULL &&
		    (strlen(name) > TLS_SNI_MAX || mbedtls_ssl_set_hostname(&c->ssl, name) != 0)) {
			errno = strlen(name) > TLS_SNI_MAX ? EINVAL : ENOMEM;
			goto fail;
		}
		if (cfg->have_saved && ((name == NULL && cfg->saved_name == NULL) ||
					(name != NULL && cfg->saved_name != NULL &&
					 strcmp(name, cfg->saved_name) == 0)))
			(void)mbedtls_ssl_set_session(&c->ssl, &cfg->saved);
	}
	if (tls_handshake(c) < 0) {
		errno = -c->err;
		goto fail;
	}
	return c;

fail:
	mbedtls_ssl_free(&c->ssl);
	free(c);
	return NULL;
}

void tls_conn_destroy(struct tls_conn *c)
{
	if (c == NULL)
		return;
	mbedtls_ssl_free(&c->ssl);
	free(c->sni);
	free(c);
}

static bool tls_open_for_data(const struct tls_conn *c)
{
	return c->state == TLS_STATE_ESTABLISHED || c->state == TLS_STATE_CLOSING;
}

/* The connection's (negative) error if failed, else 0. */
static int tls_failed(const struct tls_conn *c)
{
	return c->state == TLS_STATE_FAILED ? c->err : 0;
}

ssize_t tls_conn_feed(struct tls_conn *c, const void *data, size_t len)
{
	unsigned char dummy;
	size_t before;
	int ret;

	if (tls_failed(c))
		return c->err;
	if (c->close_rcvd)
		return (ssize_t)len; /* nothing may follow close_notify */
	if (len == 0)
		return 0;
	c->in = data;
	c->in_len = len;
	c->in_used = 0;

	for (;;) {
		if (c->state == TLS_STATE_HANDSHAKING) {
			if (tls_handshake(c) < 0)
				break;
			if (c->state == TLS_STATE_HANDSHAKING)
				break; /* needs more input or output taken */
			continue;
		}
		if (!tls_open_for_data(c))
			break;
		if (mbedtls_ssl_get_bytes_avail(&c->ssl) > 0)
			break; /* plaintext pending: let the caller drain it */
		before = c->in_used;
		ret = mbedtls_ssl_read(&c->ssl, &dummy, 0);
		if (ret == 0)
			continue;
		if (ret == MBEDTLS_ERR_SSL_WANT_READ) {
			/* input used up, or a warning alert was skipped */
			if (c->in_used == c->in_len || c->in_used == before)
				break;
			continue;
		}
		if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
			break;
		if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			c->close_rcvd = true;
			c->state = TLS_STATE_CLOSED;
			c->close_reply_due = !c->close_sent;
			c->in_used = c->in_len;
			tls_close_reply(c);
			break;
		}
		tls_fail(c, ret);
		break;
	}
	c->in = NULL;
	if (tls_failed(c))
		return c->err;
	return (ssize_t)c->in_used;
}

size_t tls_conn_output(struct tls_conn *c, const uint8_t **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	if (c->ssl.out_left == 0)
		return 0;
	if (c->out_len != c->ssl.out_left) {
		/* mbedTLS queued without flushing: have it offer the bytes */
		c->out_credit = 0;
		if (mbedtls_ssl_flush_output(&c->ssl) == 0 || c->out_len != c->ssl.out_left)
			return 0;
	}
	*buf = c->out;
	*len = c->out_len;
	return c->out_len;
}

int tls_conn_output_consume(struct tls_conn *c, size_t n)
{
	int ret;

	assert(n <= c->ssl.out_left && n <= c->out_len);
	if (n == 0)
		return tls_failed(c);
	c->out_credit = n;
	ret = mbedtls_ssl_flush_output(&c->ssl);
	c->out_credit = 0;
	if (ret == 0) {
		c->out = NULL;
		c->out_len = 0;
	} else if (ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
		return tls_fail(c, ret);
	}
	if (tls_failed(c))
		return c->err;
	if (c->ssl.out_left != 0)
		return 0;
	if (c->state == TLS_STATE_HANDSHAKING)
		return tls_handshake(c);
	return tls_close_reply(c);
}

size_t tls_conn_peek(struct tls_conn *c, const uint8_t **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	if (c->state == TLS_STATE_HANDSHAKING || c->ssl.in_offt == NULL)
		return 0;
	*buf = c->ssl.in_offt;
	*len = c->ssl.in_msglen;
	return *len;
}

void tls_conn_peek_consume(struct tls_conn *c, size_t n)
{
	mbedtls_ssl_context *ssl = &c->ssl;

	if (n == 0)
		return;
	assert(ssl->in_offt != NULL && n <= ssl->in_msglen);
	/* What mbedtls_ssl_read() does after its memcpy (ssl_msg.c, 2.28). */
	ssl->in_msglen -= n;
	if (ssl->in_msglen == 0) {
		ssl->in_offt = NULL;
		ssl->keep_current_message = 0;
	} else {
		ssl->in_offt += n;
	}
}

ssize_t tls_conn_read(struct tls_conn *c, void *buf, size_t len)
{
	int ret;

	if (len == 0)
		return 0;
	if (c->state != TLS_STATE_HANDSHAKING && mbedtls_ssl_get_bytes_avail(&c->ssl) > 0) {
		if (len > INT_MAX)
			len = INT_MAX;
		ret = mbedtls_ssl_read(&c->ssl, buf, len);
		if (ret > 0)
			return ret;
		return tls_fail(c, ret);
	}
	if (tls_failed(c))
		return c->err;
	if (c->close_rcvd)
		return 0;
	return -EAGAIN;
}

ssize_t tls_conn_write(struct tls_conn *c, const void *data, size_t len)
{
	size_t n;
	int ret, max;

	if (tls_failed(c))
		return c->err;
	if (c->close_sent || c->close_rcvd)
		return -EPIPE;
	if (c->state != TLS_STATE_ESTABLISHED || c->ssl.out_left != 0)
		return -EAGAIN;
	if (len == 0)
		return 0;
	max = mbedtls_ssl_get_max_out_record_payload(&c->ssl);
	if (max <= 0)
		return tls_fail(c, max);
	n = len < (size_t)max ? len : (size_t)max;
	ret = mbedtls_ssl_write(&c->ssl, data, n);
	/* The send callback defers everything, so a written record shows up
	 * as WANT_WRITE with the record queued in out_left. */
	if (ret == MBEDTLS_ERR_SSL_WANT_WRITE && c->ssl.out_left != 0)
		return (ssize_t)n;
	if (ret > 0)
		return ret;
	return tls_fail(c, ret);
}

int tls_conn_close(struct tls_conn *c)
{
	int ret;

	if (tls_failed(c))
		return c->err;
	if (c->close_sent)
		return 0;
	if (c->state == TLS_STATE_HANDSHAKING)
		return -ENOTCONN;
	if (c->ssl.out_left != 0)
		return -EAGAIN;
	ret = mbedtls_ssl_close_notify(&c->ssl);
	if (ret != 0 && ret != MBEDTLS_ERR_SSL_WANT_WRITE)
		return tls_fail(c, ret);
	c->close_sent = true;
	c->close_reply_due = false;
	if (c->state == TLS_STATE_ESTABLISHED)
		c->state = TLS_STATE_CLOSING;
	return 0;
}

/* ---------------------------------------------------------- queries */

enum tls_state tls_conn_state(const struct tls_conn *c)
{
	return c->state;
}

int tls_conn_error(const struct tls_conn *c)
{
	return tls_failed(c);
}

const char *tls_conn_reason(const struct tls_conn *c)
{
	if (c->state == TLS_STATE_FAILED)
		return c->reason;
	if (c->cfg->role == TLS_CLIENT && c->cfg->verify != TLS_VERIFY_NONE &&
	    c->state != TLS_STATE_HANDSHAKING)
		return tls_verify_reason(mbedtls_ssl_get_verify_result(&c->ssl));
	return "";
}

int tls_conn_mbedtls_error(const struct tls_conn *c)
{
	return c->mbed_err;
}

bool tls_conn_peer_verified(const struct tls_conn *c)
{
	if (c->cfg->role != TLS_CLIENT || c->cfg->verify == TLS_VERIFY_NONE)
		return false;
	if (c->state == TLS_STATE_HANDSHAKING || c->state == TLS_STATE_FAILED)
		return false;
	return mbedtls_ssl_get_verify_result(&c->ssl) == 0;
}

const char *tls_conn_version(const struct tls_conn *c)
{
	if (c->state == TLS_STATE_HANDSHAKING)
		return "";
	return mbedtls_ssl_get_version(&c->ssl);
}

const char *tls_conn_ciphersuite(const struct tls_conn *c)
{
	const char *s;

	if (c->state == TLS_STATE_HANDSHAKING || c->ssl.session == NULL)
		return "";
	s = mbedtls_ssl_get_ciphersuite(&c->ssl);
	return s != NULL ? s : "";
}

bool tls_conn_resumed(const struct tls_conn *c)
{
	return c->state != TLS_STATE_HANDSHAKING && c->resumed;
}

const char *tls_conn_sni(const struct tls_conn *c)
{
	return c->sni != NULL ? c->sni : "";
}

/* Heap held by one parsed certificate chain (struct + DER copy + key). */
static size_t tls_crt_memory(const mbedtls_x509_crt *crt)
{
	size_t n = 0;

	for (; crt != NULL && crt->raw.p != NULL; crt = crt->next) {
		n += sizeof(*crt) + crt->raw.len;
		if (mbedtls_pk_get_type(&crt->pk) == MBEDTLS_PK_ECKEY ||
		    mbedtls_pk_get_type(&crt->pk) == MBEDTLS_PK_ECDSA)
			n += sizeof(mbedtls_ecp_keypair);
		else if (mbedtls_pk_get_type(&crt->pk) == MBEDTLS_PK_RSA)
			n += sizeof(mbedtls_rsa_context) + 2 * crt->raw.len / 4;
	}
	return n;
}

static size_t tls_session_memory(const mbedtls_ssl_session *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = sizeof(*s);
#if defined(MBEDTLS_SSL_KEEP_PEER_CERTIFICATE)
	n += tls_crt_memory(s->peer_cert);
#endif
#if defined(MBEDTLS_SSL_SESSION_TICKETS) && defined(MBEDTLS_SSL_CLI_C)
	n += s->ticket_len;
#endif
	return n;
}

size_t tls_conn_memory(const struct tls_conn *c)
{
	const mbedtls_ssl_context *ssl = &c->ssl;
	size_t n = sizeof(*c);

	if (ssl->in_buf != NULL)
		n += MBEDTLS_SSL_IN_BUFFER_LEN;
	if (ssl->out_buf != NULL)
		n += MBEDTLS_SSL_OUT_BUFFER_LEN;
	if (ssl->hostname != NULL)
		n += strlen(ssl->hostname) + 1;
	if (c->sni != NULL)
		n += strlen(c->sni) + 1;
	n += tls_session_memory(ssl->session);
	if (ssl->session_negotiate != ssl->session)
		n += tls_session_memory(ssl->session_negotiate);
	/* a transform owns two cipher contexts (GCM: AES key schedule and
	 * GHASH tables each) */
	if (ssl->transform != NULL)
		n += sizeof(mbedtls_ssl_transform) + 2 * sizeof(mbedtls_gcm_context);
	if (ssl->transform_negotiate != NULL && ssl->transform_negotiate != ssl->transform)
		n += sizeof(mbedtls_ssl_transform) + 2 * sizeof(mbedtls_gcm_context);
	if (ssl->handshake != NULL)
		n += sizeof(mbedtls_ssl_handshake_params);
	return n;
}
