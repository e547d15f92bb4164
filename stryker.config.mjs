// Mutation testing of the trust boundaries (discovery, host rules, HTTP limits, Stream Manager answers).
// Run with `npm run test:mutation`; not part of `npm test` or CI (it takes a long time).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: false },
  mutate: ['src/discovery/**/*.ts', 'src/internal/**/*.ts', 'src/streammanager/**/*.ts', '!**/*.test.ts'],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  timeoutMS: 20000,
  thresholds: { high: 90, low: 80, break: null },
}
