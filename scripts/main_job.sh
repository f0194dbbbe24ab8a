#!/usr/bin/env bash
# The main job (run by scripts/demo.sh, the README's first command): simulate a
# fleet with known campaigns and decoys, ingest it into the embedded store,
# detect fan-out clusters and print them ranked with their explanations, then
# score the ranking against the simulator's ground truth; last, build the analysts' page
# (scripts/demo_page.sh: with npm, else it says what to install).
#
# Settings (environment): GRAPHSIEM_DEMO_HOSTS (300), GRAPHSIEM_DEMO_DAYS (2),
# GRAPHSIEM_DEMO_SEED (7), GRAPHSIEM_DEMO_DIR (a fresh temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOSTS="${GRAPHSIEM_DEMO_HOSTS:-300}"
DAYS="${GRAPHSIEM_DEMO_DAYS:-2}"
SEED="${GRAPHSIEM_DEMO_SEED:-7}"
WORK="${GRAPHSIEM_DEMO_DIR:-$(mktemp -d -t graphsiem-demo.XXXXXX)}"
TELEMETRY="$WORK/telemetry"
DATA="$WORK/data"
rm -rf "$DATA"

echo "== simulate: $HOSTS hosts x $DAYS days, seed $SEED -> $TELEMETRY"
"$PY" -m graphsiem simulate --hosts "$HOSTS" --days "$DAYS" --seed "$SEED" --out "$TELEMETRY" --no-progress

echo
echo "== ingest (embedded store in $DATA)"
# ground_truth.json is the answer key, not telemetry: ingest only the sensors' logs.
"$PY" -m graphsiem ingest "$TELEMETRY/endpoint" "$TELEMETRY/network" --data "$DATA" --no-progress | tail -n 4

echo
echo "== detect"
"$PY" -m graphsiem detect --data "$DATA" --top 10 --json "$WORK/clusters.json"

echo
echo "== evaluate against the simulator's ground truth"
"$PY" -m graphsiem evaluate --truth "$TELEMETRY/ground_truth.json" --clusters "$WORK/clusters.json"

echo
echo "clusters (contract JSON): $WORK/clusters.json"
echo "kept in $WORK ($(du -sh "$WORK" | cut -f1))"
echo
echo "== the analysts' page"
# builds the page's browser files when npm is installed, else says what to install and run
scripts/demo_page.sh "$DATA"
echo "remove with: rm -rf $WORK"
