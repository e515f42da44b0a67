#!/usr/bin/env bash
# Static analysis gate for contracts/: slither with slither.config.json (offline, solc-js via
# scripts/toolchain/solc.js). Exits non-zero on any finding not triaged in contracts/SLITHER.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SLITHER="${SLITHER:-.venv/bin/slither}"
if [[ ! -x "$SLITHER" ]]; then
  echo "slither.sh: $SLITHER not found (make setup installs it from requirements.lock)" >&2
  exit 2
fi
if [[ ! -d node_modules/solc || ! -d node_modules/@openzeppelin/contracts || ! -d node_modules/solady ]]; then
  echo "slither.sh: node_modules is incomplete (run npm ci / make setup)" >&2
  exit 2
fi
# The target is contracts/ (its top-level .sol files and everything they import); slither
# exits non-zero (255) when it reports any result, 1 on a compile or usage error.
exec "$SLITHER" contracts --config-file slither.config.json "$@"
