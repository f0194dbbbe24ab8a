#!/usr/bin/env bash
# The analysts' page for the demo (run by scripts/main_job.sh): build its browser files with
# scripts/build_web.sh when npm is installed, and say how to open it; without npm, say what to
# install and run.  Until the files are built, / and /docs answer 503 (the API under /v1 works):
# the demo used to end with "serve (then http://127.0.0.1:8000/)" on a page it had not built
# (review U1 #3).  Never fails the demo: a build that fails (no network) is said, not fatal.
#
# Usage: scripts/demo_page.sh DATA_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:?usage: scripts/demo_page.sh DATA_DIR}"
vendor=graphsiem/web/static/vendor
built() { [ -f "$vendor/cytoscape.esm.min.js" ] && [ -f "$vendor/swagger-ui-bundle.js" ]; }
if command -v npm >/dev/null 2>&1; then
    if ! scripts/build_web.sh; then
        echo "the page's browser files could not be built (scripts/build_web.sh failed above: npm needs" \
             "the npm registry); run scripts/build_web.sh again once it is reachable"
    fi
fi
echo "explore with"
echo "  GRAPHSIEM_DATA=$DATA .venv/bin/graphsiem keys create --role analyst"
if built; then
    echo "  GRAPHSIEM_DATA=$DATA .venv/bin/graphsiem serve   (then http://127.0.0.1:8000/)"
else
    echo "  GRAPHSIEM_DATA=$DATA .venv/bin/graphsiem serve   (the API at http://127.0.0.1:8000/v1/...)"
    if ! command -v npm >/dev/null 2>&1; then
        echo "the analysts' page (/ and /docs) is not built: it needs npm (Node.js) to fetch Cytoscape.js and" \
             "Swagger UI; install it (apt-get install npm, or nodejs.org), then run scripts/build_web.sh" \
             "(until then / and /docs answer 503)"
    fi
fi
