/**
 * The media node accepts what a standards-following browser offers with `bundlePolicy: 'max-bundle'`:
 * Firefox's bundle-only media sections (port 0 + `a=bundle-only`, RFC 8843), on WHIP offers, on WHEP
 * client offers, and (should an answerer send them) in the answer to the node's own WHEP offer. werift
 * 0.24 alone treats those sections as rejected: the broadcaster's camera raises no track, so a viewer is
 * offered (or answered) no video at all: `m=video 0 ... a=inactive`. The three node tests fail without
 * media/bundle.ts.
 */
import * as SDPUtils from 'sdp'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { MediaStreamTrack } from 'werift'

import { acceptBundleOnlySections } from '../../src/emulator/media/bundle'
import { startMediaNode, type MediaNode } from '../../src/emulator/mediaNode'
import { weriftPeer, weriftPublisher, type Cleanups } from '../helpers/weriftMedia'
import { asFirefoxBundles, FIREFOX_WHEP_OFFER, FIREFOX_WHIP_OFFER } from './fixtures/firefox-sdp'

const cleanups: Cleanups = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup()
  }
})

async function node(): Promise<MediaNode> {
  const started = await startMediaNode({ name: 'bundle-node' })
  cleanups.push(() => started.close())
  return started
}

const sdp = { 'Content-Type': 'application/sdp' }

/** The media section of `description` for `kind`: its port and direction. */
function section(description: string, kind: string): { port: number; direction: string; msid: boolean } {
  const found = SDPUtils.getMediaSections(description).find((s) => SDPUtils.parseMLine(s).kind === kind)
  if (found === undefined) {
    throw new Error(`no m=${kind} section in\n${description}`)
  }
  return {
    port: SDPUtils.parseMLine(found).port ?? -1,
    direction: SDPUtils.getDirection(found, SDPUtils.getDescription(description)),
    msid: SDPUtils.matchPrefix(found, 'a=msid:').length > 0,
  }
}

/** POSTs `offer` to the node's WHIP endpoint; answers the response and its SDP. */
async function postWhip(media: MediaNode, stream: string, offer: string) {
  const response = await fetch(`${media.url}/live/whip/endpoint/${stream}`, {
    method: 'POST',
    headers: sdp,
    body: offer,
  })
  return { response, answer: await response.text() }
}

describe('acceptBundleOnlySections()', () => {
  it("gives Firefox's bundle-only video section the discard port and drops a=bundle-only; the first section is untouched", () => {
    const out = acceptBundleOnlySections(FIREFOX_WHIP_OFFER)
    expect(section(out, 'video')).toMatchObject({ port: 9, direction: 'sendonly' })
    expect(out).not.toContain('a=bundle-only')
    expect(SDPUtils.getMediaSections(out)[0]).toBe(SDPUtils.getMediaSections(FIREFOX_WHIP_OFFER)[0])
    expect(SDPUtils.isValidSDP(out)).toBe(true)
  })

  it('leaves a truly rejected section (port 0 without a=bundle-only) and a description without BUNDLE alone', () => {
    const rejected = FIREFOX_WHIP_OFFER.replace('a=bundle-only\r\n', '')
    expect(acceptBundleOnlySections(rejected)).toBe(rejected)
    const unbundled = FIREFOX_WHIP_OFFER.replace('a=group:BUNDLE 0 1\r\n', '')
    expect(acceptBundleOnlySections(unbundled)).toBe(unbundled)
  })
})

describe('the media node and bundle-only sections', () => {
  it("WHIP: takes Firefox's bundle-only camera section as a track: viewers are then offered video and audio", async () => {
    const media = await node()
    const { response, answer } = await postWhip(media, 'firefox-cam', FIREFOX_WHIP_OFFER)
    expect(response.status).toBe(201)
    expect(section(answer, 'audio')).toMatchObject({ direction: 'recvonly' })
    expect(section(answer, 'video')).toMatchObject({ port: 9, direction: 'recvonly' })
    // The node offers a viewer what it receives (Red5's server offer): the camera too, not just the mic.
    const offered = await fetch(`${media.url}/live/whep/endpoint/firefox-cam?signal=true`, {
      method: 'POST',
      headers: sdp,
    })
    expect(offered.status).toBe(201)
    const offer = await offered.text()
    expect(SDPUtils.getMediaSections(offer).map((s) => SDPUtils.parseMLine(s).kind)).toEqual([
      'audio',
      'video',
      'application',
    ])
    expect(section(offer, 'video')).toEqual({ port: 9, direction: 'sendonly', msid: true })
  })

  it('WHEP (client offer): a Firefox viewer of a Firefox broadcaster gets video sendonly with an msid, not m=video 0 inactive', async () => {
    const media = await node()
    const published = await postWhip(media, 'cam', FIREFOX_WHIP_OFFER)
    expect(published.response.status).toBe(201)
    const response = await fetch(`${media.url}/live/whep/endpoint/cam`, {
      method: 'POST',
      headers: sdp,
      body: FIREFOX_WHEP_OFFER,
    })
    expect(response.status).toBe(201)
    const answer = await response.text()
    expect(answer).not.toContain('a=setup:actpass') // an answer, not the node's own offer
    expect(section(answer, 'video')).toEqual({ port: 9, direction: 'sendonly', msid: true })
    expect(section(answer, 'audio')).toEqual({ port: 9, direction: 'sendonly', msid: true })
    expect(section(answer, 'application').port).not.toBe(0)
  })

  it('carries real RTP from a publisher that bundles as Firefox does to a viewer that answers the same way', async () => {
    const media = await node()
    const publisher = await weriftPublisher(cleanups)
    const published = await postWhip(media, 'cam', asFirefoxBundles(publisher.offer))
    expect(published.response.status).toBe(201)
    expect(section(published.answer, 'audio').port).not.toBe(0) // the first section: video
    await publisher.pc.setRemoteDescription({ type: 'answer', sdp: published.answer })

    // The viewer takes the node's own offer (Red5's flavour) and answers with bundle-only sections.
    const offered = await fetch(`${media.url}/live/whep/endpoint/cam?signal=true`, {
      method: 'POST',
      headers: sdp,
    })
    expect(offered.status).toBe(201)
    const viewer = weriftPeer(cleanups)
    const received = new Map<string, string[]>()
    viewer.addEventListener('track', (event: { track: MediaStreamTrack }) => {
      event.track.onReceiveRtp.subscribe((rtp) => {
        const list = received.get(event.track.kind) ?? []
        list.push(rtp.payload.toString('hex'))
        received.set(event.track.kind, list)
      })
    })
    await viewer.setRemoteDescription({ type: 'offer', sdp: await offered.text() })
    await viewer.setLocalDescription(await viewer.createAnswer())
    const answer = asFirefoxBundles(viewer.localDescription?.sdp ?? '')
    expect(answer).toContain('a=bundle-only')
    const patched = await fetch(new URL(offered.headers.get('location') ?? '', media.url), {
      method: 'PATCH',
      headers: sdp,
      body: answer,
    })
    expect(patched.status).toBe(204)

    // The publisher's video (a bundle-only section of its offer) reaches the viewer unchanged.
    await vi.waitFor(() => expect(received.get('video')?.length ?? 0).toBeGreaterThan(5), { timeout: 10_000 })
    expect(received.get('video')?.every((payload) => publisher.sent.has(payload))).toBe(true)
    await vi.waitFor(() => expect(received.get('audio')?.length ?? 0).toBeGreaterThan(5))
  })

  it('WHEP (client offer) of a camera-only broadcast: the audio section offered first (the BUNDLE tag) is answered inactive on port 9, not rejected', async () => {
    const media = await node()
    const publisher = await weriftPublisher(cleanups, ['video'])
    expect((await postWhip(media, 'cam-only', publisher.offer)).response.status).toBe(201)
    // What whipDriver offers in every browser: audio, video, data channel, one BUNDLE group.
    const viewer = weriftPeer(cleanups)
    viewer.addTransceiver('audio', { direction: 'recvonly' })
    viewer.addTransceiver('video', { direction: 'recvonly' })
    viewer.createDataChannel('red5pro')
    await viewer.setLocalDescription(await viewer.createOffer())
    const response = await fetch(`${media.url}/live/whep/endpoint/cam-only`, {
      method: 'POST',
      headers: sdp,
      body: viewer.localDescription?.sdp ?? '',
    })
    expect(response.status).toBe(201)
    const answer = await response.text()
    // Port 0 here made Chromium refuse the answer: "The m= section with mid='1' should be rejected".
    expect(section(answer, 'audio')).toEqual({ port: 9, direction: 'inactive', msid: false })
    expect(section(answer, 'video')).toEqual({ port: 9, direction: 'sendonly', msid: true })
    expect(SDPUtils.matchPrefix(answer, 'a=group:BUNDLE')).toEqual(['a=group:BUNDLE 0 1 2'])
  })
})
