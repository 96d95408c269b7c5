#!/usr/bin/env bash
# Refreshes the vendored referrer lists in collector/src/enrich/data/referrers/ from Debian's
# package archive (the registry that carries them):
#   matomo-searchengine-and-social-list  Matomo's search engines and social networks (CC0-1.0),
#                                        packaged from Debian trixie on: its YAML is stored as JSON
#   ruby-referer-parser                  Snowplow's referers.json (Apache-2.0): search, social,
#                                        email and "unknown" (known sites that are neither)
# apt-get runs with its own lists and cache in a temporary directory, so the machine's apt
# configuration is not touched. Needs python3 with PyYAML (`pip install pyyaml`).
# Usage: scripts/refresh-referrer-lists.sh   then: cargo test -p emc-collector --lib referrer
set -euo pipefail
cd "$(dirname "$0")/.."
out=collector/src/enrich/data/referrers
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/deb"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$tmp/sources.list" <<EOF
deb [signed-by=$keyring] http://deb.debian.org/debian trixie main
EOF
apt=(-o "Dir::Etc::sourcelist=$tmp/sources.list" -o "Dir::Etc::sourceparts=-"
  -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache" -o "Dir::State::status=/dev/null"
  -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
apt-get "${apt[@]}" -qq update
(cd "$tmp/deb" && apt-get "${apt[@]}" -qq download matomo-searchengine-and-social-list ruby-referer-parser)
for deb in "$tmp"/deb/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
matomo=$(find "$tmp/root" -type d -name searchengine-and-social-list | head -1)
snowplow=$(find "$tmp/root" -name referers.json -path '*referer-parser*' | head -1)
[ -f "$matomo/SearchEngines.yml" ] && [ -f "$snowplow" ] || { echo "packages without their lists" >&2; exit 1; }

mkdir -p "$out"
python3 - "$matomo" "$out" <<'EOF'
import json, sys, yaml
src, out = sys.argv[1], sys.argv[2]
for name, dest in [("SearchEngines.yml", "matomo-search-engines.json"), ("Socials.yml", "matomo-socials.json")]:
    with open(f"{src}/{name}", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    with open(f"{out}/{dest}", "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")
EOF
cp "$snowplow" "$out/snowplow-referers.json"
doc() { find "$tmp/root/usr/share/doc/$1" -name copyright | head -1; }
{ cat "$(doc matomo-searchengine-and-social-list)"; echo; cat /usr/share/common-licenses/CC0-1.0; } >"$out/LICENSE-matomo"
{ cat "$(doc ruby-referer-parser)"; echo; cat /usr/share/common-licenses/Apache-2.0; } >"$out/LICENSE-snowplow"
ver() { dpkg-deb -f "$tmp"/deb/"$1"_*.deb Version; }
{
  echo "matomo-search-engines.json, matomo-socials.json: Debian matomo-searchengine-and-social-list $(ver matomo-searchengine-and-social-list) (YAML converted to JSON)"
  echo "snowplow-referers.json: Debian ruby-referer-parser $(ver ruby-referer-parser)"
} >"$out/SOURCE"
cat "$out/SOURCE" >&2
