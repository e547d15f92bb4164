/**
 * Capped exponential backoff with full jitter (the AWS architecture blog's "full jitter"):
 * `random() * min(cap, base * 2 ** (attempt - 1))`.
 *
 * Written here rather than taken from a backoff library because every library we looked at owns the
 * retry loop and schedules with global timers; we need only the curve, driven by the injected `random`,
 * inside loops that run on the injected clock and must be cancellable by `close()`. HTTP retries (ky decides
 * whether) wait this same curve on the injected clock too.
 * @internal
 */
export function fullJitterDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30)
  const ceiling = Math.min(capMs, baseMs * 2 ** exponent)
  return Math.floor(random() * ceiling)
}
