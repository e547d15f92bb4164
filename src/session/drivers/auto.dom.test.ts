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
    const pick = createDriverPicker(resolveEnvironment({}), 'auto', () => import('red5pro-webrtc-sdk'))
    const sm1 = await pick(assignment('https://sm.example.com/live/whep/endpoint/s'))
    const sm2 = await pick(assignment('https://sm.example.com/as/v1/proxy/whep/live/s?host=10.0.0.5'))
    expect(sm1.name).toBe('red5pro')
    expect(sm2.name).toBe('whip')
    // Drivers are kept per client.
    expect(await pick(assignment('https://sm.example.com/live/whep/endpoint/t'))).toBe(sm1)
  })
})

describe("driver 'auto' with other Red5 SDKs, or none", () => {
  function picker(source?: Parameters<typeof createDriverPicker>[2]) {
    vi.stubGlobal('RTCPeerConnection', function RTCPeerConnection() {})
    return createDriverPicker(resolveEnvironment({}), 'auto', source)
  }
  const sm1 = assignment('https://sm.example.com/live/whep/endpoint/s')
  const sm2 = assignment('https://sm.example.com/as/v1/proxy/whep/live/s?host=10.0.0.5')

  it('uses whipDriver when no SDK was given and none is on the page', async () => {
    expect((await picker()(sm1)).name).toBe('whip')
  })

  it("uses the SDK Red5's script tag put on the page (window.red5prosdk)", async () => {
    vi.stubGlobal('red5prosdk', {
      WHIPClient: function WHIPClient() {},
      WHEPClient: function WHEPClient() {},
    })
    expect((await picker()(sm1)).name).toBe('red5pro')
  })

  it('falls back to whipDriver when a bundler alias replaced the SDK with an empty module', async () => {
    expect((await picker(() => Promise.resolve({ default: {} }))(sm1)).name).toBe('whip')
  })

  it('falls back to whipDriver when the loader fails (the SDK is not installed)', async () => {
    const pick = picker(() => Promise.reject(new Error('Failed to fetch dynamically imported module')))
    expect((await pick(sm1)).name).toBe('whip')
  })

  it('uses the Red5 SDK on the Stream Manager 2.0 proxy too when the build has `endpoint` (13+)', async () => {
    function WHIPClient(): void {}
    function WHEPClient(): void {}
    // A 15-shaped module: no setView, no shared objects.
    const pick = picker(() => Promise.resolve({ WHIPClient, WHEPClient, getVersion: () => '15.2.0' }))
    expect((await pick(sm2)).name).toBe('red5pro')
  })
})
