/**
 * Records what an event emitter emits, for assertions on order and payloads (after livekit's
 * `subscribeToEvents` idea; written for eventemitter3-style `on`/`off`).
 */
import type { Clock } from '../environment'

/* eslint-disable @typescript-eslint/no-explicit-any -- eventemitter3's typed on/off are generic per event name;
   `any` here is what lets every typed emitter fit one recorder. */
/** Anything with eventemitter3-style `on` and `off`. */
export interface Listenable {
  /** Adds a listener. */
  on(event: any, listener: (...args: any[]) => void): unknown
  /** Removes a listener. */
  off(event: any, listener: (...args: any[]) => void): unknown
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** One recorded emission. */
export interface RecordedEvent {
  /** The event name. */
  readonly name: string
  /** The arguments it was emitted with. */
  readonly args: readonly unknown[]
  /** `clock.now()` at emission, when a clock was given. */
  readonly at: number | undefined
}

/** What {@link recordEvents} returns. */
export interface EventRecorder<Events extends object = Record<string, unknown[]>> {
  /** Every emission so far, in order. */
  readonly events: readonly RecordedEvent[]
  /** The names of every emission so far, in order (handy with `toEqual`). */
  names(): string[]
  /** The first argument of every emission of `name`, in order. */
  payloads<K extends keyof Events & string>(
    name: K,
  ): (Events[K] extends readonly [infer First, ...unknown[]] ? First : undefined)[]
  /** How many times `name` was emitted. */
  count(name: keyof Events & string): number
  /**
   * Resolves with the first argument of the next emission of `name` that satisfies `predicate` (or of a
   * past one, when `includePast` is true).
   */
  waitFor<K extends keyof Events & string>(
    name: K,
    predicate?: (
      payload: Events[K] extends readonly [infer First, ...unknown[]] ? First : undefined,
    ) => boolean,
    options?: { includePast?: boolean },
  ): Promise<Events[K] extends readonly [infer First, ...unknown[]] ? First : undefined>
  /** Forgets what was recorded (keeps recording). */
  clear(): void
  /** Stops recording: removes every listener it added. */
  stop(): void
}

/**
 * Starts recording `names` on `emitter`.
 *
 * @example
 * ```ts
 * import { recordEvents, SESSION_EVENT_NAMES } from 'red5pro-bluegreen/testing'
 * const events = recordEvents<SessionEventMap>(session, SESSION_EVENT_NAMES, { clock })
 * driver.simulateDrop()
 * await clock.runAll()
 * expect(events.names()).toEqual(['statechange', 'reconnecting', 'statechange', 'reconnected'])
 * events.stop()
 * ```
 */
export function recordEvents<Events extends object = Record<string, unknown[]>>(
  emitter: Listenable,
  names: readonly (keyof Events & string)[],
  options: { clock?: Clock | undefined } = {},
): EventRecorder<Events> {
  type First<K extends keyof Events> = Events[K] extends readonly [infer F, ...unknown[]] ? F : undefined
  const events: RecordedEvent[] = []
  const waiters = new Set<{
    name: string
    test: (payload: unknown) => boolean
    resolve: (payload: unknown) => void
  }>()
  const listeners = new Map<string, (...args: unknown[]) => void>()
  for (const name of names) {
    const listener = (...args: unknown[]): void => {
      events.push({ name, args, at: options.clock?.now() })
      for (const waiter of [...waiters]) {
        if (waiter.name === name && waiter.test(args[0])) {
          waiters.delete(waiter)
          waiter.resolve(args[0])
        }
      }
    }
    listeners.set(name, listener)
    emitter.on(name, listener)
  }
  return {
    events,
    names: () => events.map((event) => event.name),
    payloads: <K extends keyof Events & string>(name: K) =>
      events.filter((event) => event.name === name).map((event) => event.args[0] as First<K>),
    count: (name) => events.filter((event) => event.name === name).length,
    waitFor: <K extends keyof Events & string>(
      name: K,
      predicate: (payload: First<K>) => boolean = () => true,
      waitOptions: { includePast?: boolean } = {},
    ) => {
      const test = predicate as (payload: unknown) => boolean
      if (waitOptions.includePast) {
        const past = events.find((event) => event.name === name && test(event.args[0]))
        if (past) {
          return Promise.resolve(past.args[0] as First<K>)
        }
      }
      return new Promise<First<K>>((resolve) => {
        waiters.add({ name, test, resolve: resolve as (payload: unknown) => void })
      })
    },
    clear: () => {
      events.length = 0
    },
    stop: () => {
      for (const [name, listener] of listeners) {
        emitter.off(name, listener)
      }
      listeners.clear()
      waiters.clear()
    },
  }
}
