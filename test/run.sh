#!/usr/bin/env bash
# Run every test from a fresh clone: install, compile, start an engine if none
# answers, provide the base images, then the unit, console and engine tests.
# Extra arguments go to vitest, e.g. `npm test -- test/unit`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
# vitest runs the tests without checking their types; tsc checks them with the sources.
npm run --silent typecheck
./demo/engine-up.sh
./demo/base-images.sh all

exec npx vitest run "$@"
