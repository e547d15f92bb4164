/**
 * URLs around an assignment: the Stream Manager base (path prefix kept), node addresses as a Stream
 * Manager returns them, and the WHIP/WHEP signalling endpoints for `proxy` and `direct` transport.
 * Pure functions: no I/O.
 * @internal
 */
import { isLoopbackHost } from '../internal/hosts'
import type { SessionKind } from '../types'
import { encodeStreamPath } from './streamName'

/** A node address split into its parts. @internal */
export interface NodeAddress {
  /** The host without brackets (`10.0.0.5`, `node-1.example.com`, `::1`). */
  readonly host: string
  /** The port when the address has one. */
  readonly port?: number
  /** `host[:port]` ready for a URL authority (IPv6 bracketed). */
  readonly authority: string
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i
const IPV6_CHARS = /^[0-9a-f:.]+$/i
/** Dotted-quad IPv4 in its canonical spelling (each part 0..255, no leading zeros). */
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/

function parsePort(text: string | undefined): number | undefined | null {
  if (text === undefined) {
    return undefined
  }
  if (!/^\d{1,5}$/.test(text)) {
    return null
  }
  const port = Number(text)
  return port >= 1 && port <= 65535 ? port : null
}

/**
 * Parses a `serverAddress` from a Stream Manager answer: a host name, an IPv4 address or an IPv6
 * literal (bare, or bracketed), optionally with `:port` (not on a bare IPv6 literal). Anything else,
 * URLs, schemes, paths, user info, spaces, empty labels, odd IPv4 spellings, is refused (`undefined`).
 * The WHATWG URL parser does the host syntax check; the round trip must leave the host unchanged.
 * @internal
 */
export function parseServerAddress(address: unknown): NodeAddress | undefined {
  if (typeof address !== 'string' || address.length === 0 || address.length > 300) {
    return undefined
  }
  let host: string
  let portText: string | undefined
  let ipv6 = false
  const bracketed = /^\[([^\]]+)\](?::([^:]*))?$/.exec(address)
  if (bracketed) {
    host = bracketed[1]!
    portText = bracketed[2]
    ipv6 = true
  } else if (address.split(':').length > 2) {
    host = address
    ipv6 = true
  } else {
    const colon = address.indexOf(':')
    host = colon === -1 ? address : address.slice(0, colon)
    portText = colon === -1 ? undefined : address.slice(colon + 1)
  }
  const port = parsePort(portText)
  if (port === null) {
    return undefined
  }
  if (ipv6) {
    if (!IPV6_CHARS.test(host) || !canParseHost(`[${host}]`)) {
      return undefined
    }
  } else if (!IPV4.test(host)) {
    const labels = host.replace(/\.$/, '').split('.')
    if (!labels.every((label) => DNS_LABEL.test(label)) || host.length > 253) {
      return undefined
    }
    // Rejects spellings the URL parser would rewrite (e.g. `1.2.3` or `0x7f.1` as IPv4).
    if (hostAfterParse(host) !== host.toLowerCase()) {
      return undefined
    }
  }
  const hostPart = ipv6 ? `[${host}]` : host
  return {
    host,
    ...(port === undefined ? {} : { port }),
    authority: port === undefined ? hostPart : `${hostPart}:${port}`,
  }
}

function canParseHost(host: string): boolean {
  return hostAfterParse(host) !== undefined
}

function hostAfterParse(host: string): string | undefined {
  try {
    return new URL(`http://${host}/`).hostname
  } catch {
    return undefined
  }
}

/**
 * The Stream Manager base URL without query, fragment or trailing `/`, path prefix kept:
 * `https://sm.example.com/prefix/` -> `https://sm.example.com/prefix`.
 * Returns `undefined` for anything that is not an absolute http(s) URL.
 * @internal
 */
export function streamManagerBase(streamManager: string): string | undefined {
  let url: URL
  try {
    url = new URL(streamManager)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return undefined
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/** `whip` for publish, `whep` for subscribe. @internal */
export function signallingProtocol(kind: SessionKind): 'whip' | 'whep' {
  return kind === 'publish' ? 'whip' : 'whep'
}

/**
 * The node's own WHIP/WHEP endpoint (`direct` transport):
 * `https://{serverAddress}/{app}/whip|whep/endpoint/{stream}`; plain `http` only when the node host is
 * loopback or `allowInsecure` is set.
 * @internal
 */
export function directEndpoint(
  node: NodeAddress,
  app: string,
  streamName: string,
  kind: SessionKind,
  allowInsecure: boolean,
): string {
  const scheme = allowInsecure || isLoopbackHost(node.host) ? 'http' : 'https'
  return `${scheme}://${node.authority}/${encodeURIComponent(app)}/${signallingProtocol(kind)}/endpoint/${encodeStreamPath(streamName)}`
}
