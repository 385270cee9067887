/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test PKI generator (see testcerts.h): keys and certificates made in memory
 * with mbedTLS at test time. Nothing here is for production use: keys are
 * unencrypted, serials are small constants.
 */
#include "testcerts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>

#define TC_PEM_MAX 8192
#define TC_VALID_FROM "20200101000000"
#define TC_VALID_TO "20491231235959"
#define TC_EXPIRED_FROM "20100101000000"
#define TC_EXPIRED_TO "20110101000000"

struct tc_rng {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

static int tc_gen_ec(mbedtls_pk_context *pk, struct tc_rng *r)
{
	int ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));

	if (ret == 0)
		ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk),
					  mbedtls_ctr_drbg_random, &r->drbg);
	return ret;
}

static int tc_gen_rsa(mbedtls_pk_context *pk, struct tc_rng *r)
{
	int ret = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));

	if (ret == 0)
		ret = mbedtls_rsa_gen_key(mbedtls_pk_rsa(*pk), mbedtls_ctr_drbg_random, &r->drbg,
					  2048, 65537);
	return ret;
}

static char *tc_key_pem(mbedtls_pk_context *pk)
{
	char *buf = malloc(TC_PEM_MAX);

	if (buf == NULL)
		return NULL;
	if (mbedtls_pk_write_key_pem(pk, (unsigned char *)buf, TC_PEM_MAX) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * One certificate. `ca` makes a CA (basicConstraints CA:TRUE, keyCertSign);
 * otherwise a TLS server leaf with SAN dNSName = name.
 */
static char *tc_cert(mbedtls_pk_context *subject_key, const char *subject,
		     mbedtls_pk_context *issuer_key, const char *issuer, const char *name, bool ca,
		     int serial, const char *from, const char *to, struct tc_rng *r)
{
	mbedtls_x509write_cert w;
	mbedtls_mpi sn;
	unsigned char san[4 + 255];
	size_t nl = name ? strlen(name) : 0;
	char *buf = NULL;
	int ret;

	mbedtls_x509write_crt_init(&w);
	mbedtls_mpi_init(&sn);
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&w, subject_key);
	mbedtls_x509write_crt_set_issuer_key(&w, issuer_key);
	ret = mbedtls_x509write_crt_set_subject_name(&w, subject);
	if (!ret)
		ret = mbedtls_x509write_crt_set_issuer_name(&w, issuer);
	if (!ret)
		ret = mbedtls_mpi_lset(&sn, serial);
	if (!ret)
		ret = mbedtls_x509write_crt_set_serial(&w, &sn);
	if (!ret)
		ret = mbedtls_x509write_crt_set_validity(&w, from, to);
	if (!ret)
		ret = mbedtls_x509write_crt_set_basic_constraints(&w, ca, ca ? 1 : -1);
	if (!ret)
		ret = mbedtls_x509write_crt_set_subject_key_identifier(&w);
	if (!ret)
		ret = mbedtls_x509write_crt_set_authority_key_identifier(&w);
	if (!ret)
		ret = mbedtls_x509write_crt_set_key_usage(
			&w,
			ca ? MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN
			   : MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_ENCIPHERMENT);
	if (!ret && !ca) {
		/* GeneralNames ::= SEQUENCE { dNSName [2] IA5String } */
		if (nl == 0 || nl > 120) {
			ret = -1;
			goto out;
		}
		san[0] = 0x30;
		san[1] = (unsigned char)(nl + 2);
		san[2] = 0x82;
		san[3] = (unsigned char)nl;
		memcpy(san + 4, name, nl);
		ret = mbedtls_x509write_crt_set_extension(
			&w, MBEDTLS_OID_SUBJECT_ALT_NAME,
			MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, san, nl + 4);
	}
	if (ret)
		goto out;
	buf = malloc(TC_PEM_MAX);
	if (buf != NULL && mbedtls_x509write_crt_pem(&w, (unsigned char *)buf, TC_PEM_MAX,
						     mbedtls_ctr_drbg_random, &r->drbg) != 0) {
		free(buf);
		buf = NULL;
	}
out:
	mbedtls_mpi_free(&sn);
	mbedtls_x509write_crt_free(&w);
	return buf;
}

int testcerts_generate(struct testcerts *tc, const char *server_name, bool with_rsa)
{
	static const char ca_dn[] = "CN=smtpdlp test CA,O=smtpdlp tests";
	static const char other_dn[] = "CN=unrelated test CA,O=elsewhere";
	struct tc_rng r;
	mbedtls_pk_context ca, other, ec, rsa;
	char subject[300];
	int ret = -EIO;

	memset(tc, 0, sizeof(*tc));
	if (server_name == NULL || strlen(server_name) > 120)
		return -EINVAL;
	snprintf(subject, sizeof(subject), "CN=%s,O=smtpdlp tests", server_name);
	mbedtls_entropy_init(&r.entropy);
	mbedtls_ctr_drbg_init(&r.drbg);
	mbedtls_pk_init(&ca);
	mbedtls_pk_init(&other);
	mbedtls_pk_init(&ec);
	mbedtls_pk_init(&rsa);
	if (mbedtls_ctr_drbg_seed(&r.drbg, mbedtls_entropy_func, &r.entropy,
				  (const unsigned char *)"testcerts", 9) != 0)
		goto out;
	if (tc_gen_ec(&ca, &r) || tc_gen_ec(&other, &r) || tc_gen_ec(&ec, &r))
		goto out;
	if (with_rsa && tc_gen_rsa(&rsa, &r))
		goto out;
	ret = -ENOMEM;
	tc->ca_pem = tc_cert(&ca, ca_dn, &ca, ca_dn, NULL, true, 1, TC_VALID_FROM, TC_VALID_TO, &r);
	tc->other_ca_pem = tc_cert(&other, other_dn, &other, other_dn, NULL, true, 1, TC_VALID_FROM,
				   TC_VALID_TO, &r);
	tc->ec_cert_pem = tc_cert(&ec, subject, &ca, ca_dn, server_name, false, 2, TC_VALID_FROM,
				  TC_VALID_TO, &r);
	tc->ec_key_pem = tc_key_pem(&ec);
	tc->expired_cert_pem = tc_cert(&ec, subject, &ca, ca_dn, server_name, false, 3,
				       TC_EXPIRED_FROM, TC_EXPIRED_TO, &r);
	if (!tc->ca_pem || !tc->other_ca_pem || !tc->ec_cert_pem || !tc->ec_key_pem ||
	    !tc->expired_cert_pem)
		goto out;
	if (with_rsa) {
		tc->rsa_cert_pem = tc_cert(&rsa, subject, &ca, ca_dn, server_name, false, 4,
					   TC_VALID_FROM, TC_VALID_TO, &r);
		tc->rsa_key_pem = tc_key_pem(&rsa);
		if (!tc->rsa_cert_pem || !tc->rsa_key_pem)
			goto out;
	}
	ret = 0;
out:
	if (ret)
		testcerts_free(tc);
	mbedtls_pk_free(&ca);
	mbedtls_pk_free(&other);
	mbedtls_pk_free(&ec);
	mbedtls_pk_free(&rsa);
	mbedtls_ctr_drbg_free(&r.drbg);
	mbedtls_entropy_free(&r.entropy);
	return ret;
}

static int tc_write_one(const char *dir, const char *file, const char *pem, int mode)
{
	char path[4096];
	size_t len;
	int fd, ret = 0;

	if (pem == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	len = strlen(pem);
	if (write(fd, pem, len) != (ssize_t)len)
		ret = -EIO;
	if (close(fd) != 0 && ret == 0)
		ret = -errno;
	return ret;
}

int testcerts_write(const struct testcerts *tc, const char *dir)
{
	int ret;

	if ((ret = tc_write_one(dir, "ca.pem", tc->ca_pem, 0644)) ||
	    (ret = tc_write_one(dir, "other-ca.pem", tc->other_ca_pem, 0644)) ||
	    (ret = tc_write_one(dir, "server.pem", tc->ec_cert_pem, 0644)) ||
	    (ret = tc_write_one(dir, "server.key", tc->ec_key_pem, 0600)) ||
	    (ret = tc_write_one(dir, "expired.pem", tc->expired_cert_pem, 0644)) ||
	    (ret = tc_write_one(dir, "rsa.pem", tc->rsa_cert_pem, 0644)) ||
	    (ret = tc_write_one(dir, "rsa.key", tc->rsa_key_pem, 0600)))
		return ret;
	return 0;
}

static void tc_free_secret(char *s)
{
	if (s != NULL) {
		mbedtls_platform_zeroize(s, strlen(s));
		free(s);
	}
}

void testcerts_free(struct testcerts *tc)
{
	if (tc == NULL)
		return;
	free(tc->ca_pem);
	free(tc->other_ca_pem);
	free(tc->ec_cert_pem);
	tc_free_secret(tc->ec_key_pem);
	free(tc->expired_cert_pem);
	free(tc->rsa_cert_pem);
	tc_free_secret(tc->rsa_key_pem);
	memset(tc, 0, sizeof(*tc));
}
