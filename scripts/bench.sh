#!/usr/bin/env bash
# Runs every benchmark in benchmarks/ (not part of the test command).  Needs the
# test set-up (Neo4j jars, Chromium): it runs scripts/test.sh's installers first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh "dev,notebooks"
scripts/install_system_deps.sh
scripts/build_web.sh
scripts/neo4j/neo4j.sh provision
for bench in benchmarks/bench_*.py benchmarks/evaluate_fleet.py; do
    [ -f "$bench" ] || continue
    echo "=== $bench"
    case "$bench" in
        *bench_store.py) .venv/bin/python "$bench" --naive-full ;;
        # the peers live outside the project's venv; without a Python 3.7 for Beagle it says why
        *bench_peers.py) if benchmarks/peers_install.sh; then .venv/bin/python "$bench"; else echo "bench_peers: not run (peers_install.sh failed)"; fi ;;
        *) .venv/bin/python "$bench" ;;
    esac
done
