#!/usr/bin/env bash
# Install PostgreSQL and Redis servers from Debian's packages (the scale-out tests start
# private instances of both; the PostgreSQL pass uses the packaged cluster).
set -uo pipefail
log() { echo "ci/packages: $*" >&2; }
want=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || want+=(postgresql)
command -v redis-server >/dev/null 2>&1 || want+=(redis-server)
[ ${#want[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || { log "not root: cannot install ${want[*]}"; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${want[@]}" >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null 2>&1 \
       && apt-get install -y -q --no-install-recommends "${want[@]}" >/dev/null 2>&1; } \
  || { log "apt-get install ${want[*]} failed"; exit 1; }
