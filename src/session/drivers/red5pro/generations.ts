/**
 * What differs between the generations of `red5pro-webrtc-sdk`, decided once per loaded SDK by what it
 * offers (exports, prototype methods, default configurations), never by its version string. Each
 * behaviour that differs has one adapter here; a new SDK generation means a new adapter, not edits
 * throughout the session. The facts behind each check: docs/drivers-red5pro.md.
 */
import type { Logger } from '../../../environment'
import type { Red5proSdk, Red5proSdkConfig, Red5proSdkPlaybackView, Red5proWhepClient } from './sdk'
import { pendingLocalMedia, swallowAvailabilityRejection } from './sdk'

/** What a loaded SDK can do, as the driver found out. @internal */
export interface Red5proCapabilities {
  /** For logs: `15.2.0` (from `getVersion()`, 15+), or `11-14 (no getVersion)`. */
  readonly build: string
  /**
   * The generation the adapters below were chosen for: `classic` (11-14: `setView`, channel signalling,
   * `_whipHelper`) or `ts` (15: the TypeScript rewrite: `mediaElementId`, `includeDataChannel`).
   */
  readonly generation: 'classic' | 'ts'
  /**
   * The `endpoint` init option (13+): a signalling URL used verbatim, so the Stream Manager 2.0 proxy can
   * be reached. 11 and 12 export shared objects (`Red5ProSharedObject`), which 13 removed in the same
   * release that added `endpoint`; 15 describes it in its default configurations.
   */
  readonly endpoint: boolean
  /** 15.2: a publisher stats monitor is on by default (and keeps polling a closed connection). */
  readonly statsMonitorByDefault: boolean
}

function prototypeHas(type: unknown, method: string): boolean {
  const proto = (type as { prototype?: Record<string, unknown> } | undefined)?.prototype
  return typeof proto?.[method] === 'function'
}

/** Finds out what `sdk` offers. Pure; constructs nothing. @internal */
export function capabilitiesOf(sdk: Red5proSdk): Red5proCapabilities {
  const classic = prototypeHas(sdk.WHEPClient, 'setView')
  let version: string | undefined
  try {
    const read = typeof sdk.getVersion === 'function' ? sdk.getVersion() : undefined
    version = typeof read === 'string' && read !== '' ? read : undefined
  } catch {
    version = undefined
  }
  const publisherDefaults = sdk.defaultWhipPublisherConfig
  const hasSharedObjects = 'Red5ProSharedObject' in (sdk as object)
  return {
    build: version ?? (classic ? '11-14 (no getVersion)' : 'unknown (no getVersion)'),
    generation: classic ? 'classic' : 'ts',
    endpoint: !classic || !hasSharedObjects,
    statsMonitorByDefault:
      typeof publisherDefaults === 'object' &&
      publisherDefaults !== null &&
      typeof publisherDefaults.stats === 'object' &&
      publisherDefaults.stats !== null,
  }
}

/** Callbacks an adapter reports to. @internal */
export interface ViewHooks {
  /** The remote stream is known. */
  readonly onRemoteStream: (stream: MediaStream) => void
}

/** The generation-specific part of a session. @internal */
export interface Red5proGeneration {
  readonly name: 'classic' | 'ts'
  /**
   * The init keys that make `Publish.Start` / `Subscribe.Start` mean "the `red5pro` data channel is
   * open" (media flows), keep the SDK away from the app's elements, and switch off what would leak.
   */
  startConfig(kind: 'publish' | 'subscribe', capabilities: Red5proCapabilities): Red5proSdkConfig
  /** After `init()`, before `subscribe()`: whatever the subscriber needs to start (11-14: a view). */
  prepareSubscriber(client: Red5proWhepClient, hooks: ViewHooks): void
  /** A WHIP 404/409 happened: handle what the SDK leaves unhandled. */
  onPublishRefused(client: object): void
  /** Local media the SDK is still capturing for a publisher that never went live (to stop later). */
  pendingLocalMedia(client: object): Promise<unknown> | undefined
}

const noop = (): void => undefined

/** 11-14: one code base (RTCPublisher / RTCSubscriber underneath). */
const classicGeneration: Red5proGeneration = {
  name: 'classic',
  startConfig: () => ({
    // WHIPClient.init() re-applies RTCPublisher's defaults, in which both are undefined (= off):
    // Publish.Start would fire before media flows, and candidates would be gathered before the POST.
    trickleIce: true,
    enableChannelSignaling: true,
    // The SDK would look the element up by id (and fail for a detached one); the driver attaches
    // previews and remote streams itself.
    mediaElementId: undefined,
  }),
  prepareSubscriber: (client, hooks) => {
    // subscribe() waits for a view forever without one. The SDK overwrites the `on*` handlers of the
    // view's element, rotates it on orientation metadata and blanks it on disconnect (which would blank
    // the new session's video after a make-before-break move), so it gets a private element.
    const doc = (globalThis as { document?: Document }).document
    const view: Red5proSdkPlaybackView = {
      view: doc?.createElement('video'),
      isAutoplay: false,
      attachStream: hooks.onRemoteStream,
      detachStream: noop,
    }
    client.setView?.(view)
  },
  onPublishRefused: swallowAvailabilityRejection,
  pendingLocalMedia,
}

/** 15.x: the TypeScript rewrite (WHIP/WHEP only, `includeDataChannel`, stats monitor, no setView). */
const tsGeneration: Red5proGeneration = {
  name: 'ts',
  startConfig: (kind, capabilities) => ({
    // Start = data channel open (the default, stated so a changed default cannot turn it off).
    includeDataChannel: true,
    // `undefined`: the SDK uses no element at all (an id not in the document makes subscribe() reject
    // after negotiating); the remote stream arrives through events and getMediaStream().
    mediaElementId: undefined,
    // 15.2's publisher monitor polls getStats() every 3 s and keeps doing so after unpublish().
    ...(kind === 'publish' && capabilities.statsMonitorByDefault ? { stats: null } : {}),
  }),
  prepareSubscriber: noop,
  onPublishRefused: noop,
  // init() itself awaits getUserMedia, so there is nothing pending once it resolved.
  pendingLocalMedia: () => undefined,
}

/** The adapter for a generation. @internal */
export function generationFor(capabilities: Red5proCapabilities): Red5proGeneration {
  return capabilities.generation === 'classic' ? classicGeneration : tsGeneration
}

/**
 * Logs once per driver which SDK build was loaded and what it can do, and warns when another copy is
 * on the page (`window.red5prosdk` from a script tag beside a bundled one): two copies double the
 * download and keep separate module state (log levels, defaults). @internal
 */
export function reportLoadedSdk(sdk: Red5proSdk, capabilities: Red5proCapabilities, logger: Logger): void {
  logger.info(
    `using red5pro-webrtc-sdk ${capabilities.build} (${capabilities.generation} generation; ` +
      `Stream Manager 2.0 proxy through the SDK: ${capabilities.endpoint ? 'yes' : 'no, needs 13+'})`,
  )
  const global = (globalThis as { red5prosdk?: unknown }).red5prosdk
  if (
    global !== undefined &&
    global !== sdk &&
    (global as { WHIPClient?: unknown } | null)?.WHIPClient !== sdk.WHIPClient
  ) {
    logger.warn(
      'a second copy of red5pro-webrtc-sdk is on this page (window.red5prosdk differs from the one the driver ' +
        'uses): load it once, e.g. pass red5proDriver({ sdk: window.red5prosdk }) or drop the script tag.',
    )
  }
}
