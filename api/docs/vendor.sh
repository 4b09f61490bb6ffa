#!/usr/bin/env bash
# Vendors the Redoc standalone bundle (MIT) from the npm registry so /docs
# works offline from assets embedded in the binary. Run by `go generate ./api`.
set -euo pipefail
version=3.0.1
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "redoc@$version" --silent >/dev/null && tar xzf "redoc-$version.tgz")
cp "$tmp/package/bundles/redoc.standalone.js" redoc.standalone.js
echo "vendored redoc $version"
