/**
 * The session an app holds from the moment it calls `publish()` / `subscribe()`: a small object in the
 * entry chunk that exists before `ready()` and before the session code (loaded with `import()`) has
 * arrived, and forwards to the real session once that exists. Its state and events are observable from the
 * first line, and `close()` at any moment cancels everything the call started.
 */
import { abortedError, BlueGreenError, closedError, isBlueGreenError } from '../errors'
import { SafeEmitter } from '../internal/emitter'
import type { Logger } from '../environment'
import type { Assignment, SessionKind } from '../types'
import { linkSignal } from './abort'
import { SESSION_EVENT_NAMES, type SessionEventMap } from './events'
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
  #startup: Promise<unknown> = Promise.resolve()
  readonly #onTerminal: (handle: SessionHandle) => void

  /** @internal */
  constructor(
    init: { id: string; kind: SessionKind; streamName: string },
    logger: Logger,
    onTerminal: (handle: SessionHandle) => void,
  ) {
    super(logger)
    this.id = init.id
    this.kind = init.kind
    this.streamName = init.streamName
    this.#onTerminal = onTerminal
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
      throw new BlueGreenError(
        'INVALID_ARGUMENT',
        `${this.#label} has no assignment yet: it is still connecting.`,
      )
    }
    return this.#inner.assignment
  }

  /** @inheritdoc */
  get mediaStream(): MediaStream | undefined {
    return this.#inner?.mediaStream
  }

  /** True once the session has had a connection and is neither closed nor failed. @internal */
  get started(): boolean {
    return this.#inner?.started === true && !terminal(this.state)
  }

  /** @inheritdoc */
  close(): Promise<void> {
    if (this.#inner) {
      return this.#inner.close()
    }
    if (!terminal(this.#own)) {
      this.#abort.abort(closedError(this.#label))
      this.#end('closed', 'closed by the application')
    }
    return Promise.resolve()
  }

  /** @inheritdoc */
  migrate(): Promise<void> {
    if (this.#inner) {
      return this.#inner.migrate()
    }
    if (terminal(this.#own)) {
      return Promise.reject(closedError(this.#label))
    }
    // Start-up connects to the environment the client selects anyway: done when it is.
    return this.#startup.then(() => this.#inner?.migrate())
  }

  /**
   * Runs `start` and returns the pending session the client hands out. `signal` is the caller's
   * (`options.signal`): before the real session exists the handle honours it; afterwards the session does.
   * @internal
   */
  run<S extends Session>(start: SessionStarter, signal: AbortSignal | undefined): PendingSession<S> {
    const what = `${this.kind}() of stream "${this.streamName}"`
    const unlink = linkSignal(signal, this.#abort, () => abortedError(what, signal?.reason))
    const attach = (inner: ManagedSession): void => {
      unlink()
      this.#attach(inner)
    }
    let started: Promise<unknown>
    try {
      started = start(attach, this.#abort.signal)
    } catch (error) {
      started = Promise.reject(error)
    }
    this.#startup = started
    const promise = started.then(
      () => this as unknown as S,
      (error: unknown) => {
        unlink()
        this.#failBeforeStart(error)
        throw error
      },
    )
    promise.catch(() => undefined) // handled: the session's `failed` event tells apps that do not await
    return Object.defineProperty(promise, 'session', { value: this, enumerable: true }) as PendingSession<S>
  }

  get #label(): string {
    return `session ${this.id} of stream "${this.streamName}"`
  }

  #attach(inner: ManagedSession): void {
    this.#inner = inner
    for (const name of SESSION_EVENT_NAMES) {
      inner.on(name, (...args: unknown[]) => {
        ;(this.safeEmit as (event: string, ...rest: unknown[]) => boolean)(name, ...args)
        if (name === 'closed' || name === 'failed') {
          this.#dispose()
        }
      })
    }
  }

  /** Start-up failed before the real session existed (discovery, loading, a closed client, `signal`). */
  #failBeforeStart(error: unknown): void {
    if (this.#inner || terminal(this.#own)) {
      return
    }
    if (isBlueGreenError(error, 'CLOSED')) {
      this.#end('closed', error.message)
      return
    }
    const failure = isBlueGreenError(error)
      ? error
      : new BlueGreenError('MEDIA_FAILED', `${this.#label} did not start: ${String(error)}`, {
          cause: error,
        })
    this.#end('failed', failure.message, failure)
  }

  #end(to: 'closed' | 'failed', reason: string, error?: BlueGreenError): void {
    const from = this.#own
    this.#own = to
    this.safeEmit('statechange', { from, to, reason })
    if (to === 'failed') {
      this.safeEmit('failed', error!)
    } else {
      this.safeEmit('closed')
    }
    this.#dispose()
  }

  #dispose(): void {
    this.removeAllListeners()
    this.#onTerminal(this)
  }
}

function terminal(state: SessionState): boolean {
  return state === 'closed' || state === 'failed'
}
