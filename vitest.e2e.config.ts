import { defineConfig } from 'vitest/config'

// End-to-end tests: the built package in real Chromium against the emulator's real servers and werift
// media nodes. Files run one after the other (each launches one browser: ~600 MiB, most of a core).
// Run after `npm run build`: npx vitest run --config vitest.e2e.config.ts
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
