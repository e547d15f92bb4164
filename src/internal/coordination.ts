/**
 * The switch for what keeps reconnect storms cheap (issue 13): one ttl-respecting, client-wide
 * revalidation before reconnects, the per-client spacing of reconnect assignments, and jitter above
 * `Retry-After`. Always on in the library; `bench/failover.bench.ts` turns it off for one labelled run to
 * measure the behaviour it replaced (every attempt revalidates, no spacing, `Retry-After` honoured exactly).
 * A process-wide flag rather than a client option because the Stream Manager HTTP layer, built per
 * client inside the assigner, has no client options to read it from.
 * @internal
 */
export const stormControl = { enabled: true }
