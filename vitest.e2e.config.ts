import { defineConfig } from 'vitest/config'

// End-to-end tests: the built package in real Chromium and Firefox against the emulator's real servers
// and werift media nodes. Files run one after the other: chromium.e2e.test.ts and firefox.e2e.test.ts
// each launch their engine once for every suite (~600 MiB, most of a core), red5pro-matrix one Chromium.
// Run after `npm run build`: npx vitest run --config vitest.e2e.config.ts (test/e2e/README.md)
export default defineConfig({
  test: {
    name: 'e2e',
    environment: 'node',
    include: ['test/e2e/**/*.e2e.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
