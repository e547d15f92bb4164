/**
 * `whipDriver()`: standards WHIP (RFC 9725) publishing and WHEP playback over any `RTCPeerConnection`:
 * the browser's, or werift's in Node. Speaks Red5 Pro's server-offer WHEP flavour as well as the
 * RFC 9725 client-offer one, and keeps the Stream Manager 2.0 proxy's routing parameters (`host`,
 * `requestId`) on every request of a session.
 */
import { resolveEnvironment, type Clock, type FetchLike, type Logger } from '../../environment'
import { BlueGreenError } from '../../errors'
import type { Driver, DriverPublishOptions, DriverSubscribeOptions, SignalingTarget } from './Driver'
import { WHIP_DEFAULTS } from './whip/defaults'
import type { PeerConnectionConstructor } from './whip/peer'
import type { WhipDriverSession, WhipSession, WhipSettings } from './whip/session'

export type {
  DataChannelLike,
  DescriptionLike,
  PeerConnectionConstructor,
  PeerConnectionLike,
  StatsReportLike,
  TrackLike,
} from './whip/peer'
export type { WhipDriverSession } from './whip/session'

/**
 * How a WHEP server negotiates.
 * - `server-offer`: Red5 Pro's flavour: the client POSTs (an offer it never applies, or nothing), the
 *   server answers 201 with ITS OWN offer, the client PATCHes its answer (`application/sdp`).
 * - `client-offer`: RFC 9725: the client POSTs an offer, the server answers 201 with an answer.
 * - `auto`: POST a client offer and follow whichever the server does (an offer says `a=setup:actpass`).
 */
export type WhepFlavour = 'auto' | 'server-offer' | 'client-offer'

/** Options of {@link whipDriver}. All optional. */
export interface WhipDriverOptions {
  /**
   * The peer connection class. In Node pass werift's: `import { RTCPeerConnection } from 'werift'`.
   * @default globalThis.RTCPeerConnection, looked up at each publish/subscribe
   */
  RTCPeerConnection?: PeerConnectionConstructor | undefined
  /** `fetch` for WHIP/WHEP requests. @default globalThis.fetch, at call time */
  fetch?: FetchLike | undefined
  /** Clock for every timeout, poll and grace period. @default the system clock */
  clock?: Clock | undefined
  /** Randomness for backoff jitter and `requestId` when `crypto.randomUUID` is missing. @default Math.random */
  random?: (() => number) | undefined
  /** Where log lines go (`red5pro-bluegreen:whip`). Connection parameter values are never logged. @default none */
  logger?: Partial<Logger> | undefined
  /** WHEP dialect. @default 'auto' */
  whepFlavour?: WhepFlavour | undefined
  /** Base peer connection configuration; per-call `rtcConfiguration` wins, `Link` ICE servers are added. @default {} */
  rtcConfiguration?: RTCConfiguration | undefined
  /**
   * Send local ICE candidates in PATCH requests (`application/trickle-ice-sdpfrag`, batched). When false,
   * the offer or answer is sent once ICE gathering completes (or `iceGatheringTimeoutMs` passes).
   * @default true
   */
  trickle?: boolean | undefined
  /**
   * Label of the data channel a subscriber opens (Red5 Pro sends status messages such as
   * `NetStream.Play.UnpublishNotify` on it); `false` for none.
   * @default 'red5pro'
   */
  dataChannelLabel?: string | false | undefined
  /** Bound on each HTTP request. @default 10000 */
  requestTimeoutMs?: number | undefined
  /** Bound on start-up, from the first request until media flows; then `TIMEOUT`. @default 15000 */
  connectTimeoutMs?: number | undefined
  /** With `trickle: false`, how long to wait for ICE gathering before sending what there is. @default 3000 */
  iceGatheringTimeoutMs?: number | undefined
  /** How long local candidates are collected before one PATCH carries them. @default 30 */
  trickleBatchMs?: number | undefined
  /** getStats() poll interval while waiting for media to flow. @default 100 */
  mediaPollIntervalMs?: number | undefined
  /** getStats() poll interval of the liveness watch once live. @default 250 */
  livenessIntervalMs?: number | undefined
  /**
   * Nothing received (RTP, RTCP, STUN) for this long counts as disconnected.
   * For a broadcaster: no RTCP feedback from a node whose feedback has come steadily (congestion
   * feedback, transport-wide or REMB, every 50-200 ms), else at least 1.5 s between the node's receiver reports.
   * @default 750
   */
  inactivityTimeoutMs?: number | undefined
  /**
   * How long a disconnect may last before the session ends (`onEnd`) and the session layer reconnects.
   * Short on purpose: the picture is already frozen, and a reconnect takes about a second.
   * @default 250
   */
  disconnectGraceMs?: number | undefined
  /** POST attempts when the server answers 503 or 429 (waiting `Retry-After`, capped). @default 3 */
  maxPostAttempts?: number | undefined
  /** Longest `Retry-After` honoured; longer waits are cut to this. @default 10000 */
  maxRetryAfterMs?: number | undefined
  /** Bound on the best-effort DELETE of `close()`. @default 3000 */
  deleteTimeoutMs?: number | undefined
}

/** A {@link Driver} whose sessions are {@link WhipDriverSession}s. */
export interface WhipDriver extends Driver {
  /** Publishes with WHIP; resolves once the connection is up and media is being sent. */
  publish(
    target: SignalingTarget,
    options: DriverPublishOptions,
    signal: AbortSignal,
  ): Promise<WhipDriverSession>
  /** Subscribes with WHEP; resolves once the first media bytes arrive. */
  subscribe(
    target: SignalingTarget,
    options: DriverSubscribeOptions,
    signal: AbortSignal,
  ): Promise<WhipDriverSession>
}

function positive(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) {
    return fallback
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `whipDriver(): ${name} must be a finite number >= ${min} (got ${String(value)}).`,
    )
  }
  return value
}

/** `{ [key]: value }`, or nothing for the `-1` that {@link positive} gives an absent option. */
function optional<K extends string>(key: K, value: number): Partial<Record<K, number>> {
  return value === -1 ? {} : ({ [key]: value } as Record<K, number>)
}

function resolveSettings(options: WhipDriverOptions): WhipSettings {
  const flavour = options.whepFlavour ?? WHIP_DEFAULTS.whepFlavour
  if (!['auto', 'server-offer', 'client-offer'].includes(flavour)) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `whipDriver(): whepFlavour must be 'auto', 'server-offer' or 'client-offer' (got ${String(flavour)}).`,
    )
  }
  const label = options.dataChannelLabel ?? WHIP_DEFAULTS.dataChannelLabel
  if (label !== false && (typeof label !== 'string' || label === '')) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      'whipDriver(): dataChannelLabel must be a non-empty string or false.',
    )
  }
  return {
    env: resolveEnvironment(
      { fetch: options.fetch, clock: options.clock, random: options.random, logger: options.logger },
      'whip',
    ),
    RTCPeerConnection: options.RTCPeerConnection,
    rtcConfiguration: options.rtcConfiguration,
    whepFlavour: flavour,
    trickle: options.trickle ?? WHIP_DEFAULTS.trickle,
    dataChannelLabel: label,
    requestTimeoutMs: positive(
      'requestTimeoutMs',
      options.requestTimeoutMs,
      WHIP_DEFAULTS.requestTimeoutMs,
      1,
    ),
    connectTimeoutMs: positive(
      'connectTimeoutMs',
      options.connectTimeoutMs,
      WHIP_DEFAULTS.connectTimeoutMs,
      1,
    ),
    iceGatheringTimeoutMs: positive(
      'iceGatheringTimeoutMs',
      options.iceGatheringTimeoutMs,
      WHIP_DEFAULTS.iceGatheringTimeoutMs,
    ),
    trickleBatchMs: positive('trickleBatchMs', options.trickleBatchMs, WHIP_DEFAULTS.trickleBatchMs),
    mediaPollIntervalMs: positive(
      'mediaPollIntervalMs',
      options.mediaPollIntervalMs,
      WHIP_DEFAULTS.mediaPollIntervalMs,
      1,
    ),
    // Per-kind defaults (../liveness.ts) where the options say nothing.
    liveness: {
      ...optional('intervalMs', positive('livenessIntervalMs', options.livenessIntervalMs, -1, 1)),
      ...optional('inactivityMs', positive('inactivityTimeoutMs', options.inactivityTimeoutMs, -1, 1)),
      ...optional('graceMs', positive('disconnectGraceMs', options.disconnectGraceMs, -1)),
    },
    maxPostAttempts: Math.floor(
      positive('maxPostAttempts', options.maxPostAttempts, WHIP_DEFAULTS.maxPostAttempts, 1),
    ),
    maxRetryAfterMs: positive('maxRetryAfterMs', options.maxRetryAfterMs, WHIP_DEFAULTS.maxRetryAfterMs),
    deleteTimeoutMs: positive('deleteTimeoutMs', options.deleteTimeoutMs, WHIP_DEFAULTS.deleteTimeoutMs, 1),
  }
}

/**
 * A driver for standards WHIP (publish) and WHEP (subscribe) over any `RTCPeerConnection`.
 *
 * Per session: OPTIONS (ICE servers from `Link` headers), POST (`application/sdp`, `connectionParams` in
 * the query, a fresh `requestId` per WHEP attempt), the answer applied or, with Red5's server-offer
 * flavour, the server's offer answered by PATCH; candidates trickled by PATCH; DELETE on `close()`.
 * Resolves only once media flows. `onEnd` fires on ICE failure, a disconnect (or silence) longer than
 * `disconnectGraceMs`, a remote close, the remote tracks ending, or Red5's unpublish notice.
 *
 * @example
 * ```ts
 * import { RTCPeerConnection } from 'werift'          // Node; in browsers omit the option
 * const driver = whipDriver({ RTCPeerConnection })
 * const session = await driver.subscribe(target, {}, AbortSignal.timeout(20_000))
 * session.onEnd((error) => console.log('ended', error))
 * await session.close()
 * ```
 * @throws {BlueGreenError} `INVALID_ARGUMENT` for a bad option. publish()/subscribe() reject with
 * `ABORTED`, `TIMEOUT`, `STREAM_NOT_FOUND` (WHEP 404/409), `MEDIA_FAILED` (with `status` for HTTP
 * refusals: 401/403/406 are not worth retrying, 409 on WHIP means already published), `DRIVER_UNAVAILABLE`
 * (no RTCPeerConnection).
 */
export function whipDriver(options: WhipDriverOptions = {}): WhipDriver {
  const settings = resolveSettings(options)
  // The session code (signalling, SDP, liveness) loads with the first publish/subscribe, so an app that
  // only creates the driver loads none of it up front.
  let sessions: Promise<{ WhipSession: typeof WhipSession }> | undefined
  const load = (): Promise<{ WhipSession: typeof WhipSession }> =>
    (sessions ??= import('./whip/session').catch((error: unknown) => {
      sessions = undefined
      throw error
    }))
  return {
    name: 'whip',
    publish: async (target, publishOptions, signal) =>
      (await load()).WhipSession.start(settings, { ...target, kind: 'publish' }, publishOptions, signal),
    subscribe: async (target, subscribeOptions, signal) =>
      (await load()).WhipSession.start(settings, { ...target, kind: 'subscribe' }, subscribeOptions, signal),
  }
}
