/**
 * One object for every side effect the library has: network, time, timers, randomness, storage and
 * logging. Defaults are looked up on `globalThis` when a client is created, never at import time, so
 * importing the package does nothing and tests inject instead of patching globals.
 */

/** The clock and timers the library uses. Inject a fake one in tests. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Schedules `fn` after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown
  /** Cancels a timer made by {@link Clock.setTimeout}. */
  clearTimeout(handle: unknown): void
}

/** A Web Storage-like key/value store (a subset of `localStorage`). */
export interface KeyValueStorage {
  /** Returns the stored string or `null`. */
  getItem(key: string): string | null
  /** Stores a string. May throw (quota, private mode): the library tolerates that. */
  setItem(key: string, value: string): void
  /** Removes a key. */
  removeItem(key: string): void
}

/** Where the library's log lines go. Every method is optional to implement; `console` fits. */
export interface Logger {
  /** Detailed tracing. */
  debug(message: string, ...data: unknown[]): void
  /** Notable events (a new revision, a migration). */
  info(message: string, ...data: unknown[]): void
  /** Something went wrong and was recovered from. */
  warn(message: string, ...data: unknown[]): void
  /** Something went wrong and was not recovered from. */
  error(message: string, ...data: unknown[]): void
}

/** The `fetch` signature the library needs. */
export type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response>

/** Every side effect, resolved. @internal */
export interface Environment {
  readonly fetch: FetchLike
  readonly clock: Clock
  readonly random: () => number
  readonly storage: KeyValueStorage
  readonly logger: Logger
  /** The logger the user passed, unscoped, for components that add their own scope (drivers). */
  readonly sink?: Partial<Logger> | undefined
}

/** The injectable parts of {@link Environment}, as accepted by `createClient`. @internal */
export interface EnvironmentOptions {
  fetch?: FetchLike | undefined
  clock?: Clock | undefined
  random?: (() => number) | undefined
  storage?: KeyValueStorage | undefined
  logger?: Partial<Logger> | undefined
}

/** An in-memory {@link KeyValueStorage}: the default outside browsers. @internal */
export function memoryStorage(): KeyValueStorage {
  const map = new Map<string, string>()
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, String(value)),
    removeItem: (key) => void map.delete(key),
  }
}

const noop = (): void => undefined

/** A logger that prefixes every line with `red5pro-bluegreen:<module>`. @internal */
export function scopedLogger(logger: Partial<Logger> | undefined, module: string): Logger {
  const prefix = `red5pro-bluegreen:${module}`
  const wrap = (level: keyof Logger) => {
    const fn = logger?.[level]
    return fn
      ? (message: string, ...data: unknown[]) => fn.call(logger, `[${prefix}] ${message}`, ...data)
      : noop
  }
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') }
}

function defaultStorage(): KeyValueStorage {
  try {
    const candidate = (globalThis as { localStorage?: KeyValueStorage }).localStorage
    if (candidate && typeof candidate.getItem === 'function') {
      return candidate
    }
  } catch {
    // Accessing localStorage throws in some sandboxed iframes; fall back to memory.
  }
  return memoryStorage()
}

/** The real clock, bound to `globalThis` at call time. @internal */
export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  }
}

/** Fills in defaults from `globalThis`; called when a client is created, never at import. @internal */
export function resolveEnvironment(options: EnvironmentOptions, module = 'client'): Environment {
  const fetchImpl: FetchLike =
    options.fetch ?? ((input, init) => globalThis.fetch(input as RequestInfo, init))
  return {
    fetch: fetchImpl,
    clock: options.clock ?? systemClock(),
    random: options.random ?? Math.random,
    storage: options.storage ?? defaultStorage(),
    logger: scopedLogger(options.logger, module),
    sink: options.logger,
  }
}

/**
 * Resolves after `ms` on `clock`, or rejects with the signal's reason when it aborts first.
 * @internal
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle)
      reject(signal?.reason)
    }
    const handle = clock.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      },
      Math.max(0, ms),
    )
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
