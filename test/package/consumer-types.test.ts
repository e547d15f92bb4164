/**
 * TypeScript consumers see the full typed API in every module resolution mode an app may use: node16 ESM
 * (`"type": "module"`), node16 CJS (`"type": "commonjs"`) and `bundler`, each with `strict` and
 * `skipLibCheck: false` (so our .d.ts files, and whatever they import, are checked too). Each mode is a
 * throwaway app with the packed package installed (test/helpers/packedApp.ts), compiled by this
 * repository's tsc; the sources are in consumer-types.source.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createPackedApp, type PackedApp, tsc } from '../helpers/packedApp'
import { CORE_SOURCE, EMULATOR_SOURCE, TESTING_SOURCE } from './consumer-types.source'

const BROWSER_LIB = ['es2022', 'dom', 'dom.iterable']
const STRICT = { strict: true, skipLibCheck: false, noEmit: true, target: 'es2022', types: [] }

const MODES = [
  {
    name: 'node16 ESM ("type": "module")',
    type: 'module',
    options: { module: 'node16', moduleResolution: 'node16' },
  },
  {
    name: 'node16 CJS ("type": "commonjs")',
    type: 'commonjs',
    options: { module: 'node16', moduleResolution: 'node16' },
  },
  {
    name: 'bundler (with exactOptionalPropertyTypes and noUncheckedIndexedAccess)',
    type: 'module',
    options: {
      module: 'esnext',
      moduleResolution: 'bundler',
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
    },
  },
] as const

describe.each(MODES)('a TypeScript app, $name, strict, skipLibCheck false', (mode) => {
  let app: PackedApp

  beforeAll(() => {
    app = createPackedApp({
      'package.json': { name: 'consumer', private: true, type: mode.type },
      'tsconfig.json': {
        compilerOptions: { ...STRICT, ...mode.options, lib: BROWSER_LIB },
        files: ['core.ts', 'testing.ts', 'emulator.ts'],
      },
      'core.ts': CORE_SOURCE,
      'testing.ts': TESTING_SOURCE,
      'emulator.ts': EMULATOR_SOURCE,
    })
  }, 60_000)

  afterAll(() => app?.dispose())

  it('compiles every event, payload, createClient, resolve, publish, subscribe, testing and emulator without an error', () => {
    expect(tsc(app.dir)).toBe('')
  }, 60_000)
})

describe('a Node-only TypeScript app (no DOM lib), node16 ESM, strict, skipLibCheck false', () => {
  it('compiles the emulator entry with @types/node', () => {
    const app = createPackedApp(
      {
        'package.json': { name: 'consumer', private: true, type: 'module' },
        'tsconfig.json': {
          compilerOptions: {
            ...STRICT,
            module: 'node16',
            moduleResolution: 'node16',
            lib: ['es2022'],
            types: ['node'],
          },
          files: ['emulator.ts'],
        },
        'emulator.ts': EMULATOR_SOURCE,
      },
      ['@types/node'],
    )
    try {
      expect(tsc(app.dir)).toBe('')
    } finally {
      app.dispose()
    }
  }, 60_000)
})
