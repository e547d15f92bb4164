/**
 * Which WHIP/WHEP URLs `red5pro-webrtc-sdk` 11 can express, and how to express them.
 *
 * The SDK never takes a URL: it concatenates `{protocol}://{host}:{port}/{app}/whip|whep/endpoint/{stream}`
 * from its init config (WHEP adds `?requestId=`), then appends `signal=` and the connection parameters.
 * So a target is reachable only when splitting its URL into those parts and joining them again gives
 * the very same URL. Pure and dependency-free so `driver: 'auto'` can call it without loading the SDK.
 */
import type { ConnectionParams } from '../../../types'

/** The init-config parts the SDK builds its WHIP/WHEP URL from. @internal */
export interface Red5proEndpointParts {
  /** `https` or `http`. */
  readonly protocol: 'https' | 'http'
  /** Host name or IP literal (IPv6 in brackets), as the URL has it. */
  readonly host: string
  /** Always explicit: the SDK writes it into every URL (443 / 80 when the URL has none). */
  readonly port: number
  /** Everything between the host and `/whip|whep/endpoint/` (usually `live`). */
  readonly app: string
  /** The last path segment, still percent-encoded as in the URL: the SDK concatenates it raw. */
  readonly streamName: string
  /** `whip` (publish) or `whep` (subscribe). */
  readonly protocolKind: 'whip' | 'whep'
}

const ENDPOINT_PATH = /^\/(.+)\/(whip|whep)\/endpoint\/([^/]+)$/

/** The URL the SDK builds from `parts` (without its own query). @internal */
export function red5proSdkUrl(parts: Red5proEndpointParts): string {
  return `${parts.protocol}://${parts.host}:${parts.port}/${parts.app}/${parts.protocolKind}/endpoint/${parts.streamName}`
}

/**
 * Splits a WHIP/WHEP endpoint into the SDK's init-config parts, or returns `undefined` when the SDK
 * cannot express it (a Stream Manager 2.0 proxy URL, a query, a fragment, credentials, another scheme).
 * @internal
 */
export function parseRed5proEndpoint(endpoint: string): Red5proEndpointParts | undefined {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return undefined
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    return undefined
  }
  const match = ENDPOINT_PATH.exec(url.pathname)
  if (!match) {
    return undefined
  }
  const protocol = url.protocol === 'https:' ? 'https' : 'http'
  const parts: Red5proEndpointParts = {
    protocol,
    host: url.hostname,
    port: url.port === '' ? (protocol === 'https' ? 443 : 80) : Number(url.port),
    app: match[1]!,
    protocolKind: match[2] as 'whip' | 'whep',
    streamName: match[3]!,
  }
  // The round trip catches whatever the checks above missed (a bare `?`, odd normalisations): the SDK
  // must end up requesting exactly the URL the Stream Manager assigned.
  return new URL(red5proSdkUrl(parts)).href === url.href ? parts : undefined
}

/**
 * True when `red5pro-webrtc-sdk` 11 can signal to `endpoint`: an absolute http(s) URL of the form
 * `{scheme}://{host}[:port]/{app}/whip|whep/endpoint/{stream}` with no query, fragment or credentials
 * (a Stream Manager 1.x proxy URL or a node's own endpoint). Stream Manager 2.0 proxy URLs
 * (`/as/v1/proxy/whip/...?host=...`) are not: use `whipDriver` for those. Loads nothing.
 *
 * @example
 * ```ts
 * canRed5proSdkReach('https://sm.example.com/live/whip/endpoint/stream1') // true
 * canRed5proSdkReach('https://sm.example.com/as/v1/proxy/whip/live/stream1?host=10.0.0.5') // false
 * ```
 */
export function canRed5proSdkReach(endpoint: string): boolean {
  return parseRed5proEndpoint(endpoint) !== undefined
}

/**
 * Percent-encodes connection parameters for the SDK, which appends them to its POST query as
 * `&key=value` without encoding: a `&` or `=` inside a token would otherwise inject parameters.
 * @internal
 */
export function encodeConnectionParams(params: ConnectionParams): Record<string, string> {
  const encoded: Record<string, string> = {}
  for (const [key, value] of Object.entries(params)) {
    encoded[encodeURIComponent(key)] = encodeURIComponent(String(value))
  }
  return encoded
}
