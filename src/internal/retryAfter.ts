/**
 * `Retry-After` (RFC 9110 section 10.2.3), shared by the Stream Manager clients and the WHIP/WHEP driver.
 * Kept apart from the ky layer so the driver chunk does not load ky.
 * @internal
 */

/**
 * Milliseconds to wait from a `Retry-After` value (delta-seconds or an HTTP date), or `undefined` when
 * absent or unreadable.
 * @internal
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') {
    return undefined
  }
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) {
    return Number(trimmed) * 1000
  }
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
