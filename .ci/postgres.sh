#!/usr/bin/env bash
# Start a local PostgreSQL from Debian's packages for the second test pass; print its URL.
# Exits non-zero (and prints nothing on stdout) when no server can be had on this machine.
set -uo pipefail
log() { echo "ci/postgres: $*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { log "not root: cannot install postgresql"; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends postgresql >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends postgresql >/dev/null 2>&1; } \
    || { log "apt-get install postgresql failed"; exit 1; }
fi
[ "$(id -u)" = 0 ] || { log "not root: cannot start the cluster"; exit 1; }
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >/dev/null 2>&1 || { log "pg_createcluster failed"; exit 1; }
fi
pg_ctlcluster "$version" main start >/dev/null 2>&1 || pg_lsclusters -h | grep -q "online" \
  || { log "the cluster did not start"; exit 1; }
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')
psql_() { su postgres -c "psql -p $port -qAtc \"$1\"" 2>/dev/null; }
for _ in $(seq 30); do psql_ "select 1" >/dev/null && break; sleep 1; done
[ "$(psql_ "select 1 from pg_roles where rolname = 'kurator'")" = 1 ] \
  || psql_ "create role kurator login password 'kurator' createdb" >/dev/null \
  || { log "cannot create the role"; exit 1; }
# Dropping a test database WITH (FORCE) may have to end an autovacuum worker on it.
psql_ "grant pg_signal_backend to kurator" >/dev/null || log "cannot grant pg_signal_backend"
[ "$(psql_ "select 1 from pg_database where datname = 'kurator_test'")" = 1 ] \
  || psql_ "create database kurator_test owner kurator" >/dev/null \
  || { log "cannot create the database"; exit 1; }
echo "postgresql+asyncpg://kurator:kurator@127.0.0.1:$port/kurator_test"
