#!/usr/bin/env bash
# Enforces the dependency direction of DESIGN.md §2 / STYLE.md §3:
#   core ← store* ← services ← web ← api-*/realtime ← server ← cli
# Nothing below `web` may depend on the server framework (axum), directly or transitively, and
# `core` may not depend on sqlx. (HTTP *clients* such as reqwest, which bring hyper, are fine in
# leaf crates that call providers.) Run from the repository root.
set -euo pipefail

fail=0
below_web=(ferrochat-core ferrochat-config ferrochat-store ferrochat-store-sqlite ferrochat-store-postgres ferrochat-services)
for crate in "${below_web[@]}"; do
  if ! cargo metadata --format-version 1 --no-deps 2>/dev/null | grep -q "\"name\":\"$crate\""; then
    continue
  fi
  hits=$(cargo tree -e normal -p "$crate" --prefix none 2>/dev/null | grep -E '^(axum|axum-core) ' | sort -u || true)
  if [ -n "$hits" ]; then
    echo "layering violation: $crate depends on the HTTP server framework:"; echo "$hits"; fail=1
  fi
done
hits=$(cargo tree -e normal -p ferrochat-core --prefix none 2>/dev/null | grep -E '^sqlx' | sort -u || true)
if [ -n "$hits" ]; then
  echo "layering violation: ferrochat-core depends on sqlx"; fail=1
fi
if [ "$fail" -eq 0 ]; then echo "layering: ok"; fi
exit "$fail"
