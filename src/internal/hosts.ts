/**
 * Host rules shared by discovery (Stream Manager URLs) and assignment (node addresses).
 * @internal
 */

/** True for `localhost`, `*.localhost`, 127.0.0.0/8 and `::1`. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1' || h === '0:0:0:0:0:0:0:1') {
    return true
  }
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

/**
 * Matches a host against one `allowedHosts` pattern. `*` stands for one or more whole DNS labels:
 * `*.example.com` matches `a.example.com` and `a.b.example.com`, not `example.com`. Comparison is
 * case-insensitive and ignores a trailing dot. Patterns without `*` match exactly.
 *
 * Hand-written because glob libraries match `*` against characters, not whole DNS labels
 * (`*example.com` would match `evilexample.com`); the rule here is DESIGN section 10.
 */
export function hostMatches(host: string, pattern: string): boolean {
  const normalise = (s: string): string =>
    s
      .toLowerCase()
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '')
  const hostLabels = normalise(host).split('.')
  const patternLabels = normalise(pattern).split('.')
  // Positions (host label, pattern label) known not to match: each is tried once, so matching takes
  // polynomial time however many `*` a pattern has (without it, 5 stars against 121 labels took seconds).
  const failed = new Set<number>()
  const match = (hi: number, pi: number): boolean => {
    if (pi === patternLabels.length) {
      return hi === hostLabels.length
    }
    const state = hi * (patternLabels.length + 1) + pi
    if (failed.has(state)) {
      return false
    }
    const label = patternLabels[pi]
    let matched = false
    if (label === '*') {
      // one or more labels
      for (let end = hi + 1; end <= hostLabels.length && !matched; end++) {
        matched = match(end, pi + 1)
      }
    } else {
      matched = hi < hostLabels.length && hostLabels[hi] === label && match(hi + 1, pi + 1)
    }
    if (!matched) {
      failed.add(state)
    }
    return matched
  }
  return match(0, 0)
}

/** True when `host` matches any of `patterns`. */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => hostMatches(host, pattern))
}

/** The host part of a `serverAddress`, which may be `host`, `host:port`, `[v6]:port` or an IPv6 literal. */
export function hostOfAddress(address: string): string {
  const trimmed = address.trim()
  if (trimmed.startsWith('[')) {
    return trimmed.slice(1, trimmed.indexOf(']'))
  }
  const colons = trimmed.split(':').length - 1
  if (colons === 1) {
    return trimmed.slice(0, trimmed.indexOf(':'))
  }
  return trimmed
}
