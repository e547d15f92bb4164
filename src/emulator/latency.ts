/**
 * A round-trip delay for the emulator's client-facing HTTP: `startEmulator({ latencyMs: 50 })` makes every
 * request to a Stream Manager (assignments, the WHIP/WHEP signalling proxy, CORS preflights included) and
 * to the discovery URL wait `latencyMs` before it is handled, as if client and cluster were that far apart.
 * Media nodes are reached only through their Stream Manager's proxy (the emulator's transport is
 * `proxy`), so each signalling request pays the delay once, at the Stream Manager; the Stream Manager's
 * hop to its node is inside the cluster and pays nothing. Media (RTP) is not delayed.
 *
 * The whole round trip is spent before the handler runs (rather than half on the way in, half on the way
 * out): the client sees the same answer time, and the handler stays an ordinary handler.
 * @internal
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'

import { BlueGreenError } from '../errors'
import type { Handler } from './http'

/** The largest delay `latencyMs` accepts, in milliseconds (a round trip around the planet is ~300 ms). */
export const MAX_LATENCY_MS = 10_000

/**
 * Checks a `latencyMs` option: a finite number from 0 to {@link MAX_LATENCY_MS}.
 * @throws {BlueGreenError} `INVALID_ARGUMENT` for anything else (negative, NaN, a string, too large)
 * @internal
 */
export function checkLatency(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_LATENCY_MS) {
    throw new BlueGreenError(
      'INVALID_ARGUMENT',
      `${what} must be a number of milliseconds from 0 to ${MAX_LATENCY_MS} (the round-trip delay to add), got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}.`,
    )
  }
  return value
}

/**
 * `handler` behind a round-trip delay of `latencyMs` for the requests `applies` selects (default all).
 * With 0 it is `handler` itself: no timer, not even a tick. A request whose connection closed while it
 * waited (the client gave up, or `kill()` reset the socket) is dropped unhandled.
 * @internal
 */
export function withLatency(
  handler: Handler,
  latencyMs: number,
  applies: (req: IncomingMessage) => boolean = () => true,
): Handler {
  if (latencyMs === 0) {
    return handler
  }
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (applies(req)) {
      await sleep(latencyMs)
      if (res.destroyed || req.socket.destroyed) {
        return
      }
    }
    await handler(req, res)
  }
}
