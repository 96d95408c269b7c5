#!/usr/bin/env bash
# Refreshes the vendored bot data from the npm registry:
#   collector/src/enrich/data/isbot/      isbot's pattern list (Unlicense), compiled into the collector
#   collector/testdata/ua/crawlers.txt    crawler-user-agents' example agents (MIT), test sample
#   collector/testdata/ua/browsers.tsv    user-agents' real-browser agents (BSD-2-Clause), test sample
# Each keeps its package's license file and a SOURCE line (package and version).
# Usage: scripts/refresh-bot-patterns.sh [isbot@VERSION]   then: cargo test -p emc-collector --lib bots
set -euo pipefail
cd "$(dirname "$0")/.."
isbot_spec=${1:-isbot}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

unpack() { # npm spec -> directory holding the unpacked package
  local dir="$tmp/$(echo "$1" | tr '/@' '__')"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$1" >/dev/null && tar -xzf ./*.tgz)
  echo "$dir/package"
}
version() { node -p "require('$1/package.json').version"; }

isbot=$(unpack "$isbot_spec")
crawlers=$(unpack crawler-user-agents)
browsers=$(unpack user-agents)

out=collector/src/enrich/data/isbot
mkdir -p "$out"
# The package's own export `list` is the pattern list its `isBot` joins with `|` (flag i).
node --input-type=module -e "
  const { list } = await import('$isbot/index.mjs');
  if (!Array.isArray(list) || list.length < 50) throw new Error('isbot: no pattern list');
  process.stdout.write(JSON.stringify(list, null, 1) + '\n');
" >"$out/patterns.json"
cp "$isbot/LICENSE" "$out/LICENSE"
echo "npm isbot $(version "$isbot")" >"$out/SOURCE"

samples=collector/testdata/ua
mkdir -p "$samples"
# Every example agent of every crawler entry, once, in the list's order.
node -e "
  const list = require('$crawlers/crawler-user-agents.json');
  const seen = new Set();
  for (const e of list) for (const ua of e.instances || []) {
    if (/[\t\r\n]/.test(ua) || seen.has(ua)) continue;
    seen.add(ua); console.log(ua);
  }
" >"$samples/crawlers.txt"
cp "$crawlers/LICENSE" "$samples/LICENSE-crawler-user-agents"
# Each distinct browser agent with the number of times it occurs in the data set
# (the data set is a sample of real visits, so the count is its weight in traffic).
node -e "
  const data = require('$browsers/dist/user-agents.json');
  const n = new Map();
  for (const e of data) if (!/[\t\r\n]/.test(e.userAgent)) n.set(e.userAgent, (n.get(e.userAgent) || 0) + 1);
  for (const [ua, c] of [...n].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) console.log(c + '\t' + ua);
" >"$samples/browsers.tsv"
cp "$browsers/LICENSE" "$samples/LICENSE-user-agents"
{
  echo "crawlers.txt: npm crawler-user-agents $(version "$crawlers")"
  echo "browsers.tsv: npm user-agents $(version "$browsers")"
} >"$samples/SOURCE"

echo "isbot $(version "$isbot"): $(node -p "require('./$out/patterns.json').length") patterns;" \
  "samples: $(wc -l <"$samples/crawlers.txt") crawler agents, $(wc -l <"$samples/browsers.tsv") browser agents" >&2
