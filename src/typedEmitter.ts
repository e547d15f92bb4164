/**
 * The listener API the client and every session offer, typed by an event map (`ClientEvents`,
 * `SessionEventMap`). At run time it is eventemitter3 (see `internal/emitter.ts`); the types are declared
 * here, in our own code, so our published `.d.ts` never imports eventemitter3's: its typings are one CJS
 * file with `export default`, which TypeScript reads differently per module mode (under node16 ESM the
 * default import is the whole module namespace, and `client.on` disappeared for those apps).
 */

/**
 * The arguments a listener of event `E` receives: the parameters of `Events[E]` when the map holds listener
 * signatures (`ClientEvents`), or `Events[E]` itself when it holds argument tuples (`SessionEventMap`).
 */
export type EventArgs<Events extends object, E extends keyof Events> = Events[E] extends (
  ...args: infer A
) => unknown
  ? A
  : Events[E] extends readonly unknown[]
    ? Events[E]
    : never

/** A listener of event `E` of `Events`. */
export type EventListenerOf<Events extends object, E extends keyof Events> = (
  ...args: EventArgs<Events, E>
) => void

/**
 * Typed eventemitter3-style listener methods.
 *
 * @example
 * ```ts
 * const onStale = ({ error }: StaleEvent) => console.warn(error.code)
 * client.on('stale', onStale)
 * client.off('stale', onStale)
 * session.once('migrated', ({ from, to, interruptionMs }) => console.log(from, to, interruptionMs))
 * ```
 */
export interface TypedEmitter<Events extends object> {
  /** Adds a listener of `event`; `context` is its `this`. */
  on<E extends keyof Events>(event: E, listener: EventListenerOf<Events, E>, context?: unknown): this
  /** Same as {@link TypedEmitter.on}. */
  addListener<E extends keyof Events>(event: E, listener: EventListenerOf<Events, E>, context?: unknown): this
  /** Adds a listener that is removed after its first call. */
  once<E extends keyof Events>(event: E, listener: EventListenerOf<Events, E>, context?: unknown): this
  /**
   * Removes the listeners of `event` that match: all of them without `listener`, else those with that
   * function (and, when given, that `context`, and only one-time ones when `once` is true).
   */
  off<E extends keyof Events>(
    event: E,
    listener?: EventListenerOf<Events, E>,
    context?: unknown,
    once?: boolean,
  ): this
  /** Same as {@link TypedEmitter.off}. */
  removeListener<E extends keyof Events>(
    event: E,
    listener?: EventListenerOf<Events, E>,
    context?: unknown,
    once?: boolean,
  ): this
  /** Removes every listener, or every listener of `event`. */
  removeAllListeners(event?: keyof Events): this
  /** The listeners of `event`, in call order. */
  listeners<E extends keyof Events>(event: E): EventListenerOf<Events, E>[]
  /** How many listeners `event` has. */
  listenerCount(event: keyof Events): number
  /** The events that have listeners. */
  eventNames(): (keyof Events)[]
}
