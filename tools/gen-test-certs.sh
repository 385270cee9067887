#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# gen-test-certs.sh: a throw-away PKI for the lab, made with the openssl CLI.
# Writes into OUTDIR (created, mode 0700):
#   ca.pem / ca.key          ECDSA P-256 test CA (CA:TRUE, keyCertSign)
#   server.pem / server.key  ECDSA P-256 server certificate signed by the CA,
#                            CN and subjectAltName DNS = each NAME given
#                            (first one is the CN), serverAuth EKU
#   chain.pem                server.pem followed by ca.pem
# Point smtpdlp's tls.certificate at server.pem (or chain.pem) and tls.key at
# server.key; give ca.pem to peers (swaks --tls-ca-path, Postfix
# smtp_tls_CAfile, smtp.upstream.ca_file). Keys never belong in git: the
# unit tests make their own in memory (tests/unit/app/testcerts.c).
#
# Usage: tools/gen-test-certs.sh OUTDIR [NAME...]
#        (default NAME: mx.smtpdlp.test; DAYS env var, default 825)
set -eu

if [ $# -lt 1 ]; then
	echo "usage: $0 OUTDIR [NAME...]" >&2
	exit 2
fi
out=$1
shift
[ $# -gt 0 ] || set -- mx.smtpdlp.test
days=${DAYS:-825}
cn=$1

san=""
for n in "$@"; do
	san="${san:+$san,}DNS:$n"
done

umask 077
mkdir -p "$out"
chmod 700 "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

openssl ecparam -name prime256v1 -genkey -noout -out "$out/ca.key"
openssl req -new -x509 -sha256 -days "$days" -key "$out/ca.key" \
	-subj "/O=smtpdlp lab/CN=smtpdlp lab CA" \
	-addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" \
	-out "$out/ca.pem"

openssl ecparam -name prime256v1 -genkey -noout -out "$out/server.key"
openssl req -new -sha256 -key "$out/server.key" \
	-subj "/O=smtpdlp lab/CN=$cn" -out "$tmp/server.csr"
cat > "$tmp/ext.cnf" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$san
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EOF
openssl x509 -req -sha256 -days "$days" -in "$tmp/server.csr" \
	-CA "$out/ca.pem" -CAkey "$out/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
	-extfile "$tmp/ext.cnf" -out "$out/server.pem" 2>/dev/null

cat "$out/server.pem" "$out/ca.pem" > "$out/chain.pem"
chmod 600 "$out/ca.key" "$out/server.key"
chmod 644 "$out/ca.pem" "$out/server.pem" "$out/chain.pem"
openssl verify -CAfile "$out/ca.pem" "$out/server.pem" >/dev/null
echo "$out: ca.pem server.pem server.key chain.pem for $san"
