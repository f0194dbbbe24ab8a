#!/usr/bin/env bash
# The README's first command: installs the package and runs the main job on the
# embedded store (no Neo4j needed): simulate a fleet, detect, print the ranked
# clusters with their explanations.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh ""
exec scripts/main_job.sh
