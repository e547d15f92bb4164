/**
 * The session an app holds from the moment it calls `publish()` / `subscribe()`: a small object in the
 * entry chunk that exists before `ready()` and before the session code (loaded with `import()`) has
 * arrived, and forwards to the real session once that exists. Its state and events are observable from the
 * first line, and `close()` at any moment cancels everything the call started.
 */
import { BlueGreenError, closedError, toBlueGreenError } from '../errors'
import { SafeEmitter } from '../internal/emitter'
import type { Logger } from '../environment'
import type { Assignment, SessionKind } from '../types'
import type { SessionEventMap } from './events'
import type { SessionState } from './machine'
import type { ManagedSession, PublishSession, Session, SubscribeSession } from './Session'

/**
 * What `client.publish()` and `client.subscribe()` return: a promise that resolves with the session once
 * media flows (as before), carrying that same session synchronously as `.session`, so the app can watch
 * and close it from the first moment (a "connecting..." or "waiting for the broadcaster" screen, a
 * component that unmounts before the stream starts).
 *
 * The promise never causes an unhandled rejection on its own: an app that holds `.session` instead of
 * awaiting learns of a failure from the session's `failed` event (and `statechange` to `failed`).
 *
 * @example
 * ```ts
 * const pending = client.subscribe({ streamName: 'stage-1', mediaElement: video, waitForStream: true })
 * const viewer = pending.session            // state 'connecting', before anything has loaded
 * viewer.on('waiting', () => show('Waiting for the broadcaster...'))
 * viewer.on('statechange', ({ to }) => show(to))
 * // later, at any moment (a component unmounting, a "stop" button):
 * await viewer.close()                      // cancels discovery wait, assignment, connection, retries
 * // or, as before, when media flows:
 * const same = await pending                // same === viewer
 * ```
 */
export type PendingSession<S extends Session> = Promise<S> & {
  /** The session, from the moment it was asked for; the promise resolves with this same object. */
  readonly session: S
}

/** A publish that may still be starting; see {@link PendingSession}. */
export type PendingPublish = PendingSession<PublishSession>

/** A subscribe that may still be starting; see {@link PendingSession}. */
export type PendingSubscribe = PendingSession<SubscribeSession>

/**
 * Starts the real session: `attach` must be called synchronously when the `ManagedSession` is made;
 * `signal` aborts when the handle is closed (or the caller's signal aborts) before that.
 * @internal
 */
export type SessionStarter = (
  attach: (inner: ManagedSession) => void,
  signal: AbortSignal,
) => Promise<unknown>

/**
 * The {@link Session} an app holds. Forwards to the `ManagedSession` once it exists; before that it is
 * `connecting`, and `close()` stops the start-up where it is.
 * @internal
 */
export class SessionHandle extends SafeEmitter<SessionEventMap> implements Session {
  readonly id: string
  readonly kind: SessionKind
  readonly streamName: string
  #inner: ManagedSession | undefined
  #own: SessionState = 'connecting'
  readonly #abort = new AbortController()
  #startup!: Promise<unknown> // set by run(), before the app sees the handle
  readonly #list: Set<SessionHandle>

  /** @internal `options` as the app gave them: checked later, by the session manager. */
  constructor(
    id: string,
    kind: SessionKind,
    options: { streamName?: unknown } | undefined,
    logger: Logger,
    list: Set<SessionHandle>,
  ) {
    super(logger)
    this.id = id
    this.kind = kind
    this.streamName = String(options?.streamName ?? '') // checked by the session manager
    this.#list = list.add(this) // the client's sessions; the handle leaves once closed or failed
  }

  /** @inheritdoc */
  get state(): SessionState {
    return this.#inner?.state ?? this.#own
  }

  /** @inheritdoc */
  get environment(): string {
    return this.#inner?.environment ?? ''
  }

  /** @inheritdoc */
  get assignment(): Assignment {
    if (!this.#inner) {
      throw new BlueGreenError('INVALID_ARGUMENT', 'No assignment yet: still connecting.')
    }
    return this.#inner.assignment
  }

  /** @inheritdoc */
  get mediaStream(): MediaStream | undefined {
    return this.#inner?.mediaStream
  }

  /** @inheritdoc */
  close(): Promise<void> {
    if (this.#inner) {
      return this.#inner.close()
    }
    this.#end(closedError('This session'))
    return Promise.resolve()
  }

  /** @inheritdoc */
  migrate(): Promise<void> {
    // Before it has connected: start-up goes to the environment the client selects anyway.
    return this.#inner?.migrate() ?? this.#startup.then(() => this.#inner!.migrate())
  }

  /**
   * Runs `start` and returns the pending session the client hands out. (The client's `start` races the
   * caller's `options.signal` until the real session exists; afterwards the session honours it.)
   * @internal
   */
  run<S extends Session>(start: SessionStarter): PendingSession<S> {
    this.#startup = start((inner) => {
      this.#inner = inner
      inner.mirror = (event, args) => {
        ;(this.safeEmit as (event: string, ...rest: readonly unknown[]) => boolean)(event, ...args)
        if (event === 'closed' || event === 'failed') {
          this.#dispose()
        }
      }
    }, this.#abort.signal)
    const promise = this.#startup.then(
      () => this as unknown as S,
      (error: unknown) => {
        this.#end(error)
        throw error
      },
    )
    promise.catch(() => undefined) // handled: the session's `failed` event tells apps that do not await
    return Object.assign(promise, { session: this as unknown as S })
  }

  /**
   * Ends the handle before the real session exists: `closed` for a CLOSED error (the app or the client
   * closed it), else `failed`. Aborts what start-up still runs. Nothing once it is terminal or attached.
   */
  #end(error: unknown): void {
    if (this.#inner || this.#own !== 'connecting') {
      return
    }
    const failure = toBlueGreenError(error, 'MEDIA_FAILED', String(error))
    const to = failure.code === 'CLOSED' ? 'closed' : 'failed'
    this.#own = to
    this.#abort.abort(failure)
    this.safeEmit('statechange', { from: 'connecting', to, reason: failure.message })
    // `failed` gets the error; `closed` listeners take no argument and ignore it.
    ;(this.safeEmit as (event: string, error: BlueGreenError) => boolean)(to, failure)
    this.#dispose()
  }

  #dispose(): void {
    this.removeAllListeners()
    this.#list.delete(this)
  }
}
