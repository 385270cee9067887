/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test PKI generated at test time with mbedTLS's x509write API, so no key
 * or certificate is ever committed. One call makes a CA, an unrelated CA,
 * ECDSA P-256 server certificates (valid and expired) with the server name
 * as CN and subjectAltName dNSName, and optionally an RSA-2048 one.
 * Validity periods are fixed dates (2020..2049 for valid certificates,
 * 2010..2011 for the expired one) so nothing depends on the clock.
 * Used by the TLS and SMTP suites and by tools/smtpdlp-bench-tls.
 */
#ifndef SMTPDLP_TESTS_TESTCERTS_H
#define SMTPDLP_TESTS_TESTCERTS_H

#include <stdbool.h>

struct testcerts {
	char *ca_pem;		/* trust anchor that signed the server certs */
	char *other_ca_pem;	/* an unrelated CA, for "wrong CA" tests */
	char *ec_cert_pem;	/* ECDSA P-256 leaf for server_name */
	char *ec_key_pem;	/* its private key (PEM, unencrypted) */
	char *expired_cert_pem; /* same key and name, expired in 2011 */
	char *rsa_cert_pem;	/* RSA-2048 leaf (NULL unless with_rsa) */
	char *rsa_key_pem;
};

/*
 * Fill *tc with NUL-terminated PEM strings (owned by tc; free with
 * testcerts_free). `server_name` is the leaf CN and SAN dNSName.
 * RSA key generation costs about a second, hence the flag.
 * Returns 0 or a negative errno (-ENOMEM, -EIO on an mbedTLS failure).
 */
int testcerts_generate(struct testcerts *tc, const char *server_name, bool with_rsa);

/*
 * Write ca.pem, other-ca.pem, server.pem, server.key, expired.pem (and
 * rsa.pem, rsa.key) into the existing directory `dir`; keys mode 0600.
 * Returns 0 or a negative errno.
 */
int testcerts_write(const struct testcerts *tc, const char *dir);

/* Free the strings (keys are wiped first); NULL members are fine. */
void testcerts_free(struct testcerts *tc);

#endif /* SMTPDLP_TESTS_TESTCERTS_H */
