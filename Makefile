.PHONY: demo test bench lint

## demo: install and run the main job on the embedded store (no Neo4j needed)
demo:
	scripts/demo.sh

## test: install everything the tests need (packages, Chromium, Neo4j) and run all tests
test:
	scripts/test.sh

## bench: run the benchmarks (not part of the tests)
bench:
	scripts/bench.sh

lint:
	.venv/bin/ruff check graphsiem ingest analytics tests benchmarks scripts
	.venv/bin/mypy
