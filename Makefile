# Thin: each target calls one script.
.PHONY: up test bench bench-reports build fuzz demo

up:
	scripts/up.sh

test:
	scripts/test.sh

build:
	cargo build --release --bins

bench:
	scripts/bench.sh

bench-reports:
	scripts/bench-reports.sh $(ARGS)

fuzz:
	scripts/fuzz.sh

demo:
	scripts/demo.sh $(ARGS)
