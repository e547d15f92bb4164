/**
 * The sessions of one client: starts them, lists them, closes them, and hands them to the swap
 * coordinator. The client delegates `publish()`, `subscribe()`, `sessions` and the session part of
 * `close()` here.
 */
import { abortedError, BlueGreenError, closedError } from '../errors'
import { SwapCoordinator } from '../swap/SwapCoordinator'
import type { SessionKind } from '../types'
import type { SessionHost } from './host'
import { isTerminal } from './machine'
import type { PublishOptions, SubscribeOptions } from './options'
import {
  ManagedSession,
  type PublishSession,
  type Session,
  type SessionHooks,
  type SubscribeSession,
} from './Session'

/** How the client starts a session it already handed out (see `handle.ts`). @internal */
export interface StartOptions {
  /** The id the app's handle already carries. */
  readonly id?: string | undefined
  /** Called synchronously with the new session, before start-up begins. */
  readonly attach?: ((session: ManagedSession) => void) | undefined
}

/**
 * Runs the sessions of one client over a {@link SessionHost}.
 *
 * @example
 * ```ts
 * // Inside createClient():
 * const sessions = new SessionManager(host)
 * client.publish = (options) => sessions.publish(options)
 * client.close = async () => { await sessions.close(); stopDiscovery() }
 * ```
 * @internal
 */
export class SessionManager {
  private readonly all = new Set<ManagedSession>()
  private readonly coordinator: SwapCoordinator
  private readonly hooks: SessionHooks
  private counter = 0
  private closing: Promise<void> | undefined

  /** Starts listening to `host.onManifest` (through the swap coordinator). */
  constructor(private readonly host: SessionHost) {
    this.coordinator = new SwapCoordinator(host)
    this.hooks = {
      onStateChange: (session) => this.coordinator.onStateChange(session),
      requestMove: (session) => this.coordinator.requestMove(session),
      dispose: (session) => {
        this.all.delete(session)
        this.coordinator.forget(session)
      },
    }
  }

  /**
   * Publishes `options.streamName` on the selected environment; resolves once media flows.
   * @throws {BlueGreenError} `INVALID_ARGUMENT` (no stream name), `CLOSED` (client closed, or closed during
   *   start-up), `ABORTED` (`options.signal`), `ENVIRONMENT_UNKNOWN`, `ENVIRONMENT_OFFLINE`, `NO_CAPACITY`,
   *   `STREAM_MANAGER_UNAVAILABLE`, `DRIVER_UNAVAILABLE`, `MEDIA_FAILED`, ...
   */
  publish(options: PublishOptions, start?: StartOptions): Promise<PublishSession> {
    return this.start('publish', options, start) as Promise<PublishSession>
  }

  /**
   * Plays `options.streamName`; resolves once media flows. When the selected environment does not carry
   * the stream yet but a `draining` one does, it plays from there and moves later.
   * @throws {BlueGreenError} `STREAM_NOT_FOUND` (published nowhere, without `waitForStream`), and the codes
   *   of {@link SessionManager.publish}
   */
  subscribe(options: SubscribeOptions, start?: StartOptions): Promise<SubscribeSession> {
    return this.start('subscribe', options, start) as Promise<SubscribeSession>
  }

  /** The sessions that have started and are not closed or failed, oldest first. */
  get sessions(): readonly Session[] {
    return [...this.all].filter((session) => session.started && !isTerminal(session.state))
  }

  /** Closes every session (including those starting up) and stops every timer. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.coordinator.close()
      this.closing = Promise.all([...this.all].map((session) => session.close())).then(() => undefined)
    }
    return this.closing
  }

  private async start(
    kind: SessionKind,
    options: PublishOptions | SubscribeOptions,
    start: StartOptions = {},
  ): Promise<Session> {
    const what = `${kind}()`
    if (this.closing) {
      throw closedError('The client')
    }
    if (
      typeof options !== 'object' ||
      options === null ||
      typeof options.streamName !== 'string' ||
      options.streamName === ''
    ) {
      throw new BlueGreenError('INVALID_ARGUMENT', `${what} needs options.streamName, a non-empty string.`)
    }
    if (options.signal?.aborted) {
      throw abortedError(`${what} of stream "${options.streamName}"`, options.signal.reason)
    }
    this.counter += 1
    const session = new ManagedSession(
      this.host,
      { id: start.id ?? `${kind}-${this.counter}`, kind, streamName: options.streamName },
      {
        mediaStream: 'mediaStream' in options ? options.mediaStream : undefined,
        mediaElement: options.mediaElement,
        connectionParams: options.connectionParams,
        waitForStream: 'waitForStream' in options ? options.waitForStream : undefined,
      },
      this.hooks,
    )
    this.all.add(session)
    this.coordinator.add(session)
    start.attach?.(session)
    await session.start(options.signal)
    return session
  }
}
