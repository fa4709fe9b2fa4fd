#!/usr/bin/env bash
# Make a local certificate authority and a server certificate signed by it,
# for `make serve` with TLS and for the tests. Usage:
#   scripts/tls_selfsigned.sh DIR [NAME ...]
# DIR gets ca.pem (trust this one in clients: curl --cacert DIR/ca.pem),
# fullchain.pem, privkey.pem and chain.pem: the file names nginx's template
# reads, the same as certbot's. NAMEs default to localhost 127.0.0.1 ::1.
# Existing files are kept until 30 days before the certificate expires.
set -euo pipefail
dir=${1:?usage: scripts/tls_selfsigned.sh DIR [NAME ...]}
shift || true
names=("$@")
((${#names[@]})) || names=(localhost 127.0.0.1 ::1)
mkdir -p "$dir"
if [[ -s $dir/fullchain.pem ]] && openssl x509 -checkend $((30 * 86400)) -noout -in "$dir/fullchain.pem" >/dev/null; then
  exit 0
fi
umask 077
san=""
for name in "${names[@]}"; do
  if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then san+="IP:$name,"; else san+="DNS:$name,"; fi
done
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
  -subj "/CN=HuCares local CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/CN=${names[0]}" -keyout "$dir/privkey.pem" -out "$dir/server.csr" 2>/dev/null
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 90 \
  -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' "${san%,}") \
  -out "$dir/fullchain.pem" 2>/dev/null
cp "$dir/ca.pem" "$dir/chain.pem"
rm -f "$dir/server.csr" "$dir/ca.srl"
chmod 644 "$dir/ca.pem" "$dir/chain.pem" "$dir/fullchain.pem"
