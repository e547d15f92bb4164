import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // The real Red5 SDK logs every error path it goes through, and happy-dom logs failed requests; tests
    // drive those paths on purpose, so these lines are noise (anything else still prints).
    onConsoleLog: (log) =>
      log.includes('[red5pro-sdk]') ||
      /^(GET|POST|PATCH|DELETE|OPTIONS) http:\/\/127\.0\.0\.1:\d+\/\S* \d{3} \(/.test(log)
        ? false
        : undefined,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [
            '**/*.dom.test.ts',
            'test/e2e/**',
            'test/consumers/**',
            'test/examples/**',
            'node_modules/**',
          ],
        },
      },
      {
        extends: true,
        test: {
          name: 'dom',
          environment: 'happy-dom',
          include: ['src/**/*.dom.test.ts', 'test/**/*.dom.test.ts'],
          exclude: ['test/e2e/**', 'node_modules/**'],
        },
      },
    ],
  },
})
