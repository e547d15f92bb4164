/**
 * The session lifecycle as data (STYLE principle 5): a pure table from `(state, input)` to the next state
 * and the effects the session must run. `ManagedSession` interprets it; nothing here touches time, media
 * or the network, so the whole lifecycle is tested as a table.
 */

/**
 * Where a session is in its life.
 * - `connecting`: `publish()` / `subscribe()` has not resolved yet.
 * - `live`: media flows.
 * - `reconnecting`: the connection was lost (or had to be abandoned); a new one is being made.
 * - `migrating`: media still flows on the old connection while a new one is made (make-before-break).
 * - `closed`: `close()` was called. Terminal.
 * - `failed`: the session gave up (see the `failed` event for why). Terminal.
 */
export type SessionState = 'connecting' | 'live' | 'reconnecting' | 'migrating' | 'closed' | 'failed'

/**
 * What can happen to a session. @internal
 * - `connected`: start-up made its first connection.
 * - `dropped`: the current driver session ended unexpectedly.
 * - `reconnect`: the current connection must be abandoned and replaced (environment offline, deadline passed,
 *   or a migration failed after the old connection was already gone).
 * - `recovered`: a reconnect attempt made a new connection.
 * - `migrate`: a move to another environment (or a newer target, superseding one in flight) begins.
 * - `migrated`: the new connection of a move is live and adopted.
 * - `migrationAbandoned`: a move failed or was cancelled while the old connection still works.
 * - `fail`: an error that retrying cannot fix.
 * - `close`: the application (or the client) closes the session.
 */
export type SessionInput =
  | 'connected'
  | 'dropped'
  | 'reconnect'
  | 'recovered'
  | 'migrate'
  | 'migrated'
  | 'migrationAbandoned'
  | 'fail'
  | 'close'

/**
 * A side effect the session runs for a transition. @internal
 *
 * Effects run in list order. `abortOperation`, `releaseCurrent`, `releaseAll` and `markInterrupted` run
 * before the state changes (so nothing in flight can observe the new state half-made); `startReconnect`,
 * `emitFailed`, `emitClosed` and `dispose` run after it (so `statechange` comes before `failed`/`closed`).
 * - `abortOperation`: abort the operation in flight (start-up, reconnect loop or move).
 * - `releaseCurrent`: close the current driver session (allowed after it ended).
 * - `releaseAll`: close every driver session the session holds (current, retiring publishes).
 * - `markInterrupted`: note that media stopped now (the old connection dropped during a move).
 * - `startReconnect`: run the recovery loop.
 * - `emitFailed` / `emitClosed`: tell the application.
 * - `dispose`: drop listeners and leave the session manager.
 */
export type SessionEffect =
  | 'abortOperation'
  | 'releaseCurrent'
  | 'releaseAll'
  | 'markInterrupted'
  | 'startReconnect'
  | 'emitFailed'
  | 'emitClosed'
  | 'dispose'

/** The result of {@link transition}. @internal */
export interface Transition {
  /** The next state (the same state when the input is ignored). */
  readonly state: SessionState
  /** Effects to run, in order. Empty when the input is ignored. */
  readonly effects: readonly SessionEffect[]
}

const FAIL: Transition = {
  state: 'failed',
  effects: ['abortOperation', 'releaseAll', 'emitFailed', 'dispose'],
}
const CLOSE: Transition = {
  state: 'closed',
  effects: ['abortOperation', 'releaseAll', 'emitClosed', 'dispose'],
}
const RECONNECT: Transition = {
  state: 'reconnecting',
  effects: ['abortOperation', 'releaseCurrent', 'startReconnect'],
}
const LIVE: Transition = { state: 'live', effects: [] }

type Table = Readonly<Record<SessionState, Partial<Readonly<Record<SessionInput, Transition>>>>>

/** The lifecycle. Inputs missing from a row are ignored in that state. */
const TABLE: Table = {
  connecting: { connected: LIVE, fail: FAIL, close: CLOSE },
  live: {
    dropped: RECONNECT,
    reconnect: RECONNECT,
    migrate: { state: 'migrating', effects: [] },
    fail: FAIL,
    close: CLOSE,
  },
  reconnecting: { recovered: LIVE, fail: FAIL, close: CLOSE },
  migrating: {
    // The old connection died mid-move: keep making the new one, and count the gap as interruption.
    dropped: { state: 'migrating', effects: ['markInterrupted'] },
    reconnect: RECONNECT,
    // A newer target supersedes the move in flight.
    migrate: { state: 'migrating', effects: ['abortOperation'] },
    migrated: LIVE,
    migrationAbandoned: LIVE,
    fail: FAIL,
    close: CLOSE,
  },
  closed: {},
  failed: {},
}

/**
 * The next state and effects for `input` in `state`. Pure; inputs that make no sense in a state (a drop
 * while closed, a move while reconnecting) return the same state and no effects.
 * @internal
 */
export function transition(state: SessionState, input: SessionInput): Transition {
  return TABLE[state][input] ?? { state, effects: [] }
}

/** True for the states a session never leaves. @internal */
export function isTerminal(state: SessionState): boolean {
  return state === 'closed' || state === 'failed'
}
