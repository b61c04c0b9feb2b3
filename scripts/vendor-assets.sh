#!/usr/bin/env bash
# Refresh the front-end files vendored into src/fenpei/web/static/vendor/ from the npm
# registry: htmx and Apache ECharts, each with its LICENSE. Run by whoever updates them;
# never at run time or build time (the app serves only what is committed).
#   scripts/vendor-assets.sh                  # the pinned versions below
#   HTMX_VERSION=2.x.y ECHARTS_VERSION=6.x.y scripts/vendor-assets.sh
set -euo pipefail
cd "$(dirname "$0")/.."
HTMX_VERSION="${HTMX_VERSION:-2.0.11}"
ECHARTS_VERSION="${ECHARTS_VERSION:-6.1.0}"
DEST=src/fenpei/web/static/vendor
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

fetch() {  # fetch NAME VERSION DIR FILE...: unpack NAME@VERSION, copy FILEs and LICENSE to DIR
  local name="$1" version="$2" dir="$3"; shift 3
  local tarball
  tarball="$(cd "$WORK" && npm pack --silent "$name@$version" | tail -n 1)"
  mkdir -p "$WORK/$name" "$DEST/$dir"
  tar -xzf "$WORK/$tarball" -C "$WORK/$name"
  for file in "$@"; do cp "$WORK/$name/package/$file" "$DEST/$dir/"; done
  cp "$WORK/$name/package/LICENSE" "$DEST/$dir/LICENSE"
  if [ -f "$WORK/$name/package/NOTICE" ]; then cp "$WORK/$name/package/NOTICE" "$DEST/$dir/NOTICE"; fi
  local exact
  exact="$(node -p "require('$WORK/$name/package/package.json').version")"
  echo "$exact" > "$DEST/$dir/VERSION"
  echo "vendored $name $exact into $DEST/$dir"
}

fetch htmx.org "$HTMX_VERSION" htmx dist/htmx.min.js
fetch echarts "$ECHARTS_VERSION" echarts dist/echarts.min.js
