#!/usr/bin/env bash
# Install from Debian's packages what the tests need beyond Python: PostgreSQL and Redis
# servers (the scale-out tests start private instances; the PostgreSQL pass uses the packaged
# cluster) and Chromium with its driver (the dashboard's browser tests; Playwright drives the
# system browser, nothing is downloaded) and Prometheus for `promtool` (the alert rules'
# checks, tests/unit/test_monitoring.py). A package that cannot be installed makes its tests
# skip with the reason printed.
set -uo pipefail
log() { echo "ci/packages: $*" >&2; }
want=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || want+=(postgresql)
command -v redis-server >/dev/null 2>&1 || want+=(redis-server)
command -v chromium >/dev/null 2>&1 || want+=(chromium chromium-driver)
command -v promtool >/dev/null 2>&1 || want+=(prometheus)
[ ${#want[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || { log "not root: cannot install ${want[*]}"; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${want[@]}" >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null 2>&1 \
       && apt-get install -y -q --no-install-recommends "${want[@]}" >/dev/null 2>&1; } \
  || { log "apt-get install ${want[*]} failed"; exit 1; }
