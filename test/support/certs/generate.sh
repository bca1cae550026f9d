#!/usr/bin/env bash
# Regenerates every test certificate in this directory. Run from anywhere:
#   bash test/support/certs/generate.sh
# Test-only material: these private keys are public and must never protect anything real.
set -euo pipefail
cd "$(dirname "$0")"
DAYS=36500
KEY="openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The trusted test CA.
$KEY ca.key
openssl req -x509 -new -key ca.key -sha256 -days $DAYS -subj "/CN=impmqtt test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.crt

# 2. Server certificate for 127.0.0.1 and localhost, signed by the CA.
cat > "$work/server.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EXT
$KEY server.key
openssl req -new -key server.key -subj "/CN=localhost" -out "$work/server.csr"
openssl x509 -req -in "$work/server.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days $DAYS \
  -extfile "$work/server.ext" -out server.crt

# 3. Client certificate (for mutual TLS), signed by the CA.
cat > "$work/client.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
EXT
$KEY client.key
openssl req -new -key client.key -subj "/CN=impmqtt-test-client" -out "$work/client.csr"
openssl x509 -req -in "$work/client.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days $DAYS \
  -extfile "$work/client.ext" -out client.crt

# 4. A second, untrusted CA and a server certificate it signed (same names as the good one).
$KEY untrusted-ca.key
openssl req -x509 -new -key untrusted-ca.key -sha256 -days $DAYS -subj "/CN=impmqtt UNTRUSTED test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out untrusted-ca.crt
$KEY untrusted-server.key
openssl req -new -key untrusted-server.key -subj "/CN=localhost" -out "$work/untrusted-server.csr"
openssl x509 -req -in "$work/untrusted-server.csr" -CA untrusted-ca.crt -CAkey untrusted-ca.key -CAcreateserial \
  -sha256 -days $DAYS -extfile "$work/server.ext" -out untrusted-server.crt

# 5. Signed by the trusted CA but for the wrong host (no 127.0.0.1 / localhost names).
cat > "$work/wrong-host.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:wrong-host.invalid
EXT
$KEY wrong-host-server.key
openssl req -new -key wrong-host-server.key -subj "/CN=wrong-host.invalid" -out "$work/wrong-host.csr"
openssl x509 -req -in "$work/wrong-host.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days $DAYS \
  -extfile "$work/wrong-host.ext" -out wrong-host-server.crt

# 6. Signed by the trusted CA, right names, but expired (valid 2000-01-01 .. 2001-01-01).
#    `openssl x509 -req` (OpenSSL 3.0) cannot back-date, so this one goes through `openssl ca`.
mkdir -p "$work/ca-db"
touch "$work/ca-db/index.txt"
cat > "$work/ca.cnf" <<CNF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $work/ca-db/index.txt
new_certs_dir = $work/ca-db
serial = $work/ca-db/serial
default_md = sha256
policy = anything
copy_extensions = none
x509_extensions = server_ext
unique_subject = no
[ anything ]
commonName = supplied
[ server_ext ]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
CNF
echo 1000 > "$work/ca-db/serial"
$KEY expired-server.key
openssl req -new -key expired-server.key -subj "/CN=localhost" -out "$work/expired.csr"
openssl ca -batch -config "$work/ca.cnf" -cert ca.crt -keyfile ca.key -in "$work/expired.csr" \
  -startdate 20000101000000Z -enddate 20010101000000Z -notext -out expired-server.crt

rm -f ca.srl untrusted-ca.srl
# World-readable on purpose: the broker under test may run as a different user than the checkout's.
chmod 644 ./*.key ./*.crt
