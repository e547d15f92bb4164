/**
 * The bounds of a WHIP/WHEP start-up: the caller's signal and `connectTimeoutMs` both stop it, and any
 * failure comes out as a typed `BlueGreenError`. Split from session.ts.
 * @internal
 */
import type { Clock } from '../../../environment'
import { abortedError, BlueGreenError, isBlueGreenError } from '../../../errors'
import type { SignalingTarget } from '../Driver'
import { redactUrl } from './http'

/** What bounds a start-up. @internal */
export interface StartupBounds {
  readonly what: string
  readonly target: SignalingTarget
  readonly clock: Clock
  readonly connectTimeoutMs: number
  /** The caller's signal: `ABORTED` when it aborts. */
  readonly signal: AbortSignal
}

/**
 * Runs `connect` with a signal that aborts on the caller's abort (`ABORTED`) or after `connectTimeoutMs`
 * (`TIMEOUT`), and settles as soon as either happens (the work is told through its signal).
 * @throws {BlueGreenError} `ABORTED`, `TIMEOUT`, or what `connect` threw (else `MEDIA_FAILED`).
 * @internal
 */
export async function boundedStart(
  bounds: StartupBounds,
  connect: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const { what, target, clock, connectTimeoutMs, signal } = bounds
  if (signal.aborted) {
    throw abortedError(what, signal.reason)
  }
  const startup = new AbortController()
  const onAbort = (): void => startup.abort(abortedError(what, signal.reason))
  signal.addEventListener('abort', onAbort, { once: true })
  const timeout = clock.setTimeout(() => {
    startup.abort(
      new BlueGreenError(
        'TIMEOUT',
        `${what} did not get media flowing within ${connectTimeoutMs} ms ` +
          `(${redactUrl(target.endpoint)}). Check that UDP reaches the node, or raise connectTimeoutMs.`,
        { url: redactUrl(target.endpoint), streamName: target.streamName, environment: target.environment },
      ),
    )
  }, connectTimeoutMs)
  const work = connect(startup.signal)
  work.catch(() => undefined)
  try {
    await new Promise<void>((resolve, reject) => {
      const onStop = (): void => reject(startup.signal.reason)
      if (startup.signal.aborted) {
        onStop()
        return
      }
      startup.signal.addEventListener('abort', onStop, { once: true })
      work.then(
        () => {
          startup.signal.removeEventListener('abort', onStop)
          resolve()
        },
        (error: unknown) => {
          startup.signal.removeEventListener('abort', onStop)
          reject(error)
        },
      )
    })
  } catch (error) {
    if (!startup.signal.aborted) {
      startup.abort(error)
    }
    throw toStartError(error, what, target)
  } finally {
    clock.clearTimeout(timeout)
    signal.removeEventListener('abort', onAbort)
  }
}

function toStartError(error: unknown, what: string, target: SignalingTarget): BlueGreenError {
  if (isBlueGreenError(error)) {
    return error
  }
  return new BlueGreenError(
    'MEDIA_FAILED',
    `${what} failed: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error, streamName: target.streamName, environment: target.environment },
  )
}
