#!/usr/bin/env bash
# Fuzzes the collector's decoders (fuzz/fuzz_targets/), each for FUZZ_SECS seconds (default 60).
#   FUZZ_SECS=600 make fuzz                 longer runs
#   FUZZ_TARGETS=matomo make fuzz           one target
#   FUZZ_SANITIZER=address make fuzz        with ASan (slower; the decoders are safe Rust)
# Seeds are fuzz/corpus/<target>/ (committed, read only); what libFuzzer finds goes to
# fuzz/target/corpus/<target>/, crashes to fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
# cargo-fuzz passes nightly-only flags (-Z…); this lets the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1
secs=${FUZZ_SECS:-60}
sanitizer=${FUZZ_SANITIZER:-none}
targets=${FUZZ_TARGETS:-beacon matomo access_log}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo fuzz build --sanitizer "$sanitizer"
for t in $targets; do
    mkdir -p "target/corpus/$t"
    echo "== fuzz $t for ${secs}s"
    cargo fuzz run --sanitizer "$sanitizer" "$t" "target/corpus/$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1
done
