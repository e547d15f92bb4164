import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'test-results/**',
      'examples/demo/vendor/**',
      'reports/**',
      '.stryker-tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      curly: ['error', 'all'],
      'no-console': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        module: 'writable',
        require: 'readonly',
        Buffer: 'readonly',
      },
    },
  },
  {
    // The consumer apps are browser code, and their bundler configs Node CommonJS, as users write them.
    files: ['test/consumers/shared/**', 'test/consumers/next/app/**'],
    languageOptions: {
      globals: {
        window: 'readonly',
        navigator: 'readonly',
        URLSearchParams: 'readonly',
        globalThis: 'readonly',
      },
    },
  },
  {
    // examples/: browser pages and a React app as users write them, and Node scripts that print.
    files: ['examples/web/**', 'examples/react/**'],
    languageOptions: {
      parserOptions: { ecmaFeatures: { jsx: true } },
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        navigator: 'readonly',
        URLSearchParams: 'readonly',
      },
    },
  },
  {
    files: ['examples/node/**'],
    languageOptions: { globals: { setInterval: 'readonly', clearInterval: 'readonly' } },
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/consumers/**/*.cjs'],
    languageOptions: { globals: { __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**', 'src/cli/**', 'src/emulator/**', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
)
