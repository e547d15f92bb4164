#!/usr/bin/env bash
# The README's first command: the local emulated blue/green cluster and its demo page.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run --silent build
node examples/demo/build.mjs
exec node dist/cli/index.js dev "$@"
