#!/usr/bin/env bash
# `make bench`: the collector's capacity on this machine, in one run. Builds release
# binaries, then `emc-loadtest bench` measures the bare-HTTP baseline's maximum, the
# collector's maximum with ClickHouse on the same machine, their ratio, the collector's
# latency at half its maximum, landed versus accepted, and memory per open session; it
# prints a table and writes target/bench/*.json.
# ClickHouse: EMC_CLICKHOUSE_URL when set (a running stack), else one started under
# target/bench/var on free ports and stopped at the end. The bench writes to its own
# database (EMC_BENCH_DB, default emc_bench), created afresh each run. Extra arguments go to
# `emc-loadtest bench` (see its --help), e.g. --sessions 200000 for a shorter run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --runtime
cargo build --release --bins
# Thousands of connections need open files, in the collector as in the generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ -z "${EMC_GEOIP_DB:-}" ]; then
  if geo=$(scripts/fetch-geo.sh 2>/dev/null); then export EMC_GEOIP_DB="$geo"; else echo "note: no geo database; the collector runs without geo lookups" >&2; fi
fi
exec target/release/emc-loadtest bench --out target/bench "$@"
