#!/usr/bin/env bash
# The time-sensitive tests (marker `moment`: the default test clock and every multi-process
# test) at moments where a calendar bug would show: a Monday morning and afternoon (weekly
# digests), a Sunday night, New Year's Eve, the first of a month, a Russian public holiday.
# A test that would fail on one of these days fails CI every day. The servers (PostgreSQL,
# Redis) stay on real time; only the test clock and the bot processes it starts move.
set -euo pipefail
cd "$(dirname "$0")/.."
moments=(
  "2026-11-30T09:00:00+03:00"  # Monday 09:00, Moscow
  "2026-11-30T14:00:00+03:00"  # Monday 14:00
  "2026-11-29T23:30:00+03:00"  # Sunday 23:30
  "2026-12-31T23:50:00+03:00"  # 31 December 23:50
  "2027-03-01T00:10:00+03:00"  # the first day of a month, just after midnight
  "2026-11-04T12:00:00+03:00"  # 4 November, Unity Day (a public holiday)
)
# The multi-process tests (a minute each run) at one of them, a Monday morning (digests; they
# also ran at the suite's own moment above); the rest at every moment.
cluster_at=("2026-11-30T09:00:00+03:00")
for moment in "${moments[@]}"; do
  echo "== time-sensitive tests at $moment" >&2
  marks="moment and not cluster"
  [[ " ${cluster_at[*]} " == *" $moment "* ]] && marks="moment"
  KURATOR_TEST_NOW="$moment" python -m pytest -p no:cacheprovider -m "$marks" "$@"
done
