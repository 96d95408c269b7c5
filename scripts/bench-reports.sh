#!/usr/bin/env bash
# `make bench-reports`: the reports at national scale on this machine. Builds release
# binaries, then `emc-loadtest bench-reports` seeds 100 M events over a year for 1,000 sites
# (a base through the collector's pipeline, multiplied inside ClickHouse; see README,
# "make bench-reports") unless the database already holds that seed, times every report,
# the site page, the overview, the ranking, fleet compliance and the open-data files over
# HTTP against `emc-dashboard serve`, prints a table and writes target/bench/reports.json.
# ClickHouse: EMC_CLICKHOUSE_URL when set, else one started under target/bench/reports-var
# on free ports (its data kept for the next run) and stopped at the end. Extra arguments go
# to `emc-loadtest bench-reports` (see its --help), e.g. --events 1000000 --sites 100.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --runtime
cargo build --release --bins
if [ -z "${EMC_GEOIP_DB:-}" ]; then
  if geo=$(scripts/fetch-geo.sh 2>/dev/null); then export EMC_GEOIP_DB="$geo"; else echo "note: no geo database; country, province and city are empty" >&2; fi
fi
exec target/release/emc-loadtest bench-reports --out target/bench "$@"
