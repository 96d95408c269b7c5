#!/usr/bin/env bash
# `make up`: installs what is missing, builds release binaries, starts a local ClickHouse
# (data under var/clickhouse), the collector (which applies migrations) and the dashboard,
# creates the admin user and a demo site, serves a demo homepage for it, starts the scanner
# (which scans the demo site at once, then daily), and prints where to look.
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

# The analyst of the demo agency, subscribed to reports and alerts: same password scheme.
analyst_pw_file="$EMC_DATA_DIR/analyst-password"
if [ ! -s "$analyst_pw_file" ]; then
  (umask 077; head -c 18 /dev/urandom | base64 | tr '+/' 'xy' > "$analyst_pw_file")
fi
ANALYST_PASSWORD=$(cat "$analyst_pw_file")

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

# Mail: without EMC_SMTP_URL, a local SMTP server (aiosmtpd) keeps every message in a Maildir
# under $EMC_DATA_DIR/mail, so alerts and reports can be read without a real mail server.
if [ -z "${EMC_SMTP_URL:-}" ]; then
  smtp_port="${EMC_LOCAL_SMTP_PORT:-2525}"
  mkdir -p "$EMC_DATA_DIR/mail"
  /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$EMC_DATA_DIR/mail/Maildir" \
    >"$EMC_DATA_DIR/smtp.log" 2>&1 &
  pids+=($!)
  export EMC_SMTP_URL="smtp://127.0.0.1:$smtp_port"
  mail_note="kept in $EMC_DATA_DIR/mail/Maildir/new (a local SMTP server; set EMC_SMTP_URL for a real one)"
else
  mail_note="sent through EMC_SMTP_URL"
fi
export EMC_MAIL_FROM="${EMC_MAIL_FROM:-EMC <emc@localhost>}"
export EMC_DASHBOARD_PUBLIC_URL="${EMC_DASHBOARD_PUBLIC_URL:-http://$EMC_DASHBOARD_ADDR}"

"$bin/emc-dashboard" serve >"$EMC_DATA_DIR/dashboard.log" 2>&1 &
pids+=($!)
dash_pid=$!
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "http://$EMC_DASHBOARD_ADDR/login" 2>/dev/null && break
  kill -0 "$dash_pid" 2>/dev/null || { echo "the dashboard exited; see $EMC_DATA_DIR/dashboard.log" >&2; tail -20 "$EMC_DATA_DIR/dashboard.log" >&2; exit 1; }
  sleep 0.5
done
# The demo analyst (agency `demo`, email analyst@demo.gov.vn) subscribed to the weekly and
# monthly reports and to every alert; on the first run, last month's report is sent at once.
api="http://$EMC_DASHBOARD_ADDR/api/v1"
token=$(curl -fsS -H 'content-type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$EMC_ADMIN_PASSWORD\"}" "$api/login" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
if curl -fsS -o /dev/null -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d "{\"username\":\"analyst\",\"password\":\"$ANALYST_PASSWORD\",\"role\":\"analyst\",\"agencies\":[\"demo\"],\"email\":\"analyst@demo.gov.vn\"}" \
  "$api/users" 2>/dev/null; then
  curl -fsS -o /dev/null -X PUT -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"alerts":["silent","down","tls_expiry","broken_tag","traffic_drop","traffic_spike","compliance"],"reports":["weekly","monthly"],"webhook":null}' \
    "$api/users/analyst/subscriptions"
  "$bin/emc-dashboard" report send --agency demo --month "$(date -d 'last month' +%Y-%m)" >>"$EMC_DATA_DIR/dashboard.log" 2>&1 &
fi
# The demo site's homepage (tag, label, Dublin Core, footer), served on 127.0.0.1 and reached
# by the scanner under demo.gov.vn through EMC_SCANNER_CONNECT_TO (port 443 goes nowhere: the
# demo has no HTTPS, and the scanner says so). Its tag carries data-allow-local, since the tag
# counts nothing on localhost otherwise: opened at http://localhost:PORT/ (localhost is one of
# the demo site's domains) it records a visit, and the scanner's tag_fires passes for both
# domains.
demo_port="${EMC_DEMO_PORT:-8090}"
demo_dir="$EMC_DATA_DIR/demo-site"
mkdir -p "$demo_dir"
sed "s|{{CODE}}|$code|g; s|{{COLLECTOR}}|$EMC_COLLECTOR_PUBLIC_URL|g" scripts/demo-site.html >"$demo_dir/index.html"
printf 'User-agent: *\nAllow: /\n' >"$demo_dir/robots.txt"
python3 -m http.server "$demo_port" --bind 127.0.0.1 --directory "$demo_dir" >"$EMC_DATA_DIR/demo-site.log" 2>&1 &
pids+=($!)
export EMC_SCANNER_CONNECT_TO="${EMC_SCANNER_CONNECT_TO:-demo.gov.vn:80:127.0.0.1:$demo_port,demo.gov.vn:443:127.0.0.1:9,localhost:80:127.0.0.1:$demo_port,localhost:443:127.0.0.1:9}"
EMC_SCANNER_SCAN_AT_START=true "$bin/emc-scanner" serve >"$EMC_DATA_DIR/scanner.log" 2>&1 &
pids+=($!)

if "$bin/emc-dashboard" agency list | grep -q '^demo-data '; then
  demo_note="agency demo-data (a year of sample traffic) is loaded; remove it: make demo ARGS=--remove"
else
  demo_note="none; add a year of sample traffic (agency demo-data): make demo"
fi
ch_port=$(sed -n 's/.*"http":\([0-9]*\).*/\1/p' "$EMC_DATA_DIR/clickhouse/server.json" 2>/dev/null || true)

cat <<MSG

EMC is running.
  dashboard:   http://$EMC_DASHBOARD_ADDR/   login: admin / $EMC_ADMIN_PASSWORD
  collector:   http://$EMC_COLLECTOR_ADDR/   (/healthz, /readyz, /metrics, /tracker.js)
  clickhouse:  http://127.0.0.1:${ch_port:-?}/  database emc, data in $EMC_DATA_DIR/clickhouse
  demo site:   code $code (demo.gov.vn, localhost), homepage http://localhost:$demo_port/
               (open it: your visit shows on http://$EMC_DASHBOARD_ADDR/sites/$code)
  scanner:     scans the demo site now, then every day; http://$EMC_DASHBOARD_ADDR/sites/$code/scan
  tag snippet: <script defer data-site="$code" data-allow-local src="$EMC_COLLECTOR_PUBLIC_URL/tracker.js"></script>
  analyst:     analyst / $ANALYST_PASSWORD (agency demo; subscribed to the weekly and monthly
               reports and to every alert: http://$EMC_DASHBOARD_ADDR/users/analyst)
  mail:        $mail_note
               alerts every ${EMC_ALERT_EVAL_SECS:-300} s; the demo site is "silent" once it has sent
               nothing for EMC_SILENCE_SECS (${EMC_SILENCE_SECS:-86400} s): try EMC_SILENCE_SECS=120 make up
  demo data:   $demo_note
  registry:    $bin/emc-dashboard site list
  logs:        $EMC_DATA_DIR/*.log
Ctrl-C stops everything.
MSG
wait "${pids[0]}"
