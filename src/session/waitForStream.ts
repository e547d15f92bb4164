/**
 * The pause between two looks for a stream that is published nowhere yet (`waitForStream: true`).
 *
 * The Stream Manager has no "tell me when it exists" call, so waiting means asking again; this keeps each
 * look to one assignment request and spaces the looks out: backoff from 1 s to 10 s with "equal jitter"
 * (a random delay in the upper half of the step, so a crowd waiting for the same show spreads out without
 * anyone asking sooner than half the step), a `Retry-After` the Stream Manager sent honoured up to a
 * minute as a floor with jitter above it (a crowd told "30 s" must not come back in one wave), and a new
 * manifest revision (a promotion, a publisher that moved) ending the pause at once.
 * @internal
 */
import type { Clock } from '../environment'
import type { BlueGreenError } from '../errors'
import { retryAfterWait } from '../internal/retryAfter'
import type { SessionHost } from './host'

/** Backoff of `waitForStream` while the stream is published nowhere. @internal */
export const WAIT_FOR_STREAM_BACKOFF = { baseMs: 1_000, capMs: 10_000, maxRetryAfterMs: 60_000 } as const

/**
 * How long to wait before look `attempt + 1`: equal jitter over a capped exponential step, or the
 * Stream Manager's `Retry-After` (up to a minute, with jitter above it: `retryAfterWait`) when that is longer.
 * @internal
 */
export function waitDelay(attempt: number, random: () => number, error?: BlueGreenError): number {
  const { baseMs, capMs, maxRetryAfterMs } = WAIT_FOR_STREAM_BACKOFF
  const step = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30))
  const jittered = Math.floor(step / 2 + random() * (step / 2))
  const asked =
    error?.retryAfterMs === undefined ? 0 : retryAfterWait(error.retryAfterMs, random, maxRetryAfterMs)
  return Math.max(jittered, asked)
}

/**
 * Resolves after `ms`, or as soon as the client accepts a new manifest revision (the stream may be
 * somewhere new); rejects with the signal's reason when `signal` aborts. Leaves no timer or listener.
 * @internal
 */
export function pauseUntilNextLook(
  clock: Clock,
  host: Pick<SessionHost, 'onManifest'>,
  ms: number,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    const done = (): void => {
      clock.clearTimeout(timer)
      unsubscribe()
      signal.removeEventListener('abort', onAbort)
    }
    const onAbort = (): void => {
      done()
      reject(signal.reason)
    }
    const timer = clock.setTimeout(
      () => {
        done()
        resolve()
      },
      Math.max(0, ms),
    )
    const unsubscribe = host.onManifest(() => {
      done()
      resolve()
    })
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
