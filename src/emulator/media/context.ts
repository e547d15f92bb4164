/**
 * What the media node's signalling handlers (media/publish.ts, media/subscribe.ts, media/patch.ts)
 * share: werift, the log, the session registry, the WHEP flavour and the caller's `authorize`, plus the
 * answers they have in common.
 * @internal
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import type * as Werift from 'werift'

import type { Logger } from '../../environment'
import { waitForGathering } from './gathering'
import { resourcePath, sendJson, type MediaRoute } from './http'
import type { SessionRegistry } from './registry'
import type { MediaNodeAuthorizeRequest, MediaNodeWhepFlavour } from './types'

/** The largest SDP or trickle body the node reads, in bytes. @internal */
export const MAX_SDP_BYTES = 256 * 1024

/** How long the node waits for its ICE candidates before it answers, in ms. */
const GATHERING_TIMEOUT_MS = 3000

/** One node's shared state, as its handlers see it. @internal */
export interface NodeContext {
  readonly werift: typeof Werift
  readonly log: Logger
  readonly sessions: SessionRegistry
  readonly flavour: MediaNodeWhepFlavour
  /** The caller's `authorize` option: a refusal status, or `undefined` to accept. */
  authorize(request: MediaNodeAuthorizeRequest): Promise<number | undefined>
}

/**
 * Asks the node's `authorize` about a POST on `route`; a refusal is answered here (with Red5's
 * messages) and gives `false`. @internal
 */
export async function admit(
  context: NodeContext,
  route: MediaRoute,
  kind: 'publish' | 'subscribe',
  query: URLSearchParams,
  response: ServerResponse,
): Promise<boolean> {
  const refusal = await context.authorize({
    kind,
    app: route.app,
    streamName: route.stream,
    params: Object.fromEntries(query),
  })
  if (refusal === undefined) {
    return true
  }
  const protocol = kind === 'publish' ? 'WHIP' : 'WHEP'
  context.log.info(`${protocol} ${route.app}/${route.stream}: refused by authorize() with ${refusal}`)
  const messages: Record<number, string> = {
    401: 'Not authorized.',
    403: 'Forbidden.',
    406: 'Scope connection rejected.',
  }
  sendJson(response, refusal, {
    error: messages[refusal] ?? `${kind === 'publish' ? 'Publish' : 'Subscribe'} refused.`,
  })
  return false
}

/** Answers a POST with 201, the session's SDP and its resource headers. @internal */
export function sendSdp(response: ServerResponse, route: MediaRoute, id: string, sdp: string): void {
  response.statusCode = 201
  response.setHeader('Content-Type', 'application/sdp')
  response.setHeader('Location', resourcePath(route, id))
  response.setHeader('ETag', `"${id}"`)
  response.setHeader('Accept-Patch', 'application/trickle-ice-sdpfrag, application/sdp')
  response.end(sdp)
}

/** A POST on a WHIP or WHEP endpoint, as media/publish.ts and media/subscribe.ts answer it. @internal */
export type EndpointHandler = (
  context: NodeContext,
  route: MediaRoute,
  query: URLSearchParams,
  request: IncomingMessage,
  response: ServerResponse,
) => Promise<void>

/** ` (query keys: a, b)` for a log line (the keys only: values may be secrets), or nothing. @internal */
export function queryKeys(query: URLSearchParams): string {
  const keys = [...query.keys()]
  return keys.length > 0 ? ` (query keys: ${keys.join(', ')})` : ''
}

/**
 * Waits (up to 3 s) for `pc`'s ICE candidates, so the answer carries them; a peer made while the node
 * is partitioned is cut off like the others. @internal
 */
export async function gathered(context: NodeContext, pc: Werift.RTCPeerConnection): Promise<void> {
  await waitForGathering(pc, GATHERING_TIMEOUT_MS)
  context.sessions.cutIfPartitioned(pc)
}
