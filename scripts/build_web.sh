#!/usr/bin/env bash
# Build the analysts' page's browser dependencies: `npm ci` in web/ and copy the
# vendored files (Cytoscape.js) into graphsiem/web/static/vendor/ (git-ignored).
# Idempotent and fast when up to date: a stamp holding the hash of
# web/package-lock.json and of this script skips the work when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=graphsiem/web/static/vendor
stamp="$vendor/.stamp"
want="$(cat web/package-lock.json "$0" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$vendor/cytoscape.esm.min.js" ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "build_web.sh: npm is not installed (needed to fetch Cytoscape.js from the npm registry)" >&2
    exit 1
fi
(cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
mkdir -p "$vendor"
# Served as .js: every server maps .js to a JavaScript MIME type, which ES module
# loading requires; .mjs is not mapped everywhere.
cp web/node_modules/cytoscape/dist/cytoscape.esm.min.mjs "$vendor/cytoscape.esm.min.js"
cp web/node_modules/cytoscape/LICENSE "$vendor/cytoscape.LICENSE.txt"
echo "$want" > "$stamp"
echo "build_web.sh: vendored cytoscape $(node -p 'require("./web/node_modules/cytoscape/package.json").version' 2>/dev/null || echo '?') into $vendor"
