/**
 * In-flight sharing: callers asking the same question at the same time share one operation. Each
 * caller keeps its own AbortSignal: one caller aborting rejects only that caller; the shared operation
 * is aborted only when every caller has left. An entry lives exactly as long as its operation: no
 * result outlives the in-flight window.
 * @internal
 */

interface Entry<T> {
  readonly promise: Promise<T>
  /** Absent when the first caller had no signal: then not every caller can leave, so nothing aborts. */
  readonly controller: AbortController | undefined
  callers: number
  settled: boolean
}

/** A map of operations in flight, keyed by what they compute. @internal */
export class InFlight<T> {
  readonly #entries = new Map<string, Entry<T>>()

  /** Operations currently in flight (for tests and diagnostics). */
  get size(): number {
    return this.#entries.size
  }

  /**
   * Joins the operation for `key`, starting it with `start` if none is in flight.
   * @param key - what identifies the question
   * @param start - runs the operation; gets a signal aborted when every caller has left, or
   *   `undefined` when the first caller has no signal (that caller never leaves early, so the
   *   operation is never abandoned and needs no signal: this saves an AbortController per call)
   * @param signal - this caller's signal
   * @param aborted - the error this caller rejects with when its signal aborts
   */
  run(
    key: string,
    start: (signal: AbortSignal | undefined) => Promise<T>,
    signal: AbortSignal | undefined,
    aborted: (reason: unknown) => Error,
  ): Promise<T> {
    if (signal?.aborted) {
      return Promise.reject(aborted(signal.reason))
    }
    let entry = this.#entries.get(key)
    if (!entry) {
      const controller = signal ? new AbortController() : undefined
      const created: Entry<T> = { promise: start(controller?.signal), controller, callers: 0, settled: false }
      const finish = (): void => {
        created.settled = true
        if (this.#entries.get(key) === created) {
          this.#entries.delete(key)
        }
      }
      created.promise.then(finish, finish)
      this.#entries.set(key, created)
      entry = created
    }
    return this.#join(key, entry, signal, aborted)
  }

  #join(
    key: string,
    entry: Entry<T>,
    signal: AbortSignal | undefined,
    aborted: (reason: unknown) => Error,
  ): Promise<T> {
    entry.callers++
    return new Promise<T>((resolve, reject) => {
      let left = false
      const leave = (): boolean => {
        if (left) {
          return false
        }
        left = true
        signal?.removeEventListener('abort', onAbort)
        entry.callers--
        return true
      }
      const onAbort = (): void => {
        if (!leave()) {
          return
        }
        reject(aborted(signal?.reason))
        if (entry.callers === 0 && !entry.settled) {
          if (this.#entries.get(key) === entry) {
            this.#entries.delete(key)
          }
          entry.controller?.abort(signal?.reason)
        }
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      entry.promise.then(
        (value) => {
          if (leave()) {
            resolve(value)
          }
        },
        (error: unknown) => {
          if (leave()) {
            reject(error)
          }
        },
      )
    })
  }
}
