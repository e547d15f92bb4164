#!/usr/bin/env bash
# The whole test suite, as the README's second command and CI run it. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

bash scripts/ensure-deps.sh
step "build (tsup: ESM + CJS + d.ts)"
npm run --silent build
step "typecheck (tsc --strict)"
npx tsc --noEmit
step "lint (typescript-eslint, prettier)"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
step "package checks (publint, are-the-types-wrong, size-limit)"
npx publint --strict
npx attw --pack . --profile node16 --quiet
npx size-limit
if [ -f scripts/ensure-chromium.sh ]; then
  step "browsers for end-to-end tests (Debian chromium and firefox-esr, installed only when missing)"
  bash scripts/ensure-chromium.sh
  bash scripts/ensure-firefox.sh
fi
step "tests (vitest: unit, integration, package, CLI on the built binary)"
export RED5PRO_BLUEGREEN_CLI=dist/cli/index.js
npx vitest run
step "end-to-end tests (real Chromium and Firefox, real WebRTC media, the emulator; one browser at a time)"
npx vitest run --config vitest.e2e.config.ts
step "consumer apps (the packed tarball built by Vite, webpack, Next.js x2, Parcel, Rollup, esbuild x2; pages in Chromium)"
npx vitest run --config vitest.consumers.config.ts
step "examples (web pages and React app in Chromium, Node scripts with werift; the packed tarball)"
npx vitest run --config vitest.examples.config.ts
