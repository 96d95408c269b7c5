# Thin: each target calls one script.
.PHONY: up test bench build

up:
	scripts/up.sh

test:
	scripts/test.sh

build:
	cargo build --release --bins
