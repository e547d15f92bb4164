/**
 * Round trips a whipDriver viewer waits on before its first frame, over real loopback HTTP in front of
 * the werift media node. The OPTIONS request only brings ICE servers, so the viewer's POST goes out
 * with it instead of after it (one round trip, plus the OPTIONS' CORS preflight in a browser, less; see
 * bench/ttff.bench.ts). A gate in front of the node holds every WHEP OPTIONS answer until the POST
 * has arrived (or HOLD_MS has passed): a driver that waited for the OPTIONS answer would POST only
 * after the hold.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { RTCPeerConnection } from 'werift'

import { forward, requestTarget, startHttpServer, type HttpServerHandle } from '../../src/emulator/http'
import { startMediaNode, type MediaNode } from '../../src/emulator/mediaNode'
import { scopedLogger } from '../../src/environment'
import type { SignalingTarget } from '../../src/session/drivers/Driver'
import { whipDriver, type WhepFlavour } from '../../src/session/drivers/whip'
import { LOOPBACK, weriftPublisher, type Cleanups } from '../helpers/weriftMedia'

/** How long the gate holds an OPTIONS answer at most, in ms (a bound, not a measured figure). */
const HOLD_MS = 3000
const STUN = 'stun:127.0.0.1:9'

const cleanups: Cleanups = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup()
  }
})

/** What the gate saw of the WHEP requests. */
interface Gate {
  readonly url: string
  /** `OPTIONS`, `POST`, ... in the order they arrived; `POST (OPTIONS pending)` when an OPTIONS was held. */
  readonly arrived: string[]
}

async function gate(media: MediaNode): Promise<Gate> {
  const arrived: string[] = []
  let pending = 0
  let postArrived: () => void = () => undefined
  const post = new Promise<void>((resolve) => (postArrived = resolve))
  const server: HttpServerHandle = await startHttpServer(
    async (req, res) => {
      const { path } = requestTarget(req)
      const whep = path.includes('/whep/')
      if (whep && req.method === 'OPTIONS') {
        arrived.push('OPTIONS')
        pending++
        await Promise.race([post, new Promise((resolve) => setTimeout(resolve, HOLD_MS))])
        pending--
      } else if (whep && req.method === 'POST') {
        arrived.push(pending > 0 ? 'POST (OPTIONS pending)' : 'POST')
        postArrived()
      }
      await forward(req, res, {
        nodeUrl: media.url,
        path: req.url ?? '/',
        rewriteLocation: (absolute) => `${server.url}${absolute.pathname}${absolute.search}`,
      })
    },
    { port: 0, logger: scopedLogger(undefined, 'gate'), label: 'gate' },
  )
  cleanups.push(() => server.close())
  return { url: server.url, arrived }
}

/** Publishes `cam1` on the node with a werift publisher sending RTP. */
async function publish(media: MediaNode): Promise<void> {
  const publisher = await weriftPublisher(cleanups)
  const answer = await fetch(`${media.url}/live/whip/endpoint/cam1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp' },
    body: publisher.offer,
  })
  expect(answer.status).toBe(201)
  await publisher.pc.setRemoteDescription({ type: 'answer', sdp: await answer.text() })
}

/** werift on loopback, with the configuration it was given kept for the test. */
async function loopbackPeer(): Promise<new (config?: object) => RTCPeerConnection> {
  const { RTCPeerConnection: Peer } = await import('werift')
  return class extends Peer {
    constructor(config?: object) {
      super({ ...config, ...LOOPBACK })
    }
  }
}

function target(url: string): SignalingTarget {
  return {
    kind: 'subscribe',
    environment: 'green',
    streamName: 'cam1',
    app: 'live',
    endpoint: `${url}/live/whep/endpoint/cam1`,
    serverAddress: new URL(url).host,
  }
}

describe('whipDriver viewer: OPTIONS and POST together', () => {
  it.each<WhepFlavour>(['server-offer', 'client-offer'])(
    'the POST goes out while the OPTIONS answer is pending, and its ICE servers still configure the connection (%s node)',
    async (flavour) => {
      const media = await startMediaNode({ name: 'rt', whepFlavour: flavour, iceServers: [{ urls: STUN }] })
      cleanups.push(() => media.close())
      await publish(media)
      const front = await gate(media)
      const driver = whipDriver({ RTCPeerConnection: (await loopbackPeer()) as never })
      const session = await driver.subscribe(target(front.url), {}, new AbortController().signal)
      cleanups.push(() => session.close())

      expect(front.arrived.slice(0, 2)).toEqual(['OPTIONS', 'POST (OPTIONS pending)'])
      // The Link ICE servers of the (late) OPTIONS answer are in the live peer connection's configuration.
      const pc = session.peerConnection as unknown as RTCPeerConnection
      expect(pc.getConfiguration().iceServers.map((s) => s.urls)).toContain(STUN)
    },
  )
})

/** How long after setLocalDescription() the browser-like peer below shows its candidates, in ms. */
const GATHER_MS = 20

/**
 * werift behaving like a browser's peer connection: its candidates show in `localDescription` (and
 * gathering completes) only GATHER_MS after `setLocalDescription()`, where werift has them at once.
 */
async function browserLikePeer(): Promise<new (config?: object) => RTCPeerConnection> {
  const Loopback = await loopbackPeer()
  const Peer = class extends Loopback {
    #visibleAt = Number.POSITIVE_INFINITY
    constructor(config?: object) {
      super(config)
      const set = this.setLocalDescription.bind(this)
      this.setLocalDescription = (async (description?: never) => {
        const done = await set(description)
        this.#visibleAt = Date.now() + GATHER_MS
        return done
      }) as typeof set
    }
    override get localDescription(): RTCPeerConnection['localDescription'] {
      const description = super.localDescription
      if (description === null || Date.now() >= this.#visibleAt) {
        return description
      }
      const sdp = description.sdp.replace(/^a=(candidate:|end-of-candidates).*\r?\n/gm, '')
      return { ...description, sdp } as RTCPeerConnection['localDescription']
    }
    override get iceGatheringState(): RTCPeerConnection['iceGatheringState'] {
      return Date.now() >= this.#visibleAt ? super.iceGatheringState : 'gathering'
    }
  }
  return Peer as unknown as new (config?: object) => RTCPeerConnection
}

/** A server-offer (Red5 flavour) node with `cam1` published on it. */
async function publishedServerOfferNode(): Promise<MediaNode> {
  const media = await startMediaNode({ name: 'rt', whepFlavour: 'server-offer' })
  cleanups.push(() => media.close())
  await publish(media)
  return media
}

describe('whipDriver viewer: candidates on the answer', () => {
  it('the PATCHed SDP answer carries the host candidates gathered just after it was made (server-offer node)', async () => {
    const media = await publishedServerOfferNode()
    const answers: string[] = []
    const recording: typeof fetch = (input, init) => {
      if (init?.method === 'PATCH' && new Headers(init.headers).get('content-type') === 'application/sdp') {
        answers.push(String(init.body))
      }
      return fetch(input, init)
    }
    const driver = whipDriver({ RTCPeerConnection: (await browserLikePeer()) as never, fetch: recording })
    const session = await driver.subscribe(target(media.url), {}, new AbortController().signal)
    cleanups.push(() => session.close())

    expect(answers).toHaveLength(1)
    // The node can check them as soon as it has the answer, not one trickle request later.
    expect(answers[0]).toMatch(/^a=candidate:.* 127\.0\.0\.1 /m)
  })
})

describe('whipDriver viewer: trickle after the answer (server-offer node)', () => {
  it('sends no trickle PATCH until the node has taken the SDP answer, even when that answer is slow', async () => {
    const media = await publishedServerOfferNode()
    /** What the node's resource saw, in order: `answer sent`, `answer taken`, `trickle sent`. */
    const events: string[] = []
    const slowAnswer: typeof fetch = async (input, init) => {
      const type = new Headers(init?.headers).get('content-type')
      if (init?.method === 'PATCH' && type === 'application/sdp') {
        events.push('answer sent')
        // A loaded node (or a long round trip) answers the answer PATCH late; the driver's own trickle
        // batch (trickleBatchMs, 30 ms) would fire meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 300))
        const response = await fetch(input, init)
        events.push('answer taken')
        return response
      }
      if (init?.method === 'PATCH' && type === 'application/trickle-ice-sdpfrag') {
        events.push('trickle sent')
      }
      return fetch(input, init)
    }
    const driver = whipDriver({ RTCPeerConnection: (await loopbackPeer()) as never, fetch: slowAnswer })
    const session = await driver.subscribe(target(media.url), {}, new AbortController().signal)
    cleanups.push(() => session.close())

    expect(events.slice(0, 2)).toEqual(['answer sent', 'answer taken'])
  })
})
