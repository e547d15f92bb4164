import { defineConfig } from 'vitest/config'

// The examples (examples/web, examples/react, examples/node) built and run as their first line says, with the
// packed package, against the emulator; pages in Chromium. Slow (installs cached): run after `npm run build`,
// under the shared browser lock:
//   flock /tmp/browser.lock npx vitest run --config vitest.examples.config.ts
export default defineConfig({
  test: {
    name: 'examples',
    environment: 'node',
    include: ['test/examples/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 600_000,
  },
})
