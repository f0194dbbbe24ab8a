#!/usr/bin/env bash
# Build the analysts' page's browser dependencies: `npm ci` in web/ and copy the
# vendored files (Cytoscape.js, and Swagger UI for the API explorer at /docs,
# pinned to one version) into graphsiem/web/static/vendor/ (git-ignored).
# Idempotent and fast when up to date: a stamp holding the hash of
# web/package-lock.json and of this script skips the work when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=graphsiem/web/static/vendor
stamp="$vendor/.stamp"
want="$(cat web/package-lock.json "$0" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$vendor/cytoscape.esm.min.js" ] \
        && [ -f "$vendor/swagger-ui-bundle.js" ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "build_web.sh: npm is not installed (needed to fetch Cytoscape.js from the npm registry)" >&2
    exit 1
fi
# --ignore-scripts: no package needs one, and swagger-ui-dist's dependency
# @scarf/scarf has a postinstall that reports the install over the network.
(cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
mkdir -p "$vendor"
# Served as .js: every server maps .js to a JavaScript MIME type, which ES module
# loading requires; .mjs is not mapped everywhere.
cp web/node_modules/cytoscape/dist/cytoscape.esm.min.mjs "$vendor/cytoscape.esm.min.js"
cp web/node_modules/cytoscape/LICENSE "$vendor/cytoscape.LICENSE.txt"
# Swagger UI for /docs, served from here rather than a CDN: no third-party
# script on the origin whose sessionStorage holds the analyst's key.  Flat in
# vendor/ because the package data lists vendor/* only.
swagger=web/node_modules/swagger-ui-dist
cp "$swagger/swagger-ui-bundle.js" "$swagger/swagger-ui.css" "$vendor/"
cp "$swagger/oauth2-redirect.js" "$vendor/swagger-ui-oauth2-redirect.js"
cp "$swagger/LICENSE" "$vendor/swagger-ui.LICENSE.txt"
cp "$swagger/NOTICE" "$vendor/swagger-ui.NOTICE.txt"
echo "$want" > "$stamp"
version() { node -p "require('./web/node_modules/$1/package.json').version" 2>/dev/null || echo '?'; }
echo "build_web.sh: vendored cytoscape $(version cytoscape) and swagger-ui-dist $(version swagger-ui-dist) into $vendor"
