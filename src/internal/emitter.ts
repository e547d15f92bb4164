import EventEmitter from 'eventemitter3'

import type { Logger } from '../environment'

interface ListenerEntry {
  fn: (...args: unknown[]) => unknown
  context: unknown
  once: boolean
}

/**
 * eventemitter3 with `safeEmit`: a listener that throws (or rejects) is logged and never breaks the
 * library, so a throwing `statechange` handler cannot abort a migration.
 * @internal
 */
export class SafeEmitter<Events extends EventEmitter.ValidEventTypes> extends EventEmitter<Events> {
  /** @internal */
  protected readonly emitterLogger: Logger | undefined

  constructor(logger?: Logger) {
    super()
    this.emitterLogger = logger
  }

  /** Calls each listener of `event` in turn, as `emit` does; exceptions are logged, never propagated. @internal */
  safeEmit<E extends EventEmitter.EventNames<Events>>(
    event: E,
    ...args: EventEmitter.EventArgs<Events, E>
  ): boolean {
    // eventemitter3 5.x keeps one entry or an array of entries per event (it uses no key prefix where
    // Object.create(null) exists). We walk them as its own emit() does, one try/catch each.
    const raw = (
      this as unknown as { _events: Record<PropertyKey, ListenerEntry | ListenerEntry[] | undefined> }
    )._events[event as PropertyKey]
    if (raw === undefined) {
      return false
    }
    const entries = Array.isArray(raw) ? [...raw] : [raw]
    for (const entry of entries) {
      if (entry.once) {
        this.removeListener(event, entry.fn as never, entry.context, true)
      }
      try {
        const result = entry.fn.apply(entry.context, args as unknown[])
        if (result instanceof Promise) {
          result.catch((error: unknown) =>
            this.emitterLogger?.error(`a "${String(event)}" listener rejected`, error),
          )
        }
      } catch (error) {
        this.emitterLogger?.error(`a "${String(event)}" listener threw`, error)
      }
    }
    return true
  }
}
