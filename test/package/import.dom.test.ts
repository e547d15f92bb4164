import { afterEach, describe, expect, it, vi } from 'vitest'

import type * as Api from '../../src'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('importing the built package in a browser-like page (happy-dom) does nothing', () => {
  it('schedules no timer, fetches nothing and reads no storage', async () => {
    const timers = vi.spyOn(window, 'setTimeout')
    const intervals = vi.spyOn(window, 'setInterval')
    const fetches = vi.spyOn(window, 'fetch')
    const storage = vi.spyOn(window.localStorage, 'getItem')
    // @ts-expect-error: the built file has its own .d.ts; the path is resolved at run time
    const mod = (await import('../../dist/index.js')) as Record<string, unknown>
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
    // @ts-expect-error: see above
    const { createClient } = (await import('../../dist/index.js')) as typeof Api
    const client = createClient({ discovery: 'https://cdn.example.com/discovery.json' })
    expect(fetches).not.toHaveBeenCalled()
    expect(timers).not.toHaveBeenCalled()
    await client.close()
  })
})
