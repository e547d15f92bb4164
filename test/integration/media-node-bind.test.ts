/**
 * The emulator's media node keeps to 127.0.0.1 (docs/emulator.md): its UDP sockets, like its HTTP
 * server, are bound to loopback, never to every interface.
 */
import type { Socket } from 'node:dgram'

import { afterEach, expect, it } from 'vitest'
import { MediaStream, MediaStreamTrack, RTCPeerConnection } from 'werift'

import { startMediaNode } from '../../src/emulator/mediaNode'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup()
  }
})

/** The UDP sockets this process holds open now. */
function udpSockets(): Set<Socket> {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles()
  return new Set(
    handles.filter(
      (handle): handle is Socket =>
        typeof (handle as { type?: unknown }).type === 'string' &&
        String((handle as { type: string }).type).startsWith('udp'),
    ),
  )
}

it('binds the UDP sockets of a WHIP session to 127.0.0.1', async () => {
  const media = await startMediaNode({ name: 'bind-test' })
  cleanups.push(() => media.close())
  const pc = new RTCPeerConnection({ iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false })
  cleanups.push(() => pc.close())
  const video = new MediaStreamTrack({ kind: 'video' })
  pc.addTransceiver(video, { direction: 'sendonly', streams: [new MediaStream([video])] })
  await pc.setLocalDescription(await pc.createOffer())
  const before = udpSockets()
  const response = await fetch(`${media.url}/live/whip/endpoint/cam1`, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp' },
    body: pc.localDescription?.sdp ?? '',
  })
  expect(response.status).toBe(201)
  const added = [...udpSockets()].filter((socket) => !before.has(socket))
  expect(added.length).toBeGreaterThan(0)
  expect(added.map((socket) => socket.address().address)).toEqual(added.map(() => '127.0.0.1'))
})
