/**
 * `Retry-After` (RFC 9110 section 10.2.3), shared by the Stream Manager clients, the WHIP/WHEP driver and
 * the reconnect loop: reading the header, and turning it into a wait that is never earlier than what the
 * server asked for, with jitter above it so a crowd told "10 s" does not come back in the same millisecond.
 * Kept apart from the ky layer so the driver chunk does not load ky.
 * @internal
 */

const DAY = '(Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
const WEEKDAY = '(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)'
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const MONTH = `(${MONTHS.join('|')})`
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})'
/** `Sun, 06 Nov 1994 08:49:37 GMT` (the preferred format). */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`)
/** `Sunday, 06-Nov-94 08:49:37 GMT` (obsolete). */
const RFC_850 = new RegExp(`^${WEEKDAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`)
/** `Sun Nov  6 08:49:37 1994` (obsolete; always GMT). */
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`)

/**
 * Epoch ms of an HTTP date in one of the three formats RFC 9110 allows, else `undefined`. Parsed here
 * rather than with `Date.parse`, which reads almost anything (`1.5`, `-3`, local-time strings) as a date.
 */
function parseHttpDate(text: string, now: number): number | undefined {
  let parts: { day: string; month: string; year: number; h: string; m: string; s: string } | undefined
  let match = IMF_FIXDATE.exec(text)
  if (match) {
    parts = {
      day: match[2]!,
      month: match[3]!,
      year: Number(match[4]),
      h: match[5]!,
      m: match[6]!,
      s: match[7]!,
    }
  } else if ((match = RFC_850.exec(text))) {
    // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
    const currentYear = new Date(now).getUTCFullYear()
    let year = Math.floor(currentYear / 100) * 100 + Number(match[4])
    if (year > currentYear + 50) {
      year -= 100
    }
    parts = { day: match[2]!, month: match[3]!, year, h: match[5]!, m: match[6]!, s: match[7]! }
  } else if ((match = ASCTIME.exec(text))) {
    parts = {
      day: match[3]!.trim(),
      month: match[2]!,
      year: Number(match[7]),
      h: match[4]!,
      m: match[5]!,
      s: match[6]!,
    }
  }
  if (!parts) {
    return undefined
  }
  const [day, h, m, s] = [parts.day, parts.h, parts.m, parts.s].map(Number) as [
    number,
    number,
    number,
    number,
  ]
  const month = MONTHS.indexOf(parts.month)
  const time = Date.UTC(parts.year, month, day, h, m, s)
  const check = new Date(time)
  // 31 Feb, 25:00:00 and the like roll over in Date.UTC: refuse them.
  if (check.getUTCDate() !== day || check.getUTCHours() !== h || check.getUTCMinutes() !== m || s > 60) {
    return undefined
  }
  return time
}

/**
 * Milliseconds to wait from a `Retry-After` value: delta-seconds (digits only) or an HTTP date
 * (IMF-fixdate, RFC 850 or asctime), or `undefined` when absent or anything else (`1.5`, `-3`, `3s`).
 * @internal
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) {
    return undefined
  }
  const trimmed = value.trim()
  if (trimmed === '') {
    return undefined
  }
  if (/^\d+$/.test(trimmed)) {
    return Number(trimmed) * 1000
  }
  const date = parseHttpDate(trimmed, now)
  return date === undefined ? undefined : Math.max(0, date - now)
}

/**
 * The spread above a `Retry-After` floor: a fifth of the floor, at least 1 s, at most 30 s.
 *
 * Why: what makes a wave is every client waking on the same millisecond; a spread of a fifth of what the
 * server asked already breaks it (told "10 s", a crowd comes back over 10-12 s, and every later round
 * spreads it further), while each second of spread is a second more for the unluckiest client, told "10
 * s" just as the server healed. Measured (bench/failover.bench.ts, 500 sessions against `503 Retry-After:
 * 10`): the Stream Manager's peak is the drop itself (about 270/s with half the floor as the spread and
 * with a fifth), while the last session was back 15-16 s after the heal with half, 12 s with a fifth.
 * The 1 s minimum spreads `Retry-After: 0` and `1` too; the 30 s cap keeps a long ask from stretching
 * recovery by minutes.
 * @internal
 */
export function retryAfterSpreadMs(floorMs: number): number {
  return Math.min(30_000, Math.max(1_000, floorMs / 5))
}

/**
 * How long to wait when a server sent `Retry-After` (already parsed to `retryAfterMs`): the floor
 * (`retryAfterMs`, cut to `capMs`) plus a random share of {@link retryAfterSpreadMs}. Never earlier than
 * the floor; spread over `[floor, floor + spread)`.
 * @internal
 */
export function retryAfterWait(retryAfterMs: number, random: () => number, capMs = Infinity): number {
  const floor = Math.max(0, Math.min(retryAfterMs, capMs))
  return Math.floor(floor + random() * retryAfterSpreadMs(floor))
}
