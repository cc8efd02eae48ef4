#!/usr/bin/env bash
# Makes the certificates the TLS tests need, with the openssl CLI, into DIR:
#   ca.pem                 a test CA
#   server.pem/.key        a server certificate for 127.0.0.1 and localhost, signed by the CA
#   expired.pem/.key       the same, signed by the CA, but valid only in 2020
#   selfsigned.pem/.key    a self-signed certificate no one trusts
set -euo pipefail
dir=${1:?usage: make_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
san="subjectAltName=IP:127.0.0.1,DNS:localhost"

key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days 2 -subj "/CN=Herald Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null

key server.key
openssl req -new -key server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
printf '%s\n' "$san" > san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
  -extfile san.ext 2>/dev/null

# `openssl ca` is the one 3.0 command that takes explicit validity dates.
key expired.key
openssl req -new -key expired.key -out expired.csr -subj "/CN=localhost" 2>/dev/null
mkdir -p ca.db && : > ca.db/index.txt && echo 01 > ca.db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = test
[test]
dir = ca.db
database = ca.db/index.txt
serial = ca.db/serial
new_certs_dir = ca.db
default_md = sha256
policy = anything
copy_extensions = none
x509_extensions = ext
[anything]
commonName = supplied
[ext]
$san
CNF
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20200102000000Z -notext 2>/dev/null

key selfsigned.key
openssl req -x509 -new -key selfsigned.key -out selfsigned.pem -days 2 -subj "/CN=localhost" -addext "$san" 2>/dev/null
