/**
 * The page bench/ttff.bench.ts drives in Chromium (bundled with the BUILT package, as a web app would
 * bundle it). One viewer per page: `prepare()` runs at page load (what an app does before the user
 * acts), the bench then clicks `#play`, and the page stamps the click and the first frame the <video>
 * presents (requestVideoFrameCallback). Every HTTP request the page makes (fetch and XMLHttpRequest,
 * ours and the Red5 SDK's alike) is recorded with its time, so the bench can count round trips.
 *
 * Variants:
 * - `cold`: nothing at load; at the click `createClient()` + `subscribe()` (discovery, assignment, signalling).
 * - `ready`: `createClient()` + `client.ready()` at load (the manifest is there); at the click `subscribe()`.
 * - `ready-serial`: `ready` with the page holding each WHEP POST until the OPTIONS before it has answered,
 *   and taking the candidates out of the PATCHed SDP answer: what whipDriver did before it sent the two
 *   together and let the answer wait for its first candidates (the same-run baseline of both cuts).
 * - `red5-sm1`: Red5's SDK alone, as Red5's testbed does with Stream Manager 1.x: at the click, GET the edge
 *   (`/streammanager/api/4.0/event/live/{stream}?action=subscribe`), then WHEPClient through the Stream
 *   Manager's `live` proxy (host = the Stream Manager, app `live`).
 * - `red5-sm2`: Red5's SDK alone with Stream Manager 2.0 (SDK 13+): `endpoint` =
 *   `{sm}/as/v1/proxy/whep/live/{stream}` + `connectionParams.nodeGroup`; the proxy picks the node.
 * The SDK script is loaded at `prepare()`, so no variant pays for loading code at the click.
 * bench/ttff/entry.js imports the package by name (from dist/) and calls {@link install}.
 */
import type * as Sdk from '../../src/index'

/** What one page measures. */
export interface TtffSpec {
  variant: 'cold' | 'ready' | 'ready-serial' | 'red5-sm1' | 'red5-sm2'
  discovery: string
  /** Role or environment name our client selects. */
  environment: string
  /** The Stream Manager the Red5 SDK alone is pointed at. */
  streamManager: string
  streamName: string
  /** The Red5 SDK script to load (`red5-*` variants), a path on the page's server. */
  sdkScript?: string
}

/** One request the page made. */
export interface PageRequest {
  method: string
  url: string
  /** performance.now() when it was sent. */
  at: number
  /** performance.now() when its answer (status and headers) came, if it came. */
  doneAt?: number
  /** The answer's status. */
  status?: number
}

/** One step of the viewer's peer connection (performance.now()), for the bench's trace of slow runs. */
export interface PeerStep {
  at: number
  /** `icegathering:complete`, `candidate:host udp 127.0.0.1`, `ice:connected`, `connection:connected`, `srd`, ... */
  step: string
}

/** What the bench reads back. */
export interface TtffState {
  clickAt?: number
  firstFrameAt?: number
  error?: string
  requests: PageRequest[]
  steps: PeerStep[]
}

interface WhepClient {
  init(config: Record<string, unknown>): Promise<unknown>
  subscribe(): Promise<unknown>
  unsubscribe(): Promise<unknown>
}

let sdk: typeof Sdk
const state: TtffState = { requests: [], steps: [] }
let spec: TtffSpec | undefined
let client: Sdk.BlueGreenClient | undefined
let video: HTMLVideoElement | undefined
let red5: WhepClient | undefined

function record(method: string, url: string): PageRequest {
  const entry: PageRequest = { method: method.toUpperCase(), url, at: performance.now() }
  state.requests.push(entry)
  return entry
}

function step(name: string): void {
  state.steps.push({ at: performance.now(), step: name })
}

const realFetch = globalThis.fetch.bind(globalThis)
/** `ready-serial`: the OPTIONS in flight, which the next POST waits for. */
let optionsInFlight: Promise<unknown> | undefined
globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const request = input instanceof Request ? input : undefined
  const method = (init?.method ?? request?.method ?? 'GET').toUpperCase()
  const serial = spec?.variant === 'ready-serial'
  if (serial && method === 'POST' && optionsInFlight !== undefined) {
    await optionsInFlight.catch(() => undefined)
  }
  const entry = record(method, request ? request.url : String(input))
  const answer =
    serial && method === 'PATCH' && new Headers(init?.headers).get('content-type') === 'application/sdp'
  const response = answer
    ? realFetch(input, {
        ...init,
        body: String(init?.body).replace(/^a=(candidate:|end-of-candidates).*\r?\n/gm, ''),
      })
    : realFetch(input, init)
  if (serial && method === 'OPTIONS') {
    optionsInFlight = response
  }
  void response.then(
    (r) => Object.assign(entry, { doneAt: performance.now(), status: r.status }),
    () => Object.assign(entry, { doneAt: performance.now(), status: 0 }),
  )
  return response
}
const realOpen = XMLHttpRequest.prototype.open
XMLHttpRequest.prototype.open = function open(this: XMLHttpRequest, ...args: unknown[]) {
  const entry = record(String(args[0]), String(args[1]))
  this.addEventListener('readystatechange', () => {
    if (this.readyState === XMLHttpRequest.HEADERS_RECEIVED) {
      Object.assign(entry, { doneAt: performance.now(), status: this.status })
    }
  })
  return (realOpen as (...a: unknown[]) => void).apply(this, args)
} as typeof XMLHttpRequest.prototype.open

/**
 * Every peer connection the page makes (ours and the Red5 SDK's) reports its steps: descriptions set,
 * candidates gathered, ICE and connection states, the first packet received (inbound-rtp getStats).
 */
const RealPeerConnection = globalThis.RTCPeerConnection
globalThis.RTCPeerConnection = class extends RealPeerConnection {
  constructor(config?: RTCConfiguration) {
    super(config)
    step('pc:new')
    this.addEventListener('icegatheringstatechange', () => step(`icegathering:${this.iceGatheringState}`))
    this.addEventListener('iceconnectionstatechange', () => step(`ice:${this.iceConnectionState}`))
    this.addEventListener('connectionstatechange', () => step(`connection:${this.connectionState}`))
    this.addEventListener('icecandidate', (event: RTCPeerConnectionIceEvent) =>
      step(
        event.candidate === null
          ? 'candidate:end'
          : `candidate:${event.candidate.type ?? '?'} ${event.candidate.protocol ?? '?'} ${event.candidate.address ?? '?'}`,
      ),
    )
    this.addEventListener('track', () => step('track'))
    void this.watchFirstPacket()
  }

  override async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    step(`srd:${description.type}`)
    await super.setRemoteDescription(description)
    step(`srd:${description.type}:done`)
  }

  override async setLocalDescription(description?: RTCLocalSessionDescriptionInit): Promise<void> {
    step(`sld:${description?.type ?? 'implicit'}`)
    await super.setLocalDescription(description)
    step('sld:done')
  }

  /**
   * Polls getStats (what webrtc-internals shows) for the first video packet and the first decoded frame,
   * with the keyframe requests (PLI/FIR) the viewer had sent by then.
   */
  private async watchFirstPacket(): Promise<void> {
    let packet = false
    for (let i = 0; i < 600 && this.connectionState !== 'closed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25))
      const stats = await this.getStats().catch(() => undefined)
      for (const report of stats?.values() ?? []) {
        const r = report as Record<string, unknown>
        if (r.type !== 'inbound-rtp' || r.kind !== 'video') {
          continue
        }
        if (!packet && Number(r.packetsReceived ?? 0) > 0) {
          packet = true
          step(`first video packet (pli ${String(r.pliCount)}, fir ${String(r.firCount)})`)
        }
        if (Number(r.framesDecoded ?? 0) > 0) {
          step(`first frame decoded (pli ${String(r.pliCount)}, fir ${String(r.firCount)})`)
          return
        }
      }
    }
  }
}

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script')
    script.src = src
    script.onload = () => resolve()
    script.onerror = () => reject(new Error(`could not load ${src}`))
    document.head.append(script)
  })
}

function newClient(s: TtffSpec): Sdk.BlueGreenClient {
  return sdk.createClient({ discovery: s.discovery, environment: s.environment, driver: sdk.whipDriver() })
}

/** The viewer's <video>: muted autoplay, as a page that starts playing on a click has it. */
const VIDEO = { id: 'viewer', autoplay: true, muted: true, playsInline: true, width: 320, height: 240 }

/** Runs at page load: the video element, and what the variant does before the user acts. */
async function prepare(s: TtffSpec): Promise<void> {
  spec = s
  const element = Object.assign(document.createElement('video'), VIDEO)
  video = element
  document.body.append(element)
  element.requestVideoFrameCallback((_now, metadata) => {
    state.firstFrameAt = metadata.presentationTime
  })
  if (s.variant === 'ready' || s.variant === 'ready-serial') {
    client = newClient(s)
    await client.ready()
  }
  if (s.sdkScript !== undefined) {
    await loadScript(s.sdkScript)
  }
  state.requests.length = 0
  state.steps.length = 0
}

function red5sdk(): { WHEPClient: new () => WhepClient } {
  const global = (globalThis as { red5prosdk?: { WHEPClient: new () => WhepClient } }).red5prosdk
  if (global === undefined) {
    throw new Error('the Red5 SDK script did not define red5prosdk')
  }
  return global
}

/** Red5's SDK alone: the config both flows share. */
function red5Config(s: TtffSpec): Record<string, unknown> {
  const url = new URL(s.streamManager)
  return {
    protocol: url.protocol === 'https:' ? 'wss' : 'ws',
    host: url.hostname,
    port: Number(url.port),
    app: 'live',
    streamName: s.streamName,
    mediaElementId: 'viewer',
    // Its own id per viewer (the SDK's default collides: knowledge/red5pro-wire.md).
    subscriptionId: `ttff-${Math.random().toString(36).slice(2)}`,
  }
}

async function play(): Promise<void> {
  const s = spec
  if (s === undefined || video === undefined) {
    throw new Error('prepare() first')
  }
  switch (s.variant) {
    case 'cold':
      client = newClient(s)
      await client.subscribe({ streamName: s.streamName, mediaElement: video })
      return
    case 'ready':
    case 'ready-serial':
      await client!.subscribe({ streamName: s.streamName, mediaElement: video })
      return
    case 'red5-sm1': {
      const edge = await fetch(
        `${s.streamManager}/streammanager/api/4.0/event/live/${encodeURIComponent(s.streamName)}?action=subscribe`,
      )
      if (!edge.ok) {
        throw new Error(`Stream Manager answered ${edge.status}`)
      }
      await edge.json()
      red5 = new (red5sdk().WHEPClient)()
      await red5.init(red5Config(s))
      await red5.subscribe()
      return
    }
    case 'red5-sm2':
      red5 = new (red5sdk().WHEPClient)()
      await red5.init({
        ...red5Config(s),
        endpoint: `${s.streamManager}/as/v1/proxy/whep/live/${encodeURIComponent(s.streamName)}`,
        connectionParams: { nodeGroup: 'default' },
      })
      await red5.subscribe()
      return
  }
}

document.querySelector('#play')?.addEventListener('click', () => {
  state.clickAt = performance.now()
  play().catch((error: unknown) => {
    state.error = error instanceof Error ? error.message : String(error)
  })
})

/** Publishes the fake camera and microphone with our client on `environment` (the broadcaster page). */
async function publish(discovery: string, environment: string, streamName: string): Promise<void> {
  const mediaStream = await navigator.mediaDevices.getUserMedia({
    video: { width: 640, height: 480 },
    audio: true,
  })
  const publisher = sdk.createClient({ discovery, environment, driver: sdk.whipDriver() })
  await publisher.publish({ streamName, mediaStream })
}

/** The page's API for the bench (page.evaluate). */
const api = {
  prepare,
  publish,
  state: (): TtffState => state,
  async close(): Promise<void> {
    await Promise.all([client?.close(), red5?.unsubscribe().catch(() => undefined)])
  },
}

/** The type of `window.ttff`. */
export type TtffApi = typeof api

/** Installs `window.ttff` over the package the page bundled. */
export function install(bundled: typeof Sdk): void {
  sdk = bundled
  ;(globalThis as { ttff?: TtffApi }).ttff = api
}
