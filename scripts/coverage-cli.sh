#!/usr/bin/env bash
# Coverage of the CLI. Its tests run the built binary in a subprocess, which Vitest's coverage does not
# see: each run writes V8 coverage to coverage/cli-v8 (NODE_V8_COVERAGE, see test/cli/helpers.ts), and
# c8 maps it back to src/cli through the build's source maps. The report is written even when a test
# fails; the exit code is the tests'.
set -u
cd "$(dirname "$0")/.."
rm -rf coverage/cli-v8 coverage/cli
CLI_COVERAGE_DIR="$PWD/coverage/cli-v8" npx vitest run --project node test/cli
status=$?
# The binary lives under node_modules/.cache, so node_modules are not excluded before the source maps
# are applied; after them, everything but src/cli is (c8's --include does not work after a remap).
npx c8 report --temp-directory coverage/cli-v8 --reports-dir coverage/cli --reporter text --reporter html \
  --exclude-node-modules=false --exclude-after-remap \
  --exclude 'node_modules/**' --exclude 'src/!(cli)/**' --exclude 'src/*.ts' --exclude '*.json'
exit $status
