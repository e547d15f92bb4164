import { afterEach, describe, expect, it, vi } from 'vitest'

import { resolveEnvironment } from '../../environment'
import type { Assignment } from '../../types'
import { createDriverPicker } from './auto'

const assignment = (endpoint: string): Assignment => ({
  environment: 'green',
  kind: 'subscribe',
  streamName: 's',
  app: 'live',
  serverAddress: '10.0.0.5',
  nodeRole: 'edge',
  endpoint,
  transport: 'proxy',
  api: 'sm1',
})

afterEach(() => {
  vi.unstubAllGlobals()
})

describe("driver 'auto' in a browser", () => {
  it('uses the Red5 SDK where it can express the endpoint (Stream Manager 1.x proxy), whipDriver elsewhere (2.0 proxy)', async () => {
    // Only the presence of the class matters for the choice; no connection is made here.
    vi.stubGlobal('RTCPeerConnection', function RTCPeerConnection() {})
    const pick = createDriverPicker(resolveEnvironment({}), 'auto')
    const sm1 = await pick(assignment('https://sm.example.com/live/whep/endpoint/s'))
    const sm2 = await pick(assignment('https://sm.example.com/as/v1/proxy/whep/live/s?host=10.0.0.5'))
    expect(sm1.name).toBe('red5pro')
    expect(sm2.name).toBe('whip')
    // Drivers are kept per client.
    expect(await pick(assignment('https://sm.example.com/live/whep/endpoint/t'))).toBe(sm1)
  })
})
