#!/usr/bin/env bash
# The README's test command: installs everything the tests need on a fresh
# machine (virtualenv + packages, Chromium, util-linux logger, Neo4j jars) and
# runs the whole test suite.  Neo4j itself is started by the pytest session
# fixture (tests/conftest.py) through scripts/neo4j/neo4j.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh "dev,notebooks"
scripts/install_system_deps.sh
scripts/build_web.sh
scripts/neo4j/neo4j.sh provision
exec .venv/bin/python -m pytest "$@"
