/**
 * The events a session emits (DESIGN sections 4 and 10), as an eventemitter3 map of argument tuples.
 */
import type { BlueGreenError } from '../errors'
import type { SessionState } from './machine'

/** Payload of `statechange`. */
export interface StateChangeEvent {
  /** The state left. */
  readonly from: SessionState
  /** The state entered. */
  readonly to: SessionState
  /** Why, in words (for logs and dashboards; not stable: switch on states, not on reasons). */
  readonly reason?: string
}

/** Payload of `reconnecting`: one recovery attempt is about to be made after `delayMs`. */
export interface ReconnectingEvent {
  /** 1 for the first attempt after a drop, then 2, 3, ... */
  readonly attempt: number
  /** How long the session waits before this attempt, as the reconnect policy said. */
  readonly delayMs: number
  /** Why a new connection is needed: the drop, or the failure of the previous attempt. */
  readonly error: BlueGreenError
}

/** Payload of `reconnected`. */
export interface ReconnectedEvent {
  /** The attempt that succeeded. */
  readonly attempt: number
  /** The environment the session is on now. */
  readonly environment: string
  /** Milliseconds from the loss of the connection to the new connection carrying media. */
  readonly downtimeMs: number
}

/**
 * Payload of `waiting`: a subscriber started with `waitForStream: true` asked for its stream, the Stream
 * Manager answered that it is published nowhere yet (a 404, which browsers print in the console), and the
 * session looks again after `delayMs` (sooner when a new manifest revision arrives). The session stays
 * `connecting`; the next `statechange` to `live` means the stream was found.
 */
export interface WaitingEvent {
  /** 1 for the first "not found", then 2, 3, ... */
  readonly attempt: number
  /** How long the session waits before asking again. */
  readonly delayMs: number
  /** The environment that was asked (the one the client selects). */
  readonly environment: string
  /** The `STREAM_NOT_FOUND` answer. */
  readonly error: BlueGreenError
}

/** Payload of `migrating`: a make-before-break move has begun. */
export interface MigratingEvent {
  /** Environment name the session is on. */
  readonly from: string
  /** Environment name it moves to. */
  readonly to: string
}

/** Payload of `migrated`: the session now runs on `to`. */
export interface MigratedEvent {
  /** Environment name it left. */
  readonly from: string
  /** Environment name it is on now. */
  readonly to: string
  /**
   * Milliseconds without media: 0 when the new connection carried media before the old one was closed
   * (make-before-break), else the gap between the old connection's end and the new one's media.
   */
  readonly interruptionMs: number
}

/**
 * Payload of `stalled`: a subscriber's media stopped while its connection stays alive (the node still sends
 * RTCP sender reports or answers STUN), so the source is frozen: the broadcaster's camera stalled, or it
 * left without the node saying so. The session stays `live` and does not reconnect (a new connection
 * would reach the same frozen stream); a path where nothing at all arrives is dead and reconnects instead.
 * `resumed` follows when media flows again; a `reconnected` or `migrated` also ends the stall.
 */
export interface StalledEvent {
  /** The environment the session is on. */
  readonly environment: string
}

/** Payload of `resumed`: media flows again after a `stalled`. */
export interface ResumedEvent {
  /** The environment the session is on. */
  readonly environment: string
  /** Milliseconds from `stalled` to `resumed`. */
  readonly stalledMs: number
}

/**
 * Events of every {@link Session}, for `session.on(name, listener)`. A listener that throws is logged and
 * ignored: it never breaks a reconnect or a migration.
 */
export interface SessionEventMap {
  /** The state changed. */
  statechange: [event: StateChangeEvent]
  /** Still `connecting`: the stream is published nowhere yet and `waitForStream` is on; see {@link WaitingEvent}. */
  waiting: [event: WaitingEvent]
  /** A subscriber's source froze while its connection stays alive; see {@link StalledEvent}. */
  stalled: [event: StalledEvent]
  /** Media flows again after `stalled`. */
  resumed: [event: ResumedEvent]
  /** A recovery attempt is scheduled. */
  reconnecting: [event: ReconnectingEvent]
  /** Recovery succeeded; the session is `live` again. */
  reconnected: [event: ReconnectedEvent]
  /** A move to another environment began (media keeps flowing on the old one). */
  migrating: [event: MigratingEvent]
  /** A move completed. */
  migrated: [event: MigratedEvent]
  /** The session gave up; it is `failed` and holds no connection. Listeners are removed afterwards. */
  failed: [error: BlueGreenError]
  /** The session was closed; listeners are removed afterwards. */
  closed: []
}

/** Every event name of {@link SessionEventMap}, e.g. for an event recorder. */
export const SESSION_EVENT_NAMES = [
  'statechange',
  'waiting',
  'stalled',
  'resumed',
  'reconnecting',
  'reconnected',
  'migrating',
  'migrated',
  'failed',
  'closed',
] as const satisfies readonly (keyof SessionEventMap)[]
