/**
 * ICE servers from two sources: the ones a Red5 node advertises in OPTIONS `Link` headers (its TURN
 * servers, often with short-lived credentials) and the ones the app configured. Red5's SDKs keep only
 * one list (11-14 and 15.0 replace the configured list with the advertised one; 15.2 ignores the
 * advertised one when a list is configured); a viewer behind a strict NAT needs both.
 * @internal
 */

function key(server: RTCIceServer): string {
  const urls = Array.isArray(server.urls) ? server.urls : [server.urls]
  return JSON.stringify([urls, server.username ?? null, server.credential ?? null])
}

function isIceServer(value: unknown): value is RTCIceServer {
  if (typeof value !== 'object' || value === null) {
    return false
  }
  const { urls } = value as { urls?: unknown }
  return typeof urls === 'string' || (Array.isArray(urls) && urls.every((url) => typeof url === 'string'))
}

/**
 * The SDK's OPTIONS result with `links` = the advertised servers first, then the configured ones,
 * without duplicates. Anything that is not an object (11-14 resolve nothing when OPTIONS fails) becomes
 * `{ links: configured }`. @internal
 */
export function mergeIceServers(
  result: unknown,
  configured: readonly RTCIceServer[],
): Record<string, unknown> & { links: RTCIceServer[] } {
  const base = typeof result === 'object' && result !== null ? (result as Record<string, unknown>) : {}
  const advertised = Array.isArray(base.links) ? base.links.filter(isIceServer) : []
  const seen = new Set<string>()
  const links: RTCIceServer[] = []
  for (const server of [...advertised, ...configured]) {
    const id = key(server)
    if (!seen.has(id)) {
      seen.add(id)
      links.push(server)
    }
  }
  return { ...base, links }
}
