import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const probe = fileURLToPath(new URL('./probe-import.mjs', import.meta.url))
const entries = ['dist/index', 'dist/testing/index', 'dist/emulator/index']

beforeAll(() => {
  if (!existsSync(`${root}dist/index.js`)) {
    throw new Error('dist/ is missing: run `npm run build` first (the test command does).')
  }
})

function run(mode: 'esm' | 'cjs'): { seen: Record<string, number>; loaded: number[] } {
  const ext = mode === 'esm' ? '.js' : '.cjs'
  const out = execFileSync(process.execPath, [probe, mode, ...entries.map((e) => `${root}${e}${ext}`)], {
    encoding: 'utf8',
  })
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

describe('importing the built package does nothing', () => {
  for (const mode of ['esm', 'cjs'] as const) {
    it(`${mode}: every entry point loads without timers, fetches or window access`, () => {
      const { seen, loaded } = run(mode)
      expect(loaded).toHaveLength(entries.length)
      expect(loaded[0]).toBeGreaterThan(0)
      expect(seen).toEqual({ timers: 0, fetches: 0, window: 0, intervals: 0, immediates: 0 })
    })
  }
})
