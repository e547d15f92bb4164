import { defineConfig } from 'vitest/config'

/** The Node tests that exercise src/discovery, src/internal and src/streammanager, for Stryker. */
export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    include: [
      'src/discovery/**/*.test.ts',
      'src/internal/**/*.test.ts',
      'src/streammanager/**/*.test.ts',
      'test/integration/discovery.test.ts',
      'test/integration/streammanager.test.ts',
      'test/integration/trust-client.test.ts',
      'test/integration/trust-discovery.test.ts',
      'test/integration/trust-limits.test.ts',
      'test/integration/streammanager-errors.test.ts',
      'test/integration/discovery-http.test.ts',
      'test/integration/discovery-mirrors.test.ts',
      'test/integration/streammanager-answers.test.ts',
    ],
    exclude: ['**/*.dom.test.ts', 'node_modules/**'],
  },
})
