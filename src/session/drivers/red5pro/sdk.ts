/**
 * What the driver needs from `red5pro-webrtc-sdk` (every generation, 11 to 15.2), typed structurally
 * from the shapes 11-14's bundle and 15's own `index.d.ts` agree on, so any build's module (or
 * `window.red5prosdk`) is accepted without a cast; plus the lazy loader and the few defensive probes
 * into SDK internals that neutralise its traps (see docs/drivers-red5pro.md). What differs between
 * generations lives in `generations.ts`.
 */
import { BlueGreenError } from '../../../errors'

/** An event as the SDK emits it to `on('*', fn)`. */
export interface Red5proSdkEvent {
  /** e.g. `Publish.Start`, `Subscribe.InvalidName`. */
  readonly type: string
  /** Event data, when the event has any. */
  readonly data?: unknown
}

/** A listener for {@link Red5proSdkEvent}s. */
export type Red5proSdkEventHandler = (event: Red5proSdkEvent) => void

/** The init configuration the driver passes (the SDK reads more keys; see its PUBLISHER_README). */
export type Red5proSdkConfig = Record<string, unknown>

/** The view object `WHEPClient.setView()` (11-14) takes (the shape of the SDK's `PlaybackView`). */
export interface Red5proSdkPlaybackView {
  /** The element the SDK binds its playback handlers to. */
  readonly view: HTMLMediaElement | undefined
  /** Whether the SDK should try to autoplay. */
  readonly isAutoplay: boolean
  /** Called with the remote stream once ICE gathering has ended. */
  attachStream(stream: MediaStream): void
  /** Called when the subscriber disconnects. */
  detachStream(): void
}

/** The members shared by the SDK's WHIP and WHEP clients that the driver uses. */
export interface Red5proSdkEmitter {
  /** Adds a listener; `'*'` receives every event. */
  on(type: string, handler: Red5proSdkEventHandler): void
  /** Removes a listener added with `on`. */
  off(type: string, handler: Red5proSdkEventHandler): void
  /** The peer connection, once created (every generation has it). */
  getPeerConnection?(): RTCPeerConnection | undefined
  /** Publish: the local stream. Subscribe: the remote stream. Once known. */
  getMediaStream?(): MediaStream | undefined
}

/** A `WHIPClient` instance, as the driver uses it. */
export interface Red5proWhipClient extends Red5proSdkEmitter {
  /** Stores the config; the SDK starts `getUserMedia` at once. */
  init(config: Red5proSdkConfig): Promise<unknown>
  /** Stores the config and uses `stream` instead of capturing one. */
  initWithStream(config: Red5proSdkConfig, stream: MediaStream): Promise<unknown>
  /** Starts the WHIP exchange. */
  publish(): Promise<unknown>
  /** Ends the publish (DELETE, close). The argument means `clearMedia` in 11-14, `internal` in 15. */
  unpublish(flag?: boolean): Promise<unknown>
}

/** A `WHEPClient` instance, as the driver uses it. */
export interface Red5proWhepClient extends Red5proSdkEmitter {
  /** Stores the config. */
  init(config: Red5proSdkConfig): Promise<unknown>
  /** Starts the WHEP exchange. */
  subscribe(): Promise<unknown>
  /** Ends the subscription (DELETE, close). */
  unsubscribe(internal?: boolean): Promise<unknown>
  /** 11-14: gives the subscriber the view it waits for (15 has none: it takes `mediaElementId`). */
  setView?(view: Red5proSdkPlaybackView): unknown
}

/** A class of the SDK (`WHIPClient`, `WHEPClient`) as the driver constructs it. */
export interface Red5proClientClass<Client> {
  /** Makes a client; its `init()` gets the configuration. */
  new (): Client
}

/**
 * The SDK module (or a compatible object, such as `window.red5prosdk` from Red5's script tag): its
 * `WHIPClient` and `WHEPClient` classes, plus what newer builds add.
 */
export interface Red5proSdk {
  /** Constructed with no arguments, then `init()`. */
  readonly WHIPClient: Red5proClientClass<Red5proWhipClient>
  /** Constructed with no arguments, then `init()`. */
  readonly WHEPClient: Red5proClientClass<Red5proWhepClient>
  /** 15+: the build's version, e.g. `15.2.0`. */
  readonly getVersion?: (() => string) | undefined
  /** 15+: the publisher's default init configuration. */
  readonly defaultWhipPublisherConfig?: Readonly<Record<string, unknown>> | undefined
  /** 15+: the subscriber's default init configuration. */
  readonly defaultWhepSubscriberConfig?: Readonly<Record<string, unknown>> | undefined
}

/** The SDK event names the driver reacts to. @internal */
export const SDK_EVENT = {
  connectFailure: 'Connect.Failure',
  publishStart: 'Publish.Start',
  publishFail: 'Publish.Fail',
  publishInvalidName: 'Publish.InvalidName',
  publisherClosed: 'Publisher.Connection.Closed',
  subscribeStart: 'Subscribe.Start',
  subscribeFail: 'Subscribe.Fail',
  subscribeInvalidName: 'Subscribe.InvalidName',
  subscribeUnpublish: 'Subscribe.Play.Unpublish',
  subscriberClosed: 'Subscribe.Connection.Closed',
  localStream: 'WebRTC.MediaStream.Available',
  trackAdded: 'WebRTC.PeerConnection.OnTrack',
  remoteStream: 'WebRTC.Add.Stream',
} as const

/** True when `value` has callable `WHIPClient` and `WHEPClient`. @internal */
export function isRed5proSdk(value: unknown): value is Red5proSdk {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
    return false
  }
  const candidate = value as { WHIPClient?: unknown; WHEPClient?: unknown }
  return typeof candidate.WHIPClient === 'function' && typeof candidate.WHEPClient === 'function'
}

/**
 * Why the real SDK cannot load here, or `undefined` when it can: it reads `window.RTCPeerConnection`
 * (and friends) once, when its module is evaluated, and needs a DOM. @internal
 */
export function browserMissing(): string | undefined {
  const scope = globalThis as { window?: unknown; document?: unknown; RTCPeerConnection?: unknown }
  if (scope.window === undefined || scope.document === undefined) {
    return 'there is no window/document (this looks like Node or a worker)'
  }
  if (typeof scope.RTCPeerConnection !== 'function') {
    return 'there is no RTCPeerConnection'
  }
  return undefined
}

/**
 * The SDK object in an imported module: named exports (bundlers, 15's ESM build) or `default` (Node's
 * interop with the UMD bundle, whose exports are getters). `undefined` when neither has the classes
 * (e.g. a bundler alias that replaced the module with an empty one). @internal
 */
export function findRed5proSdk(loaded: unknown): Red5proSdk | undefined {
  const candidates = [loaded, (loaded as { default?: unknown } | null | undefined)?.default]
  return candidates.find(isRed5proSdk)
}

/**
 * Where the driver gets Red5's SDK: the SDK object itself (e.g. `window.red5prosdk`, or a module you
 * imported), or a function that loads it on the first session, such as
 * `() => import('red5pro-webrtc-sdk')`. A loader written in your app is what lets every bundler (webpack,
 * Next.js, Parcel, Vite, Rollup, esbuild) resolve the SDK when you installed it, and build without it when
 * you did not: this package never names the module itself.
 */
export type Red5proSdkSource = Red5proSdk | (() => Promise<unknown>)

/** The SDK a page loaded with Red5's script tag (`window.red5prosdk`), when there is one. @internal */
export function globalRed5proSdk(): Red5proSdk | undefined {
  const global = (globalThis as { red5prosdk?: unknown }).red5prosdk
  return isRed5proSdk(global) ? global : undefined
}

const HOW_TO_GIVE_THE_SDK =
  "Pass red5proDriver({ sdk: () => import('red5pro-webrtc-sdk') }) (or createClient({ red5proSdk: ... }) for " +
  "driver 'auto') after `npm install red5pro-webrtc-sdk`, or load Red5's red5pro-sdk.min.js with a script tag " +
  '(window.red5prosdk); or use whipDriver().'

/**
 * Loads the SDK from `source`, else from `window.red5prosdk`; rejects with `DRIVER_UNAVAILABLE` saying
 * how to give it when there is none or what was given has no WHIPClient/WHEPClient. @internal
 */
export async function loadRed5proSdk(source: Red5proSdkSource | undefined): Promise<Red5proSdk> {
  if (source === undefined) {
    const global = globalRed5proSdk()
    if (global) {
      return global
    }
    throw new BlueGreenError(
      'DRIVER_UNAVAILABLE',
      `red5proDriver has no Red5 SDK to drive. ${HOW_TO_GIVE_THE_SDK}`,
    )
  }
  if (isRed5proSdk(source)) {
    return source
  }
  let loaded: unknown
  try {
    loaded = await source()
  } catch (cause) {
    throw new BlueGreenError(
      'DRIVER_UNAVAILABLE',
      `red5proDriver could not load the Red5 SDK (its loader failed: ${cause instanceof Error ? cause.message : String(cause)}). ` +
        `Is red5pro-webrtc-sdk installed? ${HOW_TO_GIVE_THE_SDK}`,
      { cause },
    )
  }
  const sdk = findRed5proSdk(loaded)
  if (!sdk) {
    throw new BlueGreenError(
      'DRIVER_UNAVAILABLE',
      'The Red5 SDK loader gave a module without WHIPClient/WHEPClient (red5pro-webrtc-sdk 11 to 15 has both; a ' +
        `bundler alias may have replaced it with an empty module). ${HOW_TO_GIVE_THE_SDK}`,
    )
  }
  return sdk
}

// --- Defensive probes into SDK internals -------------------------------------------------------
// Each one is optional: when a future SDK renames what it probes, the probe does nothing and the
// driver falls back to less precise behaviour (an error without `status`, no late-DELETE), never worse.

/**
 * The SDK's internal WHIP/WHEP signalling helper, as far as the driver uses it: `_whipHelper` in
 * 11-14, `_whipWhepService` in 15 (same method names). @internal
 */
export interface SdkSignalingHelper {
  /** OPTIONS: resolves `{ links }` (ICE servers from `Link` headers) among others. */
  getOptions?: (...args: unknown[]) => Promise<unknown>
  /** POSTs the offer; throws an `InvalidNameError` on 404/409 and an `Error` on other statuses. */
  postSDPOffer?: (...args: unknown[]) => Promise<unknown>
  /** DELETEs the resource, if one was created (11-14 never await nor catch it). */
  tearDown?: (...args: unknown[]) => Promise<unknown>
  /** The URL it signals to (without its own query). */
  readonly _url?: unknown
}

/** The client's signalling helper when it has one that looks right. @internal */
export function signalingHelperOf(client: object): SdkSignalingHelper | undefined {
  const probe = client as { _whipHelper?: unknown; _whipWhepService?: unknown }
  for (const helper of [probe._whipHelper, probe._whipWhepService]) {
    if (typeof helper === 'object' && helper !== null) {
      return helper as SdkSignalingHelper
    }
  }
  return undefined
}

/** A promise-like value's `catch`, attached so its rejection is never reported as unhandled. @internal */
export function swallow(value: unknown): void {
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  ) {
    ;(value as Promise<unknown>).then(undefined, () => undefined)
  }
}

/**
 * On a WHIP 404/409 the SDK rejects an internal "availability" future nobody listens to
 * (`Stream with name X already has a broadcast session.`): an unhandled rejection. It does so
 * synchronously just before emitting `Publish.InvalidName`, so handling it there is in time. @internal
 */
export function swallowAvailabilityRejection(client: object): void {
  const future = (client as { _availableFuture?: { promise?: unknown } })._availableFuture
  swallow(future?.promise)
}

/** The local-media promise of a WHIPClient that captures its own media (`_getMediaStream()`). @internal */
export function pendingLocalMedia(client: object): Promise<unknown> | undefined {
  const getter = (client as { _getMediaStream?: unknown })._getMediaStream
  if (typeof getter !== 'function') {
    return undefined
  }
  try {
    const result: unknown = getter.call(client)
    return result instanceof Promise ? result : undefined
  } catch {
    return undefined
  }
}

// --- What the SDK's failures mean ---------------------------------------------------------------
// The SDK turns a POST status into a fixed message and drops the status; these tables invert that
// (the messages are the SDK's, version 11). Unknown messages simply give no status.

const WHIP_STATUS_BY_MESSAGE: ReadonlyMap<string, number> = new Map([
  ['Invalid offer SDP.', 400],
  ['Not authorized.', 401],
  ['Scope resolver failed for the publish name and / or scope.', 404],
  ['Remember to update the URL passed into the WHIP or WHEP client.', 405],
  ['Scope connection rejected.', 406],
  ['Session already initialized.', 409],
  ['Invalid request body.', 412],
  ['Session lookup or creation failure.', 417],
])

const WHEP_STATUS_BY_MESSAGE: ReadonlyMap<string, number> = new Map([
  ['Offer already sent, double POST assumed.', 400],
  ['Not authorized.', 401],
  ['Scope resolver failed for the playback name and / or scope.', 404],
  ['Playback failed due to an exception during creation.', 406],
  ['Stream is not available to playback.', 409],
])

/** The text of whatever the SDK threw or rejected with (strings, `{ name, message }` objects, Errors). @internal */
export function sdkFailureText(failure: unknown): string | undefined {
  if (typeof failure === 'string') {
    return failure
  }
  if (typeof failure === 'object' && failure !== null) {
    const message = (failure as { message?: unknown }).message
    if (typeof message === 'string') {
      return message
    }
  }
  return undefined
}

/** The HTTP status behind an SDK signalling failure, when its message tells. @internal */
export function statusOfSdkFailure(kind: 'publish' | 'subscribe', failure: unknown): number | undefined {
  const text = sdkFailureText(failure)
  if (text === undefined) {
    return undefined
  }
  return (kind === 'publish' ? WHIP_STATUS_BY_MESSAGE : WHEP_STATUS_BY_MESSAGE).get(text.trim())
}

/** True for the WHEP rejection `Stream X does not exist.` @internal */
export function isStreamMissingText(text: string | undefined): boolean {
  return text !== undefined && /^Stream .* does not exist\.$/.test(text)
}
