# Thin: each target calls one script.
.PHONY: up test bench build fuzz

up:
	scripts/up.sh

test:
	scripts/test.sh

build:
	cargo build --release --bins

bench:
	scripts/bench.sh

fuzz:
	scripts/fuzz.sh
