/**
 * Small AbortSignal helpers for the session's operations.
 * Written here because `AbortSignal.any` is missing from some browsers the package supports, and a
 * race helper is a few lines that no library offers without also owning the retry loop.
 * @internal
 */
import { abortedError, type BlueGreenError } from '../errors'

/** The reason a signal aborted with, as a BlueGreenError (`ABORTED` unless it already is one). @internal */
export function abortReason(signal: AbortSignal, what: string): BlueGreenError {
  return abortedError(what, signal.reason)
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as `signal` aborts (the promise
 * keeps running; its result is ignored). For host calls that take no signal.
 * @internal
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined)
    return Promise.reject(abortReason(signal, what))
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal, what))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * Aborts `controller` when `source` aborts (with the reason `reason()` gives). Returns the function that
 * unlinks them again.
 * @internal
 */
export function linkSignal(
  source: AbortSignal | undefined,
  controller: AbortController,
  reason: () => unknown,
): () => void {
  if (!source) {
    return () => undefined
  }
  if (source.aborted) {
    controller.abort(reason())
    return () => undefined
  }
  const onAbort = (): void => controller.abort(reason())
  source.addEventListener('abort', onAbort, { once: true })
  return () => source.removeEventListener('abort', onAbort)
}
