import { describe, expect, it } from 'vitest'

import { resolveEnvironment } from '../../environment'
import type { Assignment } from '../../types'
import { createDriverPicker } from './auto'
import { FakeDriver } from './fake'

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

describe("driver 'auto' in Node", () => {
  it('without an RTCPeerConnection, refuses with DRIVER_UNAVAILABLE and says to pass whipDriver with werift', async () => {
    const pick = createDriverPicker(resolveEnvironment({}), 'auto')
    await expect(pick(assignment('https://sm.example.com/live/whep/endpoint/s'))).rejects.toMatchObject({
      code: 'DRIVER_UNAVAILABLE',
      message: expect.stringContaining('whipDriver({ RTCPeerConnection })'),
    })
  })

  it('a configured driver is used for every assignment', async () => {
    const fake = new FakeDriver()
    const pick = createDriverPicker(resolveEnvironment({}), fake)
    expect(await pick(assignment('https://sm.example.com/as/v1/proxy/whep/live/s?host=10.0.0.5'))).toBe(fake)
  })
})
