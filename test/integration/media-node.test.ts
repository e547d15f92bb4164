/**
 * The werift media node's HTTP rules, driven with plain fetch and werift peers replaying the request
 * sequence red5pro-webrtc-sdk 11 sends (see knowledge/red5pro-wire.md).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  ReceiverEstimatedMaxBitrate,
  RtcpPayloadSpecificFeedback,
  type MediaStreamTrack,
  type RTCDataChannel,
  type RTCPeerConnection,
} from 'werift'

import { startMediaNode, type MediaNode, type MediaNodeOptions } from '../../src/emulator/mediaNode'
import { weriftPeer, weriftPublisher, type Cleanups } from '../helpers/weriftMedia'

const cleanups: Cleanups = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup()
  }
})

function peer(): RTCPeerConnection {
  return weriftPeer(cleanups)
}

async function node(options: Partial<MediaNodeOptions> = {}): Promise<MediaNode> {
  const started = await startMediaNode({ name: 'node-under-test', ...options })
  cleanups.push(() => started.close())
  return started
}

const sdp = { 'Content-Type': 'application/sdp' }

const publisherOffer = () => weriftPublisher(cleanups)

/** POSTs a publisher's offer to the node's WHIP endpoint and applies the answer. */
async function publish(media: MediaNode, stream = 'cam1') {
  const publisher = await publisherOffer()
  const response = await fetch(`${media.url}/live/whip/endpoint/${stream}?signal=true`, {
    method: 'POST',
    headers: sdp,
    body: publisher.offer,
  })
  expect(response.status).toBe(201)
  await publisher.pc.setRemoteDescription({ type: 'answer', sdp: await response.text() })
  const location = response.headers.get('location') ?? ''
  return { ...publisher, location, resource: new URL(location, media.url).toString() }
}

describe('startMediaNode()', () => {
  it('answers CORS preflights on WHIP and WHEP endpoints with 204, exposing Location, Link and ETag', async () => {
    const media = await node({
      iceServers: [{ urls: 'stun:127.0.0.1:3478', username: 'u', credential: 'c' }],
    })
    for (const protocol of ['whip', 'whep']) {
      const response = await fetch(`${media.url}/live/${protocol}/endpoint/cam1?signal=true`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'http://player.test',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type',
        },
      })
      expect(response.status).toBe(204)
      expect(response.headers.get('access-control-allow-origin')).toBe('http://player.test')
      expect(response.headers.get('access-control-allow-methods')).toContain('PATCH')
      expect(response.headers.get('access-control-allow-headers')).toBe('content-type')
      const exposed = response.headers.get('access-control-expose-headers') ?? ''
      for (const header of ['Location', 'Link', 'ETag']) {
        expect(exposed).toContain(header)
      }
      expect(response.headers.get('link')).toBe(
        '<stun:127.0.0.1:3478>; rel="ice-server"; username="u"; credential="c"; credential-type="password"',
      )
    }
  })

  it('announces no ICE server by default (loopback needs none)', async () => {
    const media = await node()
    const response = await fetch(`${media.url}/live/whip/endpoint/cam1`, { method: 'OPTIONS' })
    expect(response.status).toBe(204)
    expect(response.headers.get('link')).toBeNull()
  })

  it('answers a WHEP POST for a stream that is not published with 404 and "Stream X does not exist."', async () => {
    const media = await node()
    const response = await fetch(`${media.url}/live/whep/endpoint/ghost?requestId=r1&signal=true`, {
      method: 'POST',
      headers: sdp,
    })
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ error: 'Stream ghost does not exist.' })
    expect(media.stats().subscribers).toBe(0)
  })

  it('answers a WHIP POST with 201, an SDP answer and a relative resource Location; DELETE unpublishes', async () => {
    const media = await node()
    const publisher = await publish(media)
    expect(publisher.location).toMatch(/^\/live\/whip\/resource\/cam1\/[0-9a-f-]{36}$/)
    expect(media.streams()).toEqual(['live/cam1'])
    expect(media.hasStream('live', 'cam1')).toBe(true)
    expect(media.stats().publishers).toBe(1)

    const deleted = await fetch(publisher.resource, { method: 'DELETE' })
    expect(deleted.status).toBe(200)
    expect(media.streams()).toEqual([])
    expect(media.hasStream('live', 'cam1')).toBe(false)
    // A second DELETE (the SDK sends one on unpublish even after the node ended it) is harmless.
    expect((await fetch(publisher.resource, { method: 'DELETE' })).status).toBe(200)
    expect((await fetch(`${media.url}/live/whip/resource/cam1/unknown`, { method: 'DELETE' })).status).toBe(
      404,
    )
  })

  it('answers a second WHIP POST for a published stream with 409 and keeps the first publisher', async () => {
    const media = await node()
    await publish(media)
    const second = await publisherOffer()
    const response = await fetch(`${media.url}/live/whip/endpoint/cam1`, {
      method: 'POST',
      headers: sdp,
      body: second.offer,
    })
    expect(response.status).toBe(409)
    expect(await response.json()).toEqual({ error: 'Stream cam1 is already being published.' })
    expect(media.stats().publishers).toBe(1)
  })

  it('speaks the Red5 SDK’s WHEP sequence, forwards RTP with a keyframe request, and sends UnpublishNotify', async () => {
    const media = await node({ whepFlavour: 'auto' })
    const publisher = await publish(media)
    let plis = 0
    publisher.pc
      .getSenders()
      .find((sender) => sender.kind === 'video')
      ?.onPictureLossIndication.subscribe(() => plis++)

    // 1. The SDK POSTs a client offer it never applies, with its query parameters.
    const sdkOffer = peer()
    sdkOffer.addTransceiver('video', { direction: 'recvonly' })
    sdkOffer.addTransceiver('audio', { direction: 'recvonly' })
    sdkOffer.createDataChannel('red5pro')
    const unused = await sdkOffer.createOffer()
    const posted = await fetch(
      `${media.url}/live/whep/endpoint/cam1?requestId=sub-1&signal=true&doNotSwitch=false`,
      {
        method: 'POST',
        headers: sdp,
        body: unused.sdp,
      },
    )
    expect(posted.status).toBe(201)
    expect(posted.headers.get('content-type')).toBe('application/sdp')
    const location = posted.headers.get('location') ?? ''
    expect(location).toMatch(/^\/live\/whep\/resource\/cam1\/[0-9a-f-]{36}$/)
    const offer = await posted.text()
    // 2. The node's own offer: actpass, an m=application section, an msid per media track.
    expect(offer).toContain('a=setup:actpass')
    expect(offer).toMatch(/^m=application .* webrtc-datachannel/m)
    expect(offer.match(/^m=(audio|video) /gm)).toHaveLength(2)
    expect(offer.match(/^a=msid:/gm)).toHaveLength(2)

    // 3. The SDK answers it, PATCHes the answer, then trickles its candidates.
    const subscriber = peer()
    const channel: RTCDataChannel = subscriber.createDataChannel('red5pro')
    const received: string[] = []
    const kinds: string[] = []
    subscriber.addEventListener('track', (event: { track: MediaStreamTrack }) => {
      kinds.push(event.track.kind)
      event.track.onReceiveRtp.subscribe((rtp) => {
        if (event.track.kind === 'video') {
          received.push(rtp.payload.toString('hex'))
        }
      })
    })
    const messages: string[] = []
    channel.addEventListener('message', (event: { data: string | Buffer }) =>
      messages.push(String(event.data)),
    )
    await subscriber.setRemoteDescription({ type: 'offer', sdp: offer })
    await subscriber.setLocalDescription(await subscriber.createAnswer())
    const resource = `${media.url}${location}?requestId=sub-1`
    const answered = await fetch(resource, {
      method: 'PATCH',
      headers: sdp,
      body: subscriber.localDescription?.sdp ?? '',
    })
    expect(answered.status).toBe(204)
    const trickled = await fetch(resource, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' },
      body: subscriber.localDescription?.sdp ?? '', // the SDK sends a fragment cut from its SDP; the lines are the same
    })
    expect(trickled.status).toBe(204)

    // 4. Media flows: the publisher's payloads arrive unchanged, and the publisher was asked for a keyframe.
    await vi.waitFor(() => expect(received.length).toBeGreaterThan(5))
    expect(kinds.sort()).toEqual(['audio', 'video'])
    expect(received.every((payload) => publisher.sent.has(payload))).toBe(true)
    await vi.waitFor(() => expect(plis).toBeGreaterThan(0))
    expect(media.stats().subscribers).toBe(1)
    await vi.waitFor(() => expect(channel.readyState).toBe('open'))

    // 5. The publisher leaves: the subscriber hears NetStream.Play.UnpublishNotify and its session ends.
    expect((await fetch(publisher.resource, { method: 'DELETE' })).status).toBe(200)
    await vi.waitFor(() => expect(messages.length).toBeGreaterThan(0))
    expect(JSON.parse(messages[0] ?? '{}')).toMatchObject({
      data: { type: 'status', code: 'NetStream.Play.UnpublishNotify', streamName: 'cam1' },
    })
    await vi.waitFor(() => expect(media.stats().subscribers).toBe(0))
    expect((await fetch(resource, { method: 'DELETE' })).status).toBe(200)

    const whep = media.stats().requests.filter((r) => r.path.includes('/whep/'))
    expect(whep.map((r) => `${r.method} ${r.contentType ?? ''}`.trim())).toEqual([
      'POST application/sdp',
      'PATCH application/sdp',
      'PATCH application/trickle-ice-sdpfrag',
      'DELETE',
    ])
    expect(whep[0]?.query).toEqual({ requestId: 'sub-1', signal: 'true', doNotSwitch: 'false' })
  })

  it('asks the publisher for a keyframe when a subscriber connects, and again at 0.35, 0.7, 1.5 and 3 s (a publisher may drop one)', async () => {
    const media = await node()
    const publisher = await publish(media)
    const plis: number[] = []
    publisher.pc
      .getSenders()
      .find((sender) => sender.kind === 'video')
      ?.onPictureLossIndication.subscribe(() => plis.push(Date.now()))
    const viewer = peer()
    viewer.addTransceiver('video', { direction: 'recvonly' })
    viewer.addTransceiver('audio', { direction: 'recvonly' })
    await viewer.setLocalDescription(await viewer.createOffer())
    const response = await fetch(`${media.url}/live/whep/endpoint/cam1`, {
      method: 'POST',
      headers: sdp,
      body: viewer.localDescription?.sdp ?? '',
    })
    expect(response.status).toBe(201)
    await viewer.setRemoteDescription({ type: 'answer', sdp: await response.text() })
    await vi.waitFor(() => expect(plis.length).toBeGreaterThanOrEqual(5), { timeout: 6000, interval: 100 })
    const spread = plis[4]! - plis[0]!
    expect(spread).toBeGreaterThan(2500)
    expect(spread).toBeLessThan(4500)
  })

  it('tells a broadcaster its 1 Mbit/s limit (REMB) every 100 ms while its video arrives, and stops when the video does', async () => {
    const media = await node()
    const publisher = await publish(media)
    const video = publisher.pc.getSenders().find((sender) => sender.kind === 'video')!
    const rembs: { at: number; bitrate: bigint; ssrcs: number[] }[] = []
    video.onRtcp.subscribe((packet) => {
      if (
        packet instanceof RtcpPayloadSpecificFeedback &&
        packet.feedback instanceof ReceiverEstimatedMaxBitrate
      ) {
        rembs.push({ at: Date.now(), bitrate: packet.feedback.bitrate, ssrcs: packet.feedback.ssrcFeedbacks })
      }
    })
    await vi.waitFor(() => expect(rembs.length).toBeGreaterThan(0), { timeout: 5000, interval: 50 })
    const from = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const second = rembs.filter((r) => r.at >= from)
    // 10 a second; a loaded machine delays timers, not the count by much.
    expect(second.length).toBeGreaterThanOrEqual(7)
    expect(second.length).toBeLessThanOrEqual(12)
    for (const remb of second) {
      expect(remb.bitrate).toBe(1_000_000n)
      expect(remb.ssrcs).toEqual([video.ssrc])
    }
    publisher.stop()
    await new Promise((resolve) => setTimeout(resolve, 300))
    const stopped = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(rembs.filter((r) => r.at >= stopped)).toEqual([])
  })

  it("in 'auto' flavour answers a plain RFC 9725 offer with an SDP answer, and an empty POST with its own offer", async () => {
    const media = await node({ whepFlavour: 'auto' })
    await publish(media)
    const client = peer()
    client.addTransceiver('video', { direction: 'recvonly' })
    client.addTransceiver('audio', { direction: 'recvonly' })
    await client.setLocalDescription(await client.createOffer())
    const answered = await fetch(`${media.url}/live/whep/endpoint/cam1`, {
      method: 'POST',
      headers: sdp,
      body: client.localDescription?.sdp ?? '',
    })
    expect(answered.status).toBe(201)
    const answer = await answered.text()
    expect(answer).not.toContain('a=setup:actpass')
    expect(answer).toMatch(/^a=sendonly/m)
    expect(answer.match(/^a=msid:/gm)).toHaveLength(2)

    const empty = await fetch(`${media.url}/live/whep/endpoint/cam1`, { method: 'POST', headers: sdp })
    expect(empty.status).toBe(201)
    expect(await empty.text()).toContain('a=setup:actpass')
  })

  it("in 'client-offer' flavour still serves an empty WHEP POST with its own offer (there is nothing to answer)", async () => {
    const media = await node({ whepFlavour: 'client-offer' })
    await publish(media)
    // Nothing to answer: an empty body can only be served with the node's own offer.
    const empty = await fetch(`${media.url}/live/whep/endpoint/cam1?signal=true`, {
      method: 'POST',
      headers: sdp,
    })
    expect(empty.status).toBe(201)
    expect(await empty.text()).toContain('a=setup:actpass')
  })

  it('refuses a POST with the status authorize() returns and registers nothing', async () => {
    const seen: Record<string, string>[] = []
    const media = await node({
      authorize: ({ params, kind }) => {
        seen.push(params)
        return kind === 'publish' && params.password !== 'right' ? 406 : undefined
      },
    })
    const publisher = await publisherOffer()
    const response = await fetch(`${media.url}/live/whip/endpoint/cam1?username=ann&password=wrong`, {
      method: 'POST',
      headers: sdp,
      body: publisher.offer,
    })
    expect(response.status).toBe(406)
    expect(media.streams()).toEqual([])
    expect(seen).toEqual([{ username: 'ann', password: 'wrong' }])
    expect(media.stats().requests[0]?.query).toEqual({ username: 'ann', password: '***' })
  })

  it('rejects bodies of the wrong type (415) and PATCH or DELETE of unknown sessions (404)', async () => {
    const media = await node()
    const notSdp = await fetch(`${media.url}/live/whip/endpoint/cam1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    })
    expect(notSdp.status).toBe(415)
    const publisher = await publish(media)
    const wrongPatch = await fetch(publisher.resource, {
      method: 'PATCH',
      headers: { 'Content-Type': 'text/plain' },
    })
    expect(wrongPatch.status).toBe(415)
    const unknown = await fetch(`${media.url}/live/whep/resource/cam1/nope`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' },
      body: 'a=end-of-candidates\r\n',
    })
    expect(unknown.status).toBe(404)
    expect((await fetch(`${media.url}/elsewhere`, { method: 'POST' })).status).toBe(404)
  })

  it('kill() stops answering HTTP at once and drops every session', async () => {
    const media = await node()
    await publish(media)
    await media.kill()
    expect(media.streams()).toEqual([])
    await expect(fetch(`${media.url}/live/whip/endpoint/cam1`, { method: 'OPTIONS' })).rejects.toThrow()
  })

  it('close() ends every session and stops the server; a second close() is harmless', async () => {
    const media = await node()
    await publish(media)
    await media.close()
    await media.close()
    expect(media.stats()).toMatchObject({ publishers: 0, subscribers: 0 })
    await expect(fetch(`${media.url}/live/whip/endpoint/cam1`, { method: 'OPTIONS' })).rejects.toThrow()
  })
})
