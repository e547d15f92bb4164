import { defineConfig } from 'vitest/config'

// Consumer apps: the packed package built by every mainstream bundler (test/consumers/README.md). Slow
// (real bundlers, Next.js builds, Chromium): one file, run after `npm run build`:
//   npx vitest run --config vitest.consumers.config.ts
export default defineConfig({
  test: {
    name: 'consumers',
    environment: 'node',
    include: ['test/consumers/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
})
