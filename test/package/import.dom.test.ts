import { afterEach, describe, expect, it, vi } from 'vitest'

import type * as Api from '../../src'

// The built package, as an app would load it (a variable keeps tsc independent of whether dist/ exists).
const builtEntry = '../../dist/index.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('importing the built package in a browser-like page (happy-dom) does nothing', () => {
  it('schedules no timer, fetches nothing and reads no storage', async () => {
    const timers = vi.spyOn(window, 'setTimeout')
    const intervals = vi.spyOn(window, 'setInterval')
    const fetches = vi.spyOn(window, 'fetch')
    const storage = vi.spyOn(window.localStorage, 'getItem')
    const mod = (await import(/* @vite-ignore */ builtEntry)) as Record<string, unknown>
    expect(typeof mod.createClient).toBe('function')
    await new Promise((resolve) => queueMicrotask(() => resolve(undefined)))
    expect(timers).not.toHaveBeenCalled()
    expect(intervals).not.toHaveBeenCalled()
    expect(fetches).not.toHaveBeenCalled()
    expect(storage).not.toHaveBeenCalled()
  })

  it('creating a client is still silent until ready() is called', async () => {
    const fetches = vi.spyOn(window, 'fetch')
    const timers = vi.spyOn(window, 'setTimeout')
    const { createClient } = (await import(/* @vite-ignore */ builtEntry)) as typeof Api
    const client = createClient({ discovery: 'https://cdn.example.com/discovery.json' })
    expect(fetches).not.toHaveBeenCalled()
    expect(timers).not.toHaveBeenCalled()
    await client.close()
  })
})
