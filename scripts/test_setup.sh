#!/usr/bin/env bash
# What the test suite needs besides the venv, made ready or named: PostgreSQL
# at TEST_DATABASE_URL and Redis at TEST_REDIS_URL, and the Debian tools the
# tests drive (Chromium for the browser tests, nginx, pgBackRest, promtool,
# docker-compose, Node and npm). `make test` and `.ci/run` both run it first.
#
# A service installed here but down is started; a missing tool is installed
# when running as root on Debian. Anything else stops at once with the one
# command that fixes it. With everything in place it only looks, in well
# under a second. TEST_SETUP=check only looks, and starts or installs nothing;
# TEST_SETUP_SERVICES=no leaves PostgreSQL and Redis out (the embedded layout's
# tests need neither).
set -euo pipefail

DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/hucares}
REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/1}
MODE=${TEST_SETUP:-prepare}
COMPOSE_UP="docker compose -f docker/compose.yml -f docker/compose.dev.yml up -d postgres redis"

fail() {
  printf 'test setup: %s\n  fix: %s\n' "$1" "$2" >&2
  exit 1
}

# host and port of a URL such as postgres://user@host:5432/db, with a default port.
host_of() { [[ $1 =~ ://([^@/]*@)?([^:/?]+) ]] && echo "${BASH_REMATCH[2]}"; }
port_of() { if [[ $1 =~ ://([^@/]*@)?[^:/?]+:([0-9]+) ]]; then echo "${BASH_REMATCH[2]}"; else echo "$2"; fi; }
listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
local_host() { [[ $1 == 127.0.0.1 || $1 == localhost ]]; }
# Listening is not yet ready: a starting PostgreSQL refuses queries for a moment.
pg_ready() {
  if command -v pg_isready >/dev/null 2>&1; then pg_isready -q -h "$pg_host" -p "$pg_port"; else listening "$pg_host" "$pg_port"; fi
}

pg_host=$(host_of "$DATABASE_URL" || true) pg_port=$(port_of "$DATABASE_URL" 5432)
redis_host=$(host_of "$REDIS_URL" || true) redis_port=$(port_of "$REDIS_URL" 6379)
[[ -n $pg_host && -n $redis_host ]] || fail "cannot read a host from $DATABASE_URL or $REDIS_URL" \
  "TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hucares TEST_REDIS_URL=redis://127.0.0.1:6379/1 make test"

# --- Debian tools: one list of the packages whose commands are missing. Node
# comes from elsewhere on some machines (nodesource), so nodejs and npm are
# asked for only when their commands are missing.
missing=()
for pair in chromium:chromium nginx:nginx pgbackrest:pgbackrest promtool:prometheus \
  docker-compose:docker-compose node:nodejs npm:npm; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin" command -v "${pair%%:*}" >/dev/null 2>&1 ||
    missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
  install="apt-get install -y --no-install-recommends ${missing[*]}"
  if [[ $MODE != check && $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "test setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $install -qq >/dev/null
  else
    fail "missing: ${missing[*]} (Debian packages)" "sudo $install"
  fi
fi

# --- PostgreSQL and Redis: started when they are this machine's and installed.
[[ ${TEST_SETUP_SERVICES:-yes} == no ]] && exit 0
if ! listening "$pg_host" "$pg_port"; then
  cluster=$( (ls /etc/postgresql 2>/dev/null || true) | sort -V | tail -n 1)
  if [[ $MODE == check || -z $cluster ]] || ! local_host "$pg_host" || [[ $pg_port != 5432 ]]; then
    fail "no PostgreSQL on $pg_host:$pg_port" "$COMPOSE_UP"
  elif [[ $(id -u) != 0 ]]; then
    fail "PostgreSQL $cluster is installed but down" "sudo pg_ctlcluster $cluster main start"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
fi
if ! listening "$redis_host" "$redis_port"; then
  if [[ $MODE == check ]] || ! command -v redis-server >/dev/null 2>&1 || ! local_host "$redis_host"; then
    fail "no Redis on $redis_host:$redis_port" "$COMPOSE_UP"
  fi
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >/dev/null
fi
# A service just started takes a moment to accept connections.
for _ in $(seq 1 60); do
  pg_ready && listening "$redis_host" "$redis_port" && exit 0
  sleep 0.5
done
fail "PostgreSQL or Redis did not come up within 30 s" "$COMPOSE_UP"
