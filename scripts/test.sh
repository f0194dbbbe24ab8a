#!/usr/bin/env bash
# The README's test command: installs everything the tests need on a fresh
# machine (virtualenv + packages, Chromium, util-linux logger, Neo4j jars) and
# runs the whole test suite.  Neo4j itself is started by the pytest session
# fixture (tests/conftest.py) through scripts/neo4j/neo4j.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# The public sample corpus (third-party, never committed): $GRAPHSIEM_SAMPLES,
# else ../shared/datasets beside the checkout, else the workplace's copy.
if [ -z "${GRAPHSIEM_SAMPLES:-}" ]; then
    for candidate in ../shared/datasets /work/shared/datasets; do
        if [ -d "$candidate" ]; then
            GRAPHSIEM_SAMPLES="$(cd "$candidate" && pwd)"
            break
        fi
    done
fi
if [ -z "${GRAPHSIEM_SAMPLES:-}" ] || [ ! -d "$GRAPHSIEM_SAMPLES" ]; then
    echo "test.sh: sample corpus not found; set GRAPHSIEM_SAMPLES to the datasets folder" >&2
    exit 1
fi
export GRAPHSIEM_SAMPLES
scripts/bootstrap.sh "dev,notebooks"
scripts/install_system_deps.sh
scripts/build_web.sh
scripts/neo4j/neo4j.sh provision
# lint and type-check first: cheap, and a failure here fails the run
.venv/bin/ruff check graphsiem ingest analytics tests benchmarks scripts
.venv/bin/mypy
.venv/bin/python scripts/check_notebooks.py
exec .venv/bin/python -m pytest "$@"
