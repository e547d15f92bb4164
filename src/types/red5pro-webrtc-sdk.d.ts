/**
 * The part of `red5pro-webrtc-sdk` 11 that `red5proDriver` relies on (the package ships no types).
 * Only the driver imports it, lazily (`await import('red5pro-webrtc-sdk')`); the public API of
 * `red5pro-bluegreen` never names this module, so consumers need none of these declarations.
 */
declare module 'red5pro-webrtc-sdk' {
  /** What every SDK client emits: `on('*', fn)` receives each one. */
  export interface Red5ProEvent {
    /** e.g. `Publish.Start`, `Subscribe.InvalidName`, `WebRTC.PeerConnection.OnTrack`. */
    readonly type: string
    /** Event-specific data (a MediaStream, `{ streams, track }`, an error, ...), often absent. */
    readonly data?: unknown
  }

  /** A listener for {@link Red5ProEvent}s. */
  export type Red5ProEventHandler = (event: Red5ProEvent) => void

  /** Init configuration: the keys the driver sets, plus anything else the SDK reads. */
  export interface Red5ProInitConfig {
    /** `https`/`http`; `wss`/`ws` are mapped to them (`initWithStream` understands only `ws`). */
    protocol?: string
    host?: string
    port?: number
    app?: string
    streamName?: string
    /** WHEP only: becomes the `requestId` query parameter. */
    subscriptionId?: string
    rtcConfiguration?: RTCConfiguration
    /** Appended raw (not URL-encoded) as `&key=value` to the POST query. */
    connectionParams?: Record<string, string>
    trickleIce?: boolean
    enableChannelSignaling?: boolean
    /** Looked up with `document.getElementById`; `undefined` disables the publisher preview view. */
    mediaElementId?: string | undefined
    clearMediaOnUnpublish?: boolean
    [key: string]: unknown
  }

  /** A view as `setView()` accepts it (what `PlaybackView` provides). */
  export interface Red5ProPlaybackViewLike {
    readonly view: HTMLMediaElement | undefined
    readonly isAutoplay: boolean
    attachStream(stream: MediaStream): void
    detachStream(): void
  }

  /** WHIP publisher (extends the SDK's RTCPublisher). */
  export class WHIPClient {
    /** Never pass arguments: the URL form builds a wrong URL and starts publishing at once. */
    constructor()
    /** Stores the config and starts `getUserMedia` at once. */
    init(config: Red5ProInitConfig): Promise<WHIPClient>
    /** Stores the config and publishes `stream` instead of capturing one. */
    initWithStream(config: Red5ProInitConfig, stream: MediaStream): Promise<WHIPClient>
    /** OPTIONS, POST offer, PATCH candidates; resolves before media flows when channel signalling is on. */
    publish(): Promise<WHIPClient>
    /** Fire-and-forget DELETE, closes the peer connection; `true` also stops the local tracks. */
    unpublish(clearMedia?: boolean): Promise<WHIPClient>
    /** The local stream, once known. */
    getMediaStream(): MediaStream | undefined
    on(type: string, handler: Red5ProEventHandler): void
    off(type: string, handler: Red5ProEventHandler): void
  }

  /** WHEP subscriber, Red5's server-offer flavour (extends the SDK's RTCSubscriber). */
  export class WHEPClient {
    /** Never pass arguments (see {@link WHIPClient}). */
    constructor()
    init(config: Red5ProInitConfig): Promise<WHEPClient>
    /** Resolves when the peer connection connects; rejects with a string when the stream is missing. */
    subscribe(): Promise<WHEPClient>
    /** DELETE (fire-and-forget) and close; throws if called before `subscribe()`. */
    unsubscribe(): Promise<WHEPClient>
    /** Sets the view `subscribe()` waits for (it hangs without one). */
    setView(view: Red5ProPlaybackViewLike): WHEPClient
    on(type: string, handler: Red5ProEventHandler): void
    off(type: string, handler: Red5ProEventHandler): void
  }
}
