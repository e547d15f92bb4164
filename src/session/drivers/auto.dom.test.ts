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

describe("driver 'auto' with other installs of red5pro-webrtc-sdk", () => {
  afterEach(() => {
    vi.doUnmock('red5pro-webrtc-sdk')
    vi.resetModules()
  })

  async function freshPicker(exports: Record<string, unknown>) {
    vi.resetModules()
    // Every key the driver may read is listed: vitest's mocked modules throw on missing exports.
    const keys = ['default', 'WHIPClient', 'WHEPClient', 'getVersion', 'defaultWhipPublisherConfig']
    vi.doMock('red5pro-webrtc-sdk', () => ({
      ...Object.fromEntries(keys.map((key) => [key, undefined])),
      ...exports,
    }))
    vi.stubGlobal('RTCPeerConnection', function RTCPeerConnection() {})
    const { createDriverPicker: create } = await import('./auto')
    return create(resolveEnvironment({}), 'auto')
  }

  it('falls back to whipDriver when a bundler alias replaced the SDK with an empty module', async () => {
    const pick = await freshPicker({ default: {} })
    expect((await pick(assignment('https://sm.example.com/live/whep/endpoint/s'))).name).toBe('whip')
  })

  it('uses the Red5 SDK on the Stream Manager 2.0 proxy too when the build has `endpoint` (13+)', async () => {
    function WHIPClient(): void {}
    function WHEPClient(): void {}
    // A 15-shaped module: no setView, no shared objects.
    const pick = await freshPicker({ WHIPClient, WHEPClient, getVersion: () => '15.2.0' })
    const sm2 = await pick(assignment('https://sm.example.com/as/v1/proxy/whep/live/s?host=10.0.0.5'))
    expect(sm2.name).toBe('red5pro')
  })
})
