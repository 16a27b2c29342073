#!/usr/bin/env bash
# Run the demo from a fresh clone: install, compile, start an engine if none
# answers, provide the Go base image, then build demo/build.yml with weld.
# Extra arguments go to weld, e.g. `npm run demo -- --no-cache`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
./demo/engine-up.sh
./demo/base-images.sh go

exec node bin/weld.js -d demo "$@"
