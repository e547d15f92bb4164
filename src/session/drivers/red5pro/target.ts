/**
 * Which WHIP/WHEP URLs `red5pro-webrtc-sdk` can express, and how to express them.
 *
 * Every generation can concatenate `{protocol}://{host}:{port}/{app}/whip|whep/endpoint/{stream}` from its
 * init config (WHEP adds `?requestId=`), then append `signal=` and the connection parameters: a Stream
 * Manager 1.x proxy URL or a node's own endpoint is reachable when splitting it into those parts and
 * joining them again gives the very same URL. 13+ also takes an `endpoint` used verbatim (WHEP still
 * appends `?requestId=` blindly, so it must have no query): that is how Red5's docs reach the Stream
 * Manager 2.0 proxy, `{sm}/as/v1/proxy/whip|whep/{app}/{stream}` with `connectionParams.nodeGroup`, the
 * SDK then following the `Session-Host` the proxy answers. Pure and dependency-free.
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

/** A Stream Manager 2.0 proxy endpoint as a 13+ SDK takes it. @internal */
export interface Red5proProxyEndpoint {
  /** `{sm}/as/v1/proxy/whip|whep/{app}/{stream}`, without the query. */
  readonly endpoint: string
  /** `whip` (publish) or `whep` (subscribe). */
  readonly protocolKind: 'whip' | 'whep'
  /** The node the Stream Manager assigned (the `host` query parameter), for logs. */
  readonly host: string
}

const PROXY_PATH = /\/as\/v1\/proxy\/(whip|whep)\/[^/]+\/.+$/

/**
 * Splits a Stream Manager 2.0 proxy URL (`{sm}/as/v1/proxy/whip|whep/{app}/{stream}?host={node}`, as
 * the assigner builds it) into what a 13+ SDK needs, or `undefined` for any other shape (other query
 * parameters, fragments, credentials). @internal
 */
export function parseProxyEndpoint(endpoint: string): Red5proProxyEndpoint | undefined {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return undefined
  }
  const keys = [...url.searchParams.keys()]
  const host = url.searchParams.get('host')
  if (url.username !== '' || url.password !== '' || url.hash !== '' || keys.length !== 1 || !host) {
    return undefined
  }
  const match = PROXY_PATH.exec(url.pathname)
  if (!match) {
    return undefined
  }
  return { endpoint: `${url.origin}${url.pathname}`, protocolKind: match[1] as 'whip' | 'whep', host }
}

/**
 * True when `red5pro-webrtc-sdk` can signal to `endpoint`:
 * - every generation (11+): an absolute http(s) URL of the form
 *   `{scheme}://{host}[:port]/{app}/whip|whep/endpoint/{stream}` with no query, fragment or credentials
 *   (a Stream Manager 1.x proxy URL or a node's own endpoint);
 * - with `{ endpointOption: true }` (SDK 13+, which has the `endpoint` init option): also a Stream
 *   Manager 2.0 proxy URL (`/as/v1/proxy/whip|whep/{app}/{stream}?host=...`).
 * Loads nothing. `red5proDriver` checks the SDK it loaded; use this to decide before loading it.
 *
 * @example
 * ```ts
 * canRed5proSdkReach('https://sm.example.com/live/whip/endpoint/stream1') // true
 * canRed5proSdkReach('https://sm.example.com/as/v1/proxy/whip/live/stream1?host=10.0.0.5') // false
 * canRed5proSdkReach('https://sm.example.com/as/v1/proxy/whip/live/stream1?host=10.0.0.5', { endpointOption: true }) // true
 * ```
 */
export function canRed5proSdkReach(
  endpoint: string,
  sdk: { readonly endpointOption?: boolean } = {},
): boolean {
  return (
    parseRed5proEndpoint(endpoint) !== undefined ||
    (sdk.endpointOption === true && parseProxyEndpoint(endpoint) !== undefined)
  )
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
