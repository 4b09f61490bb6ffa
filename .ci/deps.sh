#!/usr/bin/env bash
# Keeps the layering of docs/architecture.md: arrows point down only.
set -euo pipefail
cd "$(dirname "$0")/.."
m=github.com/dakahq/daka
fail=0
check() { # package, forbidden import regex
  local bad
  bad=$(go list -f '{{join .Imports "\n"}}' "$1" 2>/dev/null | grep -E "$2" || true)
  if [ -n "$bad" ]; then echo "layering: $1 must not import: $bad"; fail=1; fi
}
for p in ./geo/... ./media/...; do
  for pkg in $(go list "$p" 2>/dev/null); do check "$pkg" "^$m/(api|org|attendance|devices|notify|cmd)|labstack/echo|jackc/pgx"; done
done
for pkg in $(go list ./org/... ./attendance/... ./devices/... ./notify/... 2>/dev/null); do
  check "$pkg" "^$m/(api|cmd)|labstack/echo"
done
check ./org "^$m/attendance"
[ $fail = 0 ] && echo "layering ok"
exit $fail
