#!/usr/bin/env bash
# `make up`: installs what is missing, builds release binaries, starts a local ClickHouse
# (data under var/clickhouse), the collector (which applies migrations) and the dashboard,
# creates the admin user and a demo site, and prints where to look.
# Foreground; Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --runtime
cargo build --release --bins

export EMC_DATA_DIR="${EMC_DATA_DIR:-$PWD/var}"
export EMC_COLLECTOR_ADDR="${EMC_COLLECTOR_ADDR:-127.0.0.1:8080}"
export EMC_DASHBOARD_ADDR="${EMC_DASHBOARD_ADDR:-127.0.0.1:3000}"
export EMC_COLLECTOR_PUBLIC_URL="${EMC_COLLECTOR_PUBLIC_URL:-http://$EMC_COLLECTOR_ADDR}"
mkdir -p "$EMC_DATA_DIR"
if [ -z "${EMC_GEOIP_DB:-}" ]; then
  if geo=$(scripts/fetch-geo.sh); then export EMC_GEOIP_DB="$geo"; else echo "warning: no geo database; geo columns stay empty" >&2; fi
fi

# The admin password: EMC_ADMIN_PASSWORD, else one generated on the first run and kept
# (mode 0600) in $EMC_DATA_DIR/admin-password so every later run prints the same login.
if [ -z "${EMC_ADMIN_PASSWORD:-}" ]; then
  pw_file="$EMC_DATA_DIR/admin-password"
  if [ ! -s "$pw_file" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr '+/' 'xy' > "$pw_file")
  fi
  EMC_ADMIN_PASSWORD=$(cat "$pw_file")
  export EMC_ADMIN_PASSWORD
fi

bin=target/release
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$bin/emc-collector" serve >"$EMC_DATA_DIR/collector.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  curl -fsS "http://$EMC_COLLECTOR_ADDR/readyz" >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "the collector exited; see $EMC_DATA_DIR/collector.log" >&2; tail -20 "$EMC_DATA_DIR/collector.log" >&2; exit 1; }
  sleep 0.5
done

if ! "$bin/emc-dashboard" site list | grep -q "demo.gov.vn"; then
  "$bin/emc-dashboard" agency add --id demo --name "Cơ quan demo" --group other >/dev/null 2>&1 || true
  "$bin/emc-dashboard" site add --name "Cổng thông tin demo" --domain demo.gov.vn --domain localhost --kind portal --agency demo >/dev/null
fi
code=$("$bin/emc-dashboard" site list | awk '/demo.gov.vn/ {print $1}')

"$bin/emc-dashboard" serve >"$EMC_DATA_DIR/dashboard.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "http://$EMC_DASHBOARD_ADDR/login" 2>/dev/null && break
  kill -0 "${pids[1]}" 2>/dev/null || { echo "the dashboard exited; see $EMC_DATA_DIR/dashboard.log" >&2; tail -20 "$EMC_DATA_DIR/dashboard.log" >&2; exit 1; }
  sleep 0.5
done
ch_port=$(sed -n 's/.*"http":\([0-9]*\).*/\1/p' "$EMC_DATA_DIR/clickhouse/server.json" 2>/dev/null || true)

cat <<MSG

EMC is running.
  dashboard:   http://$EMC_DASHBOARD_ADDR/   login: admin / $EMC_ADMIN_PASSWORD
  collector:   http://$EMC_COLLECTOR_ADDR/   (/healthz, /readyz, /metrics, /tracker.js)
  clickhouse:  http://127.0.0.1:${ch_port:-?}/  database emc, data in $EMC_DATA_DIR/clickhouse
  demo site:   code $code (demo.gov.vn, localhost)
  tag snippet: <script defer data-site="$code" data-allow-local src="$EMC_COLLECTOR_PUBLIC_URL/tracker.js"></script>
  registry:    $bin/emc-dashboard site list
  logs:        $EMC_DATA_DIR/*.log
Ctrl-C stops everything.
MSG
wait "${pids[0]}"
