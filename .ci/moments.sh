#!/usr/bin/env bash
# The time-sensitive tests (marker `moment`: the default test clock and every multi-process
# test) at moments where a calendar bug would show: a Monday morning and afternoon (weekly
# digests), a Sunday night, New Year's Eve, the first of a month, a Russian public holiday.
# A test that would fail on one of these days fails CI every day. The servers (PostgreSQL,
# Redis) stay on real time; only the test clock and the bot processes it starts move.
# One session runs every test at every moment (KURATOR_TEST_MOMENTS parametrises them, see
# tests/moment.py), so the workers stay busy; the multi-process tests (a minute each, and
# already run in the main pass) run at the first moment only, a Monday morning.
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
echo "== time-sensitive tests at ${moments[*]}" >&2
KURATOR_TEST_MOMENTS="$(IFS=,; echo "${moments[*]}")" \
  python -m pytest -p no:cacheprovider -m moment "$@"
