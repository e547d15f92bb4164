/**
 * The part of `RTCPeerConnection` the WHIP driver uses, written structurally so that the browser's class
 * and werift's (Node) both fit without casts (getStats() readings are in ../liveness.ts). Public: the
 * `RTCPeerConnection` option of `whipDriver()` takes these shapes. (No internal tag in this header:
 * `stripInternal` would read it as marking `DescriptionLike`, the first statement.)
 */

/** A session description as both stacks return it. */
export interface DescriptionLike {
  readonly type: string
  readonly sdp?: string | undefined
}

/** A data channel as both stacks expose it. */
export interface DataChannelLike {
  readonly label: string
  readonly readyState: string
  addEventListener(type: string, listener: (event: unknown) => void): void
  close(): void
}

/** A media track as both stacks expose it (werift's has no `ended` event; the browser's does). */
export interface TrackLike {
  readonly kind: string
  addEventListener?(type: string, listener: (event: unknown) => void): void
}

/**
 * The `RTCPeerConnection` surface the driver needs. The browser's `RTCPeerConnection` and werift's
 * `RTCPeerConnection` both satisfy it.
 */
export interface PeerConnectionLike {
  readonly connectionState: string
  readonly iceConnectionState: string
  readonly iceGatheringState: string
  readonly localDescription: DescriptionLike | null
  // The parameter types below are deliberately loose: each stack has its own track and description
  // classes, and TypeScript compares method parameters bivariantly, so both classes fit.
  addTransceiver(trackOrKind: never, init?: never): unknown
  createDataChannel(label: string, init?: never): DataChannelLike
  createOffer(): Promise<DescriptionLike>
  createAnswer(): Promise<DescriptionLike>
  setLocalDescription(description: never): Promise<unknown>
  setRemoteDescription(description: never): Promise<unknown>
  getStats(): Promise<{ forEach(callback: (stat: unknown) => void): void }>
  addEventListener(type: string, listener: (event: unknown) => void): void
  close(): unknown
}

/** A constructor of {@link PeerConnectionLike}: `globalThis.RTCPeerConnection`, or werift's in Node. */
export type PeerConnectionConstructor = new (configuration?: never) => PeerConnectionLike
