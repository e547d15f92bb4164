/**
 * The in-page side of the end-to-end tests: clients and sessions of the built package, driven from the
 * test through `window.e2e` (page.evaluate), with every rendered subscriber frame recorded.
 *
 * Frames: each subscriber plays in a real <video> element; `requestVideoFrameCallback` stamps every frame
 * the compositor presents (`presentationTime`, the page's performance.now() timebase; Chromium and
 * Firefox both have it). The longest gap between two stamps is the freeze a viewer would see. The
 * decoder's own count is `framesDecoded` of the receiver's inbound-rtp statistics, in every engine
 * (`getVideoPlaybackQuality().totalVideoFrames` stays 0 for MediaStream video in Firefox).
 */
import type * as Sdk from '../../../src/index'
import { inboundCounters } from './peers'
import { red5AloneApi } from './red5Alone'

/** A client as the tests describe it (JSON, so it can cross page.evaluate). */
export interface ClientSpec {
  discovery: string
  /** Role or environment name. @default 'production' */
  environment?: string
  /** `auto` (the default), `red5pro` (the Red5 SDK) or `whip`. */
  driver?: 'auto' | 'red5pro' | 'whip'
  migration?: Sdk.MigrationOptions
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number }
  /** Sent to the nodes on every WHIP/WHEP request (round-trip authentication). */
  connectionParams?: Record<string, string>
}

/** A session event as recorded in the page. */
export interface RecordedEvent {
  /** performance.now() when it fired. */
  at: number
  name: string
  detail: unknown
}

/** What the tests read about one session. */
export interface SessionInfo {
  id: string
  kind: 'publish' | 'subscribe'
  state: string
  environment: string
  events: RecordedEvent[]
  /** Subscribers: frames presented so far, the video's size. */
  frames: number
  videoWidth: number
  videoHeight: number
  /** Subscribers: the decoder's count (inbound-rtp `framesDecoded` of the current connection). */
  framesDecoded: number
  /** Subscribers: audio packets received (inbound-rtp `packetsReceived` of the current connection). */
  audioPacketsReceived: number
}

/** What a broadcaster sends: the fake camera, the fake microphone, or both. */
export type MediaKinds = 'camera+microphone' | 'camera' | 'microphone'

interface Tracked {
  session: Sdk.Session
  video: HTMLVideoElement
  frames: number[]
  events: RecordedEvent[]
}

const SESSION_EVENTS = [
  'statechange',
  'migrating',
  'migrated',
  'reconnecting',
  'reconnected',
  'failed',
  'closed',
] as const

/** JSON-safe copy of an event payload (errors become `{ code, message }`). */
function plain(value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, code: (value as { code?: unknown }).code, message: value.message }
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  }
  return value
}

/** Red5's SDK, as an app that installed it gives it: in its own chunk, loaded on the first session. */
const loadRed5proSdk = (): Promise<unknown> => import('red5pro-webrtc-sdk')

/** The API the tests call as `window.e2e`. */
export function createApi(sdk: typeof Sdk) {
  const clients = new Map<string, Sdk.BlueGreenClient>()
  const sessions = new Map<string, Tracked>()
  const clientEvents: RecordedEvent[] = []
  const logs: string[] = []
  const logger = (clientId: string): Sdk.Logger => {
    const write =
      (level: string) =>
      (message: string, ...data: unknown[]): void => {
        const extra =
          data.length === 0
            ? ''
            : ` ${data.map((d) => (d instanceof Error ? d.message : String(d))).join(' ')}`
        logs.push(`${performance.now().toFixed(0).padStart(7)} ${clientId} ${level} ${message}${extra}`)
        if (logs.length > 5000) {
          logs.splice(0, 1000)
        }
      }
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
  }
  const captures = new Map<MediaKinds, Promise<MediaStream>>()
  const capture = (kinds: MediaKinds): Promise<MediaStream> => {
    let found = captures.get(kinds)
    if (found === undefined) {
      found = navigator.mediaDevices.getUserMedia({
        video: kinds === 'microphone' ? false : { width: 640, height: 480 },
        audio: kinds !== 'camera',
      })
      captures.set(kinds, found)
    }
    return found
  }

  function track(id: string, session: Sdk.Session, video: HTMLVideoElement): Tracked {
    const tracked: Tracked = { session, video, frames: [], events: [] }
    for (const name of SESSION_EVENTS) {
      session.on(name, (detail?: unknown) => {
        tracked.events.push({ at: performance.now(), name, detail: plain(detail) })
      })
    }
    sessions.set(id, tracked)
    return tracked
  }

  function recordFrames(tracked: Tracked): void {
    const onFrame: VideoFrameRequestCallback = (_now, metadata) => {
      tracked.frames.push(metadata.presentationTime)
      if (tracked.session.state !== 'closed') {
        tracked.video.requestVideoFrameCallback(onFrame)
      }
    }
    tracked.video.requestVideoFrameCallback(onFrame)
  }

  function video(label: string): HTMLVideoElement {
    const element = document.createElement('video')
    element.autoplay = true
    element.muted = true
    element.playsInline = true
    element.width = 320
    element.height = 240
    element.title = label
    document.body.append(element)
    return element
  }

  function client(id: string): Sdk.BlueGreenClient {
    const found = clients.get(id)
    if (!found) {
      throw new Error(`no client ${id}`)
    }
    return found
  }

  function tracked(id: string): Tracked {
    const found = sessions.get(id)
    if (!found) {
      throw new Error(`no session ${id}`)
    }
    return found
  }

  const red5Alone = red5AloneApi(loadRed5proSdk)
  const api = {
    ...red5Alone,

    /** Creates a client and waits for its first manifest; answers the selected environment. */
    async createClient(id: string, spec: ClientSpec): Promise<Sdk.EnvironmentInfo> {
      const driver =
        spec.driver === 'red5pro'
          ? sdk.red5proDriver({ logger: logger(id), sdk: loadRed5proSdk })
          : spec.driver === 'whip'
            ? sdk.whipDriver()
            : 'auto'
      const created = sdk.createClient({
        discovery: spec.discovery,
        red5proSdk: loadRed5proSdk,
        environment: spec.environment ?? 'production',
        driver,
        ...(spec.migration ? { migration: spec.migration } : {}),
        ...(spec.reconnect ? { reconnect: spec.reconnect } : {}),
        ...(spec.connectionParams ? { connectionParams: spec.connectionParams } : {}),
        logger: logger(id),
      })
      for (const name of ['manifest', 'environmentchange', 'stale', 'error'] as const) {
        created.on(name, (detail: unknown) => {
          clientEvents.push({ at: performance.now(), name: `${id}:${name}`, detail: plain(detail) })
        })
      }
      clients.set(id, created)
      return created.ready()
    },

    /** Publishes the browser's fake camera and microphone (or one of them); answers the session id. */
    async publish(
      clientId: string,
      streamName: string,
      sessionId: string,
      kinds: MediaKinds = 'camera+microphone',
    ): Promise<string> {
      const mediaStream = await capture(kinds)
      const preview = video(`${sessionId} preview`)
      const session = await client(clientId).publish({ streamName, mediaStream, mediaElement: preview })
      track(sessionId, session, preview)
      return sessionId
    },

    /** Plays a stream in a new <video>, recording every frame; answers the session id. */
    async subscribe(clientId: string, streamName: string, sessionId: string): Promise<string> {
      const element = video(sessionId)
      const session = await client(clientId).subscribe({ streamName, mediaElement: element })
      recordFrames(track(sessionId, session, element))
      return sessionId
    },

    /**
     * Publishes (the fake camera) or subscribes and answers how it went, for the failure cases: the
     * error's `code`, `status` and message, or `ok`. A session that started is closed again.
     */
    async attempt(
      clientId: string,
      kind: 'publish' | 'subscribe',
      streamName: string,
    ): Promise<{ ok: boolean; code?: string; status?: number; message?: string }> {
      try {
        const session =
          kind === 'publish'
            ? await client(clientId).publish({
                streamName,
                mediaStream: await capture('camera+microphone'),
              })
            : await client(clientId).subscribe({ streamName, mediaElement: video(`${clientId} attempt`) })
        await session.close()
        return { ok: true }
      } catch (error) {
        const { code, status, message } = error as { code?: string; status?: number; message?: string }
        return {
          ok: false,
          ...(code === undefined ? {} : { code }),
          ...(status === undefined ? {} : { status }),
          message: String(message),
        }
      }
    },

    async info(sessionId: string): Promise<SessionInfo> {
      const { session, video: element, frames, events } = tracked(sessionId)
      const counters = session.kind === 'subscribe' ? await inboundCounters(element) : undefined
      return {
        id: sessionId,
        kind: session.kind,
        state: session.state,
        environment: session.environment,
        events,
        frames: frames.length,
        videoWidth: element.videoWidth,
        videoHeight: element.videoHeight,
        framesDecoded: counters?.framesDecoded ?? 0,
        audioPacketsReceived: counters?.audioPacketsReceived ?? 0,
      }
    },

    /** Every session, for failure reports. */
    all(): Promise<SessionInfo[]> {
      return Promise.all([...sessions.keys()].map((id) => api.info(id)))
    },

    /** Frame stamps (performance.now() timebase) of a subscriber. */
    frames(sessionId: string): number[] {
      return tracked(sessionId).frames
    },

    /** The clients' log lines (the library's own account, for failure reports). */
    logs(): string[] {
      return logs
    },

    clientEvents(): RecordedEvent[] {
      return clientEvents
    },

    /** The client's selected environment, as it knows it now. */
    environment(clientId: string): Sdk.EnvironmentInfo | undefined {
      return client(clientId).environment
    },

    now(): number {
      return performance.now()
    },

    async closeAll(): Promise<void> {
      await red5Alone.red5AloneCloseAll()
      await Promise.all([...clients.values()].map((c) => c.close()))
      clients.clear()
    },
  }
  return api
}

/** The type of `window.e2e`. */
export type E2eApi = ReturnType<typeof createApi>

/** Installs `window.e2e`. */
export function install(sdk: typeof Sdk): void {
  ;(globalThis as { e2e?: E2eApi }).e2e = createApi(sdk)
}
