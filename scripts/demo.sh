#!/usr/bin/env bash
# `make demo [ARGS=…]`: the demo agency `demo-data` ("Demo — dữ liệu mẫu"): a portal and two
# components with a year of traffic (250,000 events) seeded through the collector's pipeline
# by `emc-loadtest demo`, plus a goal and an annotation made by `emc-dashboard`. Once: a second
# run says the demo exists and does nothing. ARGS=--reseed seeds it again; ARGS=--remove
# deletes the agency, its sites and every row of theirs. Works on the `make up` setup: the
# ClickHouse of EMC_CLICKHOUSE_URL, else the managed server under EMC_DATA_DIR (./var).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bins
export EMC_DATA_DIR="${EMC_DATA_DIR:-$PWD/var}"
mkdir -p "$EMC_DATA_DIR"
if [ -z "${EMC_GEOIP_DB:-}" ]; then
  if geo=$(scripts/fetch-geo.sh 2>/dev/null); then export EMC_GEOIP_DB="$geo"; else echo "note: no geo database; country, province and city are empty" >&2; fi
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
target/release/emc-loadtest demo "$@" | tee "$out"
# Freshly seeded: a goal for the whole agency (file downloads) and an annotation on the
# portal's chart, made by the dashboard's own commands (as POST /api/v1/goals and
# /api/v1/annotations would).
if grep -q '^demo data seeded' "$out"; then
  target/release/emc-dashboard goal add --agency demo-data --name "Tải tài liệu (dữ liệu mẫu)" --event download
  target/release/emc-dashboard annotation add --site demo-data-001 --date "$(date -u -d '90 days ago' +%F)" \
    --text "Ra mắt giao diện mới (dữ liệu mẫu)"
fi
