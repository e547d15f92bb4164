/**
 * The part of `RTCPeerConnection` the WHIP driver uses, written structurally so that the browser's class
 * and werift's (Node) both fit without casts (getStats() readings are in ../liveness.ts). Public: the
 * `RTCPeerConnection` option of `whipDriver()` takes these shapes. (No internal tag in this header:
 * `stripInternal` would read it as marking `DescriptionLike`, the first statement.)
 */

/** A session description as both stacks return it. */
export interface DescriptionLike {
  /** `offer` or `answer`. */
  readonly type: string
  /** The SDP text. */
  readonly sdp?: string | undefined
}

/** A data channel as both stacks expose it. */
export interface DataChannelLike {
  /** The channel's label. */
  readonly label: string
  /** `connecting`, `open`, `closing` or `closed`. */
  readonly readyState: string
  /** Listens to `open`, `message`, `close`, ... */
  addEventListener(type: string, listener: (event: unknown) => void): void
  /** Closes the channel. */
  close(): void
}

/** A media track as both stacks expose it (werift's has no `ended` event; the browser's does). */
export interface TrackLike {
  /** `audio` or `video`. */
  readonly kind: string
  /** Listens to `ended` (browsers). */
  addEventListener?(type: string, listener: (event: unknown) => void): void
}

/**
 * The `RTCPeerConnection` surface the driver needs. The browser's `RTCPeerConnection` and werift's
 * `RTCPeerConnection` both satisfy it.
 */
export interface PeerConnectionLike {
  /** `new`, `connecting`, `connected`, `disconnected`, `failed` or `closed`. */
  readonly connectionState: string
  /** The ICE agent's state (`checking`, `connected`, `failed`, ...). */
  readonly iceConnectionState: string
  /** `new`, `gathering` or `complete`. */
  readonly iceGatheringState: string
  /** The local description once set (with gathered candidates where the stack adds them). */
  readonly localDescription: DescriptionLike | null
  // The parameter types below are deliberately loose: each stack has its own track and description
  // classes, and TypeScript compares method parameters bivariantly, so both classes fit.
  /** Adds a transceiver for a track or a kind (`'video'`, `'audio'`). */
  addTransceiver(trackOrKind: never, init?: never): unknown
  /** Opens a data channel (Red5's WHIP flavour expects one named `red5pro`). */
  createDataChannel(label: string, init?: never): DataChannelLike
  /** Makes an SDP offer. */
  createOffer(): Promise<DescriptionLike>
  /** Makes an SDP answer (WHEP in the server-offer flavour). */
  createAnswer(): Promise<DescriptionLike>
  /** Sets the local description. */
  setLocalDescription(description: never): Promise<unknown>
  /** Sets the remote description. */
  setRemoteDescription(description: never): Promise<unknown>
  /** Changes the configuration (the ICE servers an OPTIONS answer brought, before gathering starts). */
  setConfiguration(configuration: never): unknown
  /** Statistics, read by the liveness watch (packets received and sent). */
  getStats(): Promise<StatsReportLike>
  /** Listens to `connectionstatechange`, `track`, `icecandidate`, ... */
  addEventListener(type: string, listener: (event: unknown) => void): void
  /** Closes the connection. */
  close(): unknown
}

/** What `getStats()` resolves with, as both stacks return it. */
export interface StatsReportLike {
  /** Calls `callback` with each statistics entry. */
  forEach(callback: (stat: unknown) => void): void
}

/** A constructor of {@link PeerConnectionLike}: `globalThis.RTCPeerConnection`, or werift's in Node. */
export type PeerConnectionConstructor = new (configuration?: never) => PeerConnectionLike
