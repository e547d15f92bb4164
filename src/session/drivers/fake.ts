/**
 * A driver without WebRTC, for tests (STYLE principle 3, after mediasoup's FakeHandler): it records every
 * session it opens, and `simulate*()` methods make connections drop, fail or take time, on an injected clock.
 */
import { abortedError, BlueGreenError } from '../../errors'
import { type Clock, sleep, systemClock } from '../../environment'
import type { SessionKind } from '../../types'
import type {
  Driver,
  DriverPublishOptions,
  DriverSession,
  DriverSubscribeOptions,
  SignalingTarget,
} from './Driver'

/** Options of {@link FakeDriver}. */
export interface FakeDriverOptions {
  /** The driver's name in logs. @default 'fake' */
  name?: string
  /** The clock slow connects wait on. Use the same clock as the client under test. @default the system clock */
  clock?: Clock
  /** How long every connect takes (0: it resolves on the next microtask). @default 0 */
  connectDelayMs?: number
  /**
   * Makes the `mediaStream` of a new driver session. By default a publish carries the `mediaStream` it was
   * given and a subscribe carries none.
   */
  mediaStream?: (kind: SessionKind, target: SignalingTarget) => MediaStream | undefined
}

/** Selects recorded sessions: every given field must match. */
export interface FakeSessionFilter {
  /** `publish` or `subscribe`. */
  kind?: SessionKind
  /** Environment name of the target. */
  environment?: string
  /** Stream name of the target. */
  streamName?: string
}

/** A filter object, or a predicate over records. */
export type FakeSessionSelector = FakeSessionFilter | ((session: FakeDriverSession) => boolean)

/** `open` until closed by the library or ended by {@link FakeDriver.simulateDrop}. */
export type FakeSessionState = 'open' | 'closed' | 'ended'

/** One connection the {@link FakeDriver} made, with its history. */
export interface FakeDriverSession extends DriverSession {
  /** 1, 2, 3, ... in order of opening. */
  readonly id: number
  /** `publish` or `subscribe`. */
  readonly kind: SessionKind
  /** Where it connected. */
  readonly target: SignalingTarget
  /** The options it was given. */
  readonly options: DriverPublishOptions | DriverSubscribeOptions
  /** Now: `open`, `closed` (by the library) or `ended` (dropped). */
  readonly state: FakeSessionState
  /** True while `state` is `open`. */
  readonly isOpen: boolean
  /** Clock time it went live. */
  readonly openedAt: number
  /** Clock time the library first called `close()`. */
  readonly closedAt: number | undefined
  /** Clock time it was dropped. */
  readonly endedAt: number | undefined
  /** How many times the library called `close()`. */
  readonly closeCalls: number
}

class FakeSessionRecord implements FakeDriverSession {
  state: FakeSessionState = 'open'
  closedAt: number | undefined
  endedAt: number | undefined
  closeCalls = 0
  readonly mediaStream?: MediaStream
  private listener: ((error?: Error) => void) | undefined
  private readonly disconnectedListeners: ((disconnected: boolean) => void)[] = []
  private readonly stallListeners: ((stalled: boolean) => void)[] = []
  private endError: Error | undefined

  constructor(
    readonly id: number,
    readonly kind: SessionKind,
    readonly target: SignalingTarget,
    readonly options: DriverPublishOptions | DriverSubscribeOptions,
    readonly openedAt: number,
    mediaStream: MediaStream | undefined,
    private readonly clock: Clock,
  ) {
    if (mediaStream !== undefined) {
      this.mediaStream = mediaStream
    }
  }

  get isOpen(): boolean {
    return this.state === 'open'
  }

  onEnd(listener: (error?: Error) => void): void {
    this.listener = listener
    if (this.state === 'ended') {
      const error = this.endError
      this.listener = undefined
      queueMicrotask(() => listener(error))
    }
  }

  onDisconnected(listener: (disconnected: boolean) => void): void {
    this.disconnectedListeners.push(listener)
  }

  /** Tells the disconnected listeners (see {@link FakeDriver.simulateDisconnect}). */
  disconnect(disconnected: boolean): void {
    for (const listener of [...this.disconnectedListeners]) {
      listener(disconnected)
    }
  }

  onStall(listener: (stalled: boolean) => void): void {
    this.stallListeners.push(listener)
  }

  /** Tells the stall listeners (see {@link FakeDriver.simulateStall}). */
  stall(stalled: boolean): void {
    for (const listener of [...this.stallListeners]) {
      listener(stalled)
    }
  }

  close(): Promise<void> {
    this.closeCalls += 1
    this.closedAt ??= this.clock.now()
    if (this.state === 'open') {
      this.state = 'closed'
    }
    return Promise.resolve()
  }

  end(error: Error): void {
    this.state = 'ended'
    this.endedAt = this.clock.now()
    this.endError = error
    const listener = this.listener
    this.listener = undefined
    listener?.(error)
  }
}

interface PendingFailure {
  error: Error
  remaining: number
  selector: FakeSessionSelector | undefined
}

function matches(selector: FakeSessionSelector | undefined, session: FakeDriverSession): boolean {
  if (selector === undefined) {
    return true
  }
  if (typeof selector === 'function') {
    return selector(session)
  }
  return (
    (selector.kind === undefined || selector.kind === session.kind) &&
    (selector.environment === undefined || selector.environment === session.target.environment) &&
    (selector.streamName === undefined || selector.streamName === session.target.streamName)
  )
}

/**
 * A {@link Driver} for tests: connects instantly (or after `simulateSlowConnect`), honours the AbortSignal,
 * and lets a test drop or refuse connections.
 *
 * @example
 * ```ts
 * import { FakeDriver, ManualClock } from 'red5pro-bluegreen/testing'
 * const clock = new ManualClock()
 * const driver = new FakeDriver({ clock })
 * const client = createClient({ manifest, driver, clock })
 * const session = await client.publish({ streamName: 'cam' })
 * driver.simulateDrop({ environment: 'green' })   // the session reconnects
 * await clock.runAll()
 * expect(driver.openCount({ kind: 'publish' })).toBe(1)
 * ```
 */
export class FakeDriver implements Driver {
  /** @inheritdoc */
  readonly name: string
  /** Every session opened so far, in order (open, closed and ended). */
  readonly sessions: FakeDriverSession[] = []
  /** How many connects were attempted (including failed and aborted ones). */
  connectAttempts = 0
  private readonly records: FakeSessionRecord[] = []
  private readonly clock: Clock
  private readonly makeMediaStream: FakeDriverOptions['mediaStream']
  private connectDelayMs: number
  private slowRemaining = 0
  private slowDelayMs = 0
  private readonly failures: PendingFailure[] = []

  /** @param options - see {@link FakeDriverOptions} */
  constructor(options: FakeDriverOptions = {}) {
    this.name = options.name ?? 'fake'
    this.clock = options.clock ?? systemClock()
    this.connectDelayMs = options.connectDelayMs ?? 0
    this.makeMediaStream = options.mediaStream
  }

  /** @inheritdoc */
  publish(
    target: SignalingTarget,
    options: DriverPublishOptions,
    signal: AbortSignal,
  ): Promise<DriverSession> {
    return this.connect('publish', target, options, signal)
  }

  /** @inheritdoc */
  subscribe(
    target: SignalingTarget,
    options: DriverSubscribeOptions,
    signal: AbortSignal,
  ): Promise<DriverSession> {
    return this.connect('subscribe', target, options, signal)
  }

  /**
   * Ends every open session matching `selector` as a network loss would (their `onEnd` listeners run now).
   * @returns how many sessions were dropped
   */
  simulateDrop(selector?: FakeSessionSelector, error?: Error): number {
    let dropped = 0
    for (const record of this.records) {
      if (record.isOpen && matches(selector, record)) {
        record.end(
          error ??
            new BlueGreenError(
              'MEDIA_FAILED',
              `FakeDriver dropped the ${record.kind} of "${record.target.streamName}" on "${record.target.environment}".`,
              { environment: record.target.environment, streamName: record.target.streamName },
            ),
        )
        dropped += 1
      }
    }
    return dropped
  }

  /**
   * Tells every open session matching `selector` that its connection may be lost (`onDisconnected(true)`,
   * as a liveness watch does when its grace starts), or that it recovered (`false`). Nothing ends: follow
   * with {@link FakeDriver.simulateDrop} for a connection that was lost after all.
   * @returns how many sessions were told
   */
  simulateDisconnect(selector?: FakeSessionSelector, disconnected = true): number {
    return this.tellOpen(selector, (record) => record.disconnect(disconnected))
  }

  /** Calls `tell` for every open session matching `selector`; returns how many. */
  private tellOpen(
    selector: FakeSessionSelector | undefined,
    tell: (record: FakeSessionRecord) => void,
  ): number {
    const open = this.records.filter((record) => record.isOpen && matches(selector, record))
    open.forEach(tell)
    return open.length
  }

  /**
   * Tells every open session matching `selector` that its media stopped while its path still seems alive
   * (`onStall(true)`, as a liveness watch does for a frozen source), or that media came back (`false`).
   * Nothing ends.
   * @returns how many sessions were told
   */
  simulateStall(selector?: FakeSessionSelector, stalled = true): number {
    return this.tellOpen(selector, (record) => record.stall(stalled))
  }

  /**
   * Makes the next `times` connects (matching `selector`, when given) reject with `error` (after any slow
   * connect delay).
   */
  simulateConnectFailure(error: Error, times = 1, selector?: FakeSessionSelector): void {
    this.failures.push({ error, remaining: times, selector })
  }

  /** Makes the next `times` connects take `ms` on the clock (0 turns it off). */
  simulateSlowConnect(ms: number, times = Infinity): void {
    this.slowDelayMs = ms
    this.slowRemaining = ms > 0 ? times : 0
  }

  /** Open sessions matching `selector`. */
  open(selector?: FakeSessionSelector): FakeDriverSession[] {
    return this.records.filter((record) => record.isOpen && matches(selector, record))
  }

  /** How many sessions matching `selector` are open. */
  openCount(selector?: FakeSessionSelector): number {
    return this.open(selector).length
  }

  /** Open sessions per environment name, e.g. `{ green: 3, blue: 1 }`. */
  openByEnvironment(): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const record of this.open()) {
      counts[record.target.environment] = (counts[record.target.environment] ?? 0) + 1
    }
    return counts
  }

  private takeFailure(record: FakeDriverSession): Error | undefined {
    const index = this.failures.findIndex(
      (failure) => failure.remaining > 0 && matches(failure.selector, record),
    )
    const failure = this.failures[index]
    if (!failure) {
      return undefined
    }
    failure.remaining -= 1
    if (failure.remaining <= 0) {
      this.failures.splice(index, 1)
    }
    return failure.error
  }

  private takeDelay(): number {
    if (this.slowRemaining > 0) {
      this.slowRemaining -= 1
      return this.slowDelayMs
    }
    return this.connectDelayMs
  }

  private async connect(
    kind: SessionKind,
    target: SignalingTarget,
    options: DriverPublishOptions | DriverSubscribeOptions,
    signal: AbortSignal,
  ): Promise<DriverSession> {
    this.connectAttempts += 1
    const what = `FakeDriver ${kind} of "${target.streamName}" on "${target.environment}"`
    if (signal.aborted) {
      throw abortedError(what, signal.reason)
    }
    const delay = this.takeDelay()
    if (delay > 0) {
      try {
        await sleep(this.clock, delay, signal)
      } catch (reason) {
        throw abortedError(what, reason)
      }
    } else {
      await Promise.resolve()
      if (signal.aborted) {
        throw abortedError(what, signal.reason)
      }
    }
    const mediaStream = this.makeMediaStream
      ? this.makeMediaStream(kind, target)
      : kind === 'publish'
        ? (options as DriverPublishOptions).mediaStream
        : undefined
    const record = new FakeSessionRecord(
      this.records.length + 1,
      kind,
      target,
      options,
      this.clock.now(),
      mediaStream,
      this.clock,
    )
    const failure = this.takeFailure(record)
    if (failure) {
      throw failure
    }
    this.records.push(record)
    this.sessions.push(record)
    return record
  }
}
