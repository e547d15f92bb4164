import EventEmitter from 'eventemitter3'

import type { Logger } from '../environment'
import type { EventArgs, TypedEmitter } from '../typedEmitter'

interface ListenerEntry {
  fn: (...args: unknown[]) => unknown
  context: unknown
  once: boolean
}

/**
 * eventemitter3 at run time, {@link TypedEmitter} in the types.
 *
 * Why not `extends EventEmitter<Events>` as before: our published `.d.ts` then imported eventemitter3's
 * typings, a CJS file with `export default`. Under `moduleResolution: node16` in an ESM app (`"type":
 * "module"`) TypeScript reads that default import as the whole CJS module, not the class, so
 * `client.on(...)` did not exist for those apps (bundler resolution and CJS were fine; attw did not
 * notice). Importing eventemitter3 by its named export would have fixed that mode but still tied every
 * consumer's types to another package's packaging, and published `emit` to apps. Declaring the listener
 * API ourselves keeps the types identical in every mode, makes `.d.ts` self-contained, and keeps what
 * eventemitter3 does well (speed, size, context arguments) at run time, unchanged.
 */
const TypedEventEmitter = EventEmitter as unknown as new <Events extends object>() => TypedEmitter<Events>

/**
 * The base of the client and the sessions: typed listener methods plus (internally) `safeEmit`, which
 * calls each listener as `emit` does but logs a listener that throws (or rejects) instead of letting it
 * break the library, so a throwing `statechange` handler cannot abort a migration. Not constructible by
 * apps: use `createClient()`, and the client's `publish()` / `subscribe()`.
 */
export class SafeEmitter<Events extends object> extends TypedEventEmitter<Events> {
  /** @internal */
  protected readonly emitterLogger: Logger | undefined

  /** @param logger - where throwing listeners are reported */
  protected constructor(logger?: Logger) {
    super()
    this.emitterLogger = logger
  }

  /** Calls each listener of `event` in turn, as `emit` does; exceptions are logged, never propagated. @internal */
  safeEmit<E extends keyof Events>(event: E, ...args: EventArgs<Events, E>): boolean {
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
