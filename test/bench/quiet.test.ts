import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterEach, describe, expect, it } from 'vitest'

import { quietNetwork } from '../../bench/swap/quiet'

describe("quietNetwork (the benches' real HTTP under a simulated clock)", () => {
  let server: Server | undefined
  afterEach(async () => {
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
  })

  it('holds the clock while a request is in flight, and lets it go once the request is stuck', async () => {
    // A server that takes the request and never answers: only the client's own timeout (on the
    // simulated clock) can end it, so a rig waiting for the network to be idle must not wait forever.
    server = createServer(() => {})
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    const network = quietNetwork({ stuckAfterMs: 400 })
    const controller = new AbortController()
    const pending = network
      .channel()
      .fetch(url, { signal: controller.signal })
      .catch(() => 'aborted')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(network.busy()).toBe(true)
    const started = performance.now()
    await network.idle()
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(300)
    expect(network.busy()).toBe(false)
    controller.abort()
    expect(await pending).toBe('aborted')
  })
})
