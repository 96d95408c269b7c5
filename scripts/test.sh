#!/usr/bin/env bash
# `make test`: installs what is missing, then runs every test: the tag's build and node
# tests, and the whole Rust workspace (unit, integration against a real ClickHouse each
# test process starts on a free port, end-to-end across real processes, headless Chromium,
# and the check of every statement against ClickHouse 26.9 through chdb-core).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
scripts/install-deps.sh
echo "== deps ready in $(( $(date +%s) - start )) s"

echo "== tracker-js: build and node tests"
(cd tracker-js && npm test --silent)

echo "== cargo fmt --check (rustfmt.toml)"
cargo fmt --all --check

echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo test --workspace"
# A failing test prints its message, not a page of frames (set EMC_TEST_BACKTRACE=1 for them).
export RUST_BACKTRACE="${EMC_TEST_BACKTRACE:-0}"
export EMC_TEST_TMPDIR="${EMC_TEST_TMPDIR:-$PWD/target/test-tmp}"
mkdir -p "$EMC_TEST_TMPDIR"
cargo build --workspace --bins
cargo test --workspace
echo "== all tests passed in $(( $(date +%s) - start )) s"
