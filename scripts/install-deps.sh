#!/usr/bin/env bash
# Installs what EMC needs and is missing: ClickHouse (Debian's clickhouse-server, 18.16),
# ZooKeeper and HAProxy for the cluster tests, Chromium and its driver for browser tests, chdb-core (ClickHouse 26.9 as a Python
# module) to check our SQL on a current engine, openapi-spec-validator and schemathesis to check
# the API against its OpenAPI description, and the tag's npm tooling.
# Chromium and axe-core are also runtime dependencies (the scanner)
# Usage: scripts/install-deps.sh [--runtime]   (--runtime: only what `make up` needs)
set -euo pipefail
cd "$(dirname "$0")/.."
runtime_only=false
[ "${1:-}" = "--runtime" ] && runtime_only=true

sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)

apt_missing=()
if [ -z "${EMC_CLICKHOUSE_URL:-}" ] && [ ! -x /usr/sbin/clickhouse-server ]; then
  apt_missing+=(clickhouse-server clickhouse-client)
fi
# Chromium also at runtime: the dashboard prints its reports to PDF with it (issue 12), and
# emc-scanner's browser checks load pages in it (issue 11).
command -v chromium >/dev/null 2>&1 || apt_missing+=(chromium)
if ! $runtime_only; then
  command -v chromedriver >/dev/null 2>&1 || apt_missing+=(chromium-driver)
fi
# The cluster tests (tests/tests/it/cluster/): a real ZooKeeper (Debian's `zookeeper`, run
# by emc-sql as `java … QuorumPeerMain zoo.cfg`; its Java comes with it) for the 2 × 2
# ClickHouse cluster. Not needed by `make up`.
if ! $runtime_only; then
  [ -e /usr/share/java/zookeeper.jar ] || apt_missing+=(zookeeper)
fi
# HAProxy (Debian's `haproxy`, 2.6): tests/tests/it/haproxy.rs runs deploy/haproxy/haproxy.cfg
# in front of two collectors. Not needed by `make up`.
if ! $runtime_only; then
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || apt_missing+=(haproxy)
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  echo "installing from Debian: ${apt_missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

if ! $runtime_only; then
  # The first start of a freshly installed Chromium does its one-time work (cold disk,
  # first-run state under $HOME) here, not inside a browser test, and a Chromium that
  # cannot start at all fails the install with its own words.
  chromium_started=$(date +%s)
  profile=$(mktemp -d)
  if ! out=$(timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
      --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
      --dump-dom 'data:text/html,<p>ok</p>' 2>&1) || [[ "$out" != *"<p>ok</p>"* ]]; then
    rm -rf "$profile"
    echo "chromium did not start: $out" >&2
    exit 1
  fi
  rm -rf "$profile"
  echo "chromium started once in $(( $(date +%s) - chromium_started )) s"
fi

# emc-scanner's npm tools (scanner/js): axe-core, injected into pages by the a11y check (runtime);
# Lighthouse 12.2.3, which the scanner's browser test compares lab FCP/LCP with (tests only).
if $runtime_only; then
  if [ ! -f scanner/js/node_modules/axe-core/axe.min.js ]; then
    echo "installing axe-core for the scanner (npm ci --omit=dev)"
    (cd scanner/js && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
  fi
elif [ ! -f scanner/js/node_modules/lighthouse/package.json ]; then
  echo "installing axe-core and Lighthouse for the scanner (npm ci)"
  (cd scanner/js && npm ci --no-audit --no-fund --loglevel=error)
fi

if ! $runtime_only; then
  if ! python3 -c "import chdb" >/dev/null 2>&1; then
    echo "installing chdb-core (ClickHouse 26.9 engine) from PyPI"
    python3 -m pip install -q "chdb-core==26.9.*" 2>/dev/null || python3 -m pip install -q chdb-core
  fi
  # The API's machine check (dashboard/tests/it/openapi.rs): openapi-spec-validator validates
  # the served /api/v1/openapi.json, schemathesis drives every operation against it. Pinned, so
  # a run is repeatable; installed like chdb-core, into the python3 the tests run.
  api_tools=("openapi-spec-validator==0.9.0" "schemathesis==4.32.5")
  if ! python3 -c 'import importlib.metadata as m, sys
sys.exit(0 if m.version("openapi-spec-validator") == "0.9.0" and m.version("schemathesis") == "4.32.5" else 1)' >/dev/null 2>&1; then
    echo "installing ${api_tools[*]} from PyPI"
    python3 -m pip install -q "${api_tools[@]}"
  fi
  if [ ! -d tracker-js/node_modules ]; then
    echo "installing the tag's build tooling (npm ci)"
    (cd tracker-js && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -d tests/matomo-client/node_modules ]; then
    echo "installing Matomo's own tracking client for the API tests (npm ci)"
    (cd tests/matomo-client && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

# Alerts and reports (issue 12): Debian's aiosmtpd, the SMTP server the tests mail through and
# that `make up` runs as a local mailbox when EMC_SMTP_URL is unset (run as
# `/usr/bin/python3 -m aiosmtpd`, so it is checked with that interpreter); and, for the tests,
# `promtool` (Debian's prometheus package) to check deploy/prometheus/alerts.yml.
mail_missing=()
/usr/bin/python3 -c "import aiosmtpd" >/dev/null 2>&1 || mail_missing+=(python3-aiosmtpd)
if ! $runtime_only; then
  command -v promtool >/dev/null 2>&1 || mail_missing+=(prometheus)
fi
if [ ${#mail_missing[@]} -gt 0 ]; then
  echo "installing from Debian: ${mail_missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${mail_missing[@]}" >/dev/null
fi

# The style checks in `make test` (`cargo fmt --check`, `cargo clippy -D warnings`): rustup's
# components, added when the toolchain came without them.
if ! $runtime_only && command -v rustup >/dev/null 2>&1; then
  for component in rustfmt clippy; do
    cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1 || rustup component add "$component"
  done
fi
