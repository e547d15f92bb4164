/**
 * The driver contract (DESIGN section 6): how a session opens a WebRTC connection on a node without
 * knowing which WebRTC stack or Stream Manager it talks to. One file per implementation beside this one.
 */
import type { ConnectionParams, SessionKind } from '../../types'

/** Everything a driver needs to reach a node. */
export interface SignalingTarget {
  /** `publish` (WHIP) or `subscribe` (WHEP). */
  readonly kind: SessionKind
  /** Environment name the node belongs to. */
  readonly environment: string
  /** The stream name. */
  readonly streamName: string
  /** The webapp (scope) of the stream. */
  readonly app: string
  /** The WHIP or WHEP URL to signal to (through the Stream Manager's proxy or straight to the node). */
  readonly endpoint: string
  /** The node's address (`host` or `host:port`). */
  readonly serverAddress: string
  /** Parameters for the node (round-trip authentication: `username`, `password`, `token`). */
  readonly connectionParams?: ConnectionParams | undefined
  /** Stream Manager 2.0: the node group of the assignment (see `Assignment.nodeGroup`). */
  readonly nodeGroup?: string | undefined
}

/** Options for {@link Driver.publish}. */
export interface DriverPublishOptions {
  /** The media to send; a driver may capture its own when absent (e.g. the Red5 SDK's default). */
  readonly mediaStream?: MediaStream | undefined
  /** An element to show a local preview in. */
  readonly mediaElement?: HTMLMediaElement | undefined
  /** Parameters for the node. */
  readonly connectionParams?: ConnectionParams | undefined
  /** Passed to the peer connection. */
  readonly rtcConfiguration?: RTCConfiguration | undefined
}

/** Options for {@link Driver.subscribe}. */
export interface DriverSubscribeOptions {
  /** An element the driver may attach the remote stream to. The session attaches it in any case. */
  readonly mediaElement?: HTMLMediaElement | undefined
  /** Parameters for the node. */
  readonly connectionParams?: ConnectionParams | undefined
  /** Passed to the peer connection. */
  readonly rtcConfiguration?: RTCConfiguration | undefined
}

/** A live connection made by a driver. Resolved from publish/subscribe only once media flows. */
export interface DriverSession {
  /** Publish: the local stream being sent. Subscribe: the remote stream being received. */
  readonly mediaStream?: MediaStream | undefined
  /** Registers a listener for an unexpected end (network loss, server teardown). Called at most once. */
  onEnd(listener: (error?: Error) => void): void
  /**
   * Optional: registers a listener for a frozen source on a live subscription: `true` when media stopped
   * while the connection stays alive (the node still sends RTCP or answers STUN), `false` when media
   * flows again. Not an end: the session stays. Both built-in drivers have it.
   */
  onStall?(listener: (stalled: boolean) => void): void
  /**
   * Optional: registers a listener for a connection that may be lost: `true` when it starts counting as
   * disconnected (nothing arriving for a while, or ICE `disconnected`) and is given a grace before it
   * ends, or when a subscription's media stopped and whether its path lives is not known yet; `false` when
   * it recovers within that grace, or turns out to be alive. The client uses the doubt to check the environment's
   * Stream Manager, so that a failover is decided by the time the session ends (DESIGN 11). Both built-in
   * drivers have it.
   */
  onDisconnected?(listener: (disconnected: boolean) => void): void
  /** Ends the connection (and its server resource). Idempotent; allowed after an end. */
  close(): Promise<void>
}

/**
 * A WebRTC stack able to publish and subscribe. `signal` covers start-up: when it aborts, the driver
 * rejects with `ABORTED` and releases what it had opened.
 */
export interface Driver {
  /** A short name for logs, e.g. `whip` or `red5pro`. */
  readonly name: string
  /** Publishes to `target`; resolves once media flows. */
  publish(target: SignalingTarget, options: DriverPublishOptions, signal: AbortSignal): Promise<DriverSession>
  /** Subscribes at `target`; resolves once media flows. */
  subscribe(
    target: SignalingTarget,
    options: DriverSubscribeOptions,
    signal: AbortSignal,
  ): Promise<DriverSession>
}
