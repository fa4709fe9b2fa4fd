#!/usr/bin/env bash
# NGINX_ACCESS_LOG is "off" or "PATH hucares_json" (the redacted format).
# Render docker/nginx/templates/*.template into DIR the way the nginx image
# does (envsubst, file name without .template), with only the NGINX_*
# variables substituted so nginx's own $variables stay. Defaults suit
# `make serve`; the listen addresses, certificate directory and upstreams
# must be set. Usage: scripts/render_nginx.sh DIR
set -euo pipefail
out=${1:?usage: scripts/render_nginx.sh DIR}
cd "$(dirname "$0")/.."
: "${NGINX_HTTP_LISTEN:?}" "${NGINX_HTTPS_LISTEN:?}" "${NGINX_CERT_DIR:?}" "${NGINX_HTTP_UPSTREAM:?}" "${NGINX_WS_UPSTREAM:?}"
export NGINX_CONF_DIR=$out
export NGINX_RESOLVER=${NGINX_RESOLVER:-}
export NGINX_SERVER_NAME=${NGINX_SERVER_NAME:-_}
export NGINX_HTTPS_REDIRECT_PORT=${NGINX_HTTPS_REDIRECT_PORT:-}
export NGINX_ACCESS_LOG=${NGINX_ACCESS_LOG:-off}
export NGINX_ERROR_LOG=${NGINX_ERROR_LOG:-stderr}
export NGINX_MEDIA_ROOT=${NGINX_MEDIA_ROOT:-$PWD/media}
export NGINX_PROXY_READ_TIMEOUT=${NGINX_PROXY_READ_TIMEOUT:-60s}
export NGINX_WS_HANDSHAKE_RATE=${NGINX_WS_HANDSHAKE_RATE:-25}
export NGINX_WS_HANDSHAKE_QUEUE=${NGINX_WS_HANDSHAKE_QUEUE:-2000}
export NGINX_HSTS=${NGINX_HSTS:-max-age=31536000; includeSubDomains}
mkdir -p "$out"
for template in docker/nginx/templates/*.template; do
  names=$(grep -o '\${NGINX_[A-Z_]*}' "$template" | sort -u | tr '\n' ' ')
  name=$(basename "$template" .template)
  envsubst "$names" < "$template" > "$out/$name"
done
