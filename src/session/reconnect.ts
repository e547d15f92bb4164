/**
 * The reconnect loop of a session (DESIGN 5.4): ask the policy for a delay (never shorter than a
 * `Retry-After` the failure carried, with jitter above it), wait, let the client revalidate if its
 * manifest is due (a drop alone does not make it stale: the client shares one revalidation between its
 * sessions and backs it off while discovery fails), then one attempt to locate and connect. The session
 * (Session.ts) supplies the attempt and what to do with its outcome.
 * @internal
 */
import { BlueGreenError } from '../errors'
import { sleep } from '../environment'
import { retryAfterSpreadMs, retryAfterWait } from '../internal/retryAfter'
import { stormControl } from '../internal/coordination'
import { raceAbort } from './abort'
import type { SessionKind } from '../types'
import type { SessionHost } from './host'
import { askPolicy } from './ReconnectPolicy'
import { asBlueGreenError, isFatal } from './recovery'

/** Longest `Retry-After` a reconnect honours (a longer one is cut to this; the jitter goes above). @internal */
export const MAX_RECONNECT_RETRY_AFTER_MS = 60_000

/** What the loop needs from its session. @internal */
export interface ReconnectPort {
  readonly host: SessionHost
  /** For messages, e.g. `session publish-1 of stream "cam"`. */
  readonly label: string
  readonly streamName: string
  readonly kind: SessionKind
  /** Aborted when the session closes or another operation supersedes the reconnect. */
  readonly signal: AbortSignal
  /** When the connection was lost. */
  readonly startedAt: number
  /** One attempt: locate, connect and adopt the connection. Rejects when it could not. */
  attempt(signal: AbortSignal): Promise<void>
  /** Before each wait. */
  reconnecting(event: { attempt: number; delayMs: number; error: BlueGreenError }): void
  /** The attempt succeeded. */
  recovered(attempt: number, downtimeMs: number): void
  /** Stop: the session fails with `error`. */
  fail(error: BlueGreenError): void
}

/**
 * The wait before an attempt: the policy's delay, or, when the last failure carried `Retry-After`, that
 * floor plus jitter above it when it is longer (a crowd told "10 s" must not return in one wave).
 * @internal
 */
export function reconnectDelay(policyDelayMs: number, error: BlueGreenError, random: () => number): number {
  const asked = error.retryAfterMs
  if (asked === undefined) {
    return policyDelayMs
  }
  const floor = stormControl.enabled
    ? retryAfterWait(asked, random, MAX_RECONNECT_RETRY_AFTER_MS)
    : Math.min(asked, MAX_RECONNECT_RETRY_AFTER_MS)
  return Math.max(policyDelayMs, floor)
}

/**
 * How soon a viewer looks again for a stream that is not there yet while a failover is in flux (DESIGN 11:
 * "subscribers as soon as their stream is there"): its broadcaster is moving at that very moment, so the
 * policy's growing backoff would only keep the picture away. A jittered 200-300 ms, for the first
 * `FAILOVER_LOOK_FOR_MS` of the reconnect (bounded: a broadcaster that does not come is not waited for
 * at this pace). @internal
 */
export const FAILOVER_LOOK_AGAIN_MS = 200
/** See {@link FAILOVER_LOOK_AGAIN_MS}. @internal */
export const FAILOVER_LOOK_FOR_MS = 5_000

function failoverLookAgain(port: ReconnectPort, error: BlueGreenError, delayMs: number): number {
  const { host } = port
  const manifest = host.manifest()
  if (
    error.code !== 'STREAM_NOT_FOUND' ||
    manifest === undefined ||
    error.environment === undefined ||
    host.env.clock.now() - port.startedAt > FAILOVER_LOOK_FOR_MS ||
    host.failoverInFlux?.() !== true
  ) {
    return delayMs
  }
  return Math.min(delayMs, FAILOVER_LOOK_AGAIN_MS + Math.floor(host.env.random() * 100))
}

/**
 * How soon a viewer looks again for its stream once the Stream Manager, which had been answering with
 * `Retry-After` (a 503 storm, a restart), answers "not published here": its broadcaster went through the
 * same outage and comes back on the same floor + jitter, so within one floor + spread of that first
 * answer. At the policy's pace instead (its backoff grown through the outage's attempts: up to 15 s of
 * full jitter) a second wait of up to 15 s stacked on the broadcaster's return (bench/failover.bench.ts,
 * "503 Retry-After: 10": the last viewer was back 25 s after the heal). A jittered 1-2 s, for floor +
 * spread after the first such answer; after that the policy again (a broadcaster that does not come is
 * not looked for at this pace). @internal
 */
export const AFTER_RETRY_AFTER_LOOK_AGAIN_MS = 1_000

/** The outage a reconnect went through: the last `Retry-After` floor, and the quick look-again window. */
interface AfterRetryAfter {
  floorMs: number | undefined
  lookUntil: number | undefined
}

function afterRetryAfter(
  state: AfterRetryAfter,
  error: BlueGreenError,
  now: number,
  random: () => number,
  delayMs: number,
): number {
  if (!stormControl.enabled) {
    return delayMs
  }
  if (error.retryAfterMs !== undefined) {
    state.floorMs = Math.min(error.retryAfterMs, MAX_RECONNECT_RETRY_AFTER_MS)
    state.lookUntil = undefined
    return delayMs
  }
  if (error.code !== 'STREAM_NOT_FOUND' || state.floorMs === undefined) {
    return delayMs
  }
  state.lookUntil ??= now + state.floorMs + retryAfterSpreadMs(state.floorMs)
  if (now >= state.lookUntil) {
    return delayMs
  }
  return Math.min(
    delayMs,
    AFTER_RETRY_AFTER_LOOK_AGAIN_MS + Math.floor(random() * AFTER_RETRY_AFTER_LOOK_AGAIN_MS),
  )
}

/** Runs the loop until the session is back, gives up, or `port.signal` aborts. @internal */
export async function reconnectLoop(port: ReconnectPort, firstError: BlueGreenError): Promise<void> {
  const { host, signal } = port
  const { clock, random, logger } = host.env
  let error = firstError
  const outage: AfterRetryAfter = { floorMs: undefined, lookUntil: undefined }
  for (let attempt = 1; ; attempt += 1) {
    if (signal.aborted) {
      return
    }
    if (isFatal(error, host.pinned)) {
      port.fail(givenUp(port, error, attempt - 1, 'retrying cannot fix this'))
      return
    }
    const answer = askPolicy(host.settings.reconnect, {
      attempt,
      elapsedMs: clock.now() - port.startedAt,
      error,
      kind: port.kind,
    })
    if ('stop' in answer) {
      port.fail(
        answer.stop === 'broken'
          ? answer.error
          : givenUp(port, error, attempt - 1, 'the reconnect policy said stop'),
      )
      return
    }
    const delayMs = failoverLookAgain(
      port,
      error,
      afterRetryAfter(outage, error, clock.now(), random, reconnectDelay(answer.delayMs, error, random)),
    )
    logger.info(`${port.label}: reconnect attempt ${attempt} in ${delayMs} ms (${error.code})`)
    port.reconnecting({ attempt, delayMs, error })
    try {
      await sleep(clock, delayMs, signal)
      await raceAbort(host.revalidate(!stormControl.enabled), signal, `Revalidation for ${port.label}`)
      await port.attempt(signal)
      port.recovered(attempt, clock.now() - port.startedAt)
      return
    } catch (caught) {
      if (signal.aborted) {
        return
      }
      error = asBlueGreenError(
        caught,
        'MEDIA_FAILED',
        `Reconnect attempt ${attempt} of ${port.label} failed`,
        {
          streamName: port.streamName,
        },
      )
      logger.warn(`${port.label}: reconnect attempt ${attempt} failed: ${error.message}`)
    }
  }
}

/** The error a session fails with when it stops reconnecting. */
function givenUp(port: ReconnectPort, last: BlueGreenError, attempts: number, why: string): BlueGreenError {
  const seconds = Math.round((port.host.env.clock.now() - port.startedAt) / 100) / 10
  return new BlueGreenError(
    last.code,
    `${port.label} stopped reconnecting after ${attempts} attempt(s) over ${seconds} s (${why}): ${last.message}`,
    {
      cause: last,
      streamName: port.streamName,
      ...(last.environment === undefined ? {} : { environment: last.environment }),
      ...(last.status === undefined ? {} : { status: last.status }),
    },
  )
}
