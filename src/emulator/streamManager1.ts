/**
 * An emulated Stream Manager 1.x (REST API 4.0) with the `live` webapp's WHIP/WHEP proxy, as the
 * `sm1` client in `src/streammanager/v1.ts` expects it:
 * - `GET /streammanager/api/4.0/event/{app}/{stream}?action=broadcast|subscribe` answers one object
 *   `{ name, scope, serverAddress, region }`; subscribing to a stream no node carries is a 404
 *   `{ errorMessage, timestamp }`, an unknown action a 400 (API 3.1 has the same shape and is accepted);
 * - `/{app}/whip|whep/endpoint/{stream}` and the `/resource/` paths (red5pro-webrtc-sdk 11 turns a
 *   relative `/endpoint/` Location into `/resource/`) are forwarded verbatim to the environment's node;
 *   a `Location` pointing at the node is rewritten onto this server so PATCH and DELETE come back here.
 * CORS on everything: the demo page calls it from another origin, with preflights.
 * @internal
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import type { StreamManagerContext } from './types'
import {
  allowAnyOrigin,
  answerPreflight,
  forward,
  HttpError,
  isPreflight,
  requestTarget,
  segmentsAfter,
  sendJson,
  type Handler,
} from './http'

/** The error body of REST API 4.0. @internal */
export function sm1ErrorBody(message: string): { errorMessage: string; timestamp: number } {
  return { errorMessage: message, timestamp: Date.now() }
}

const EVENT_PREFIXES = ['/streammanager/api/4.0/event/', '/streammanager/api/3.1/event/']
const PROXY = /^\/[^/]+\/(whip|whep)\/(endpoint|resource)\/./

/** The request handler of an emulated Stream Manager 1.x. @internal */
export function createStreamManager1Handler(context: StreamManagerContext): Handler {
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (isPreflight(req)) {
      answerPreflight(req, res, 'GET, POST, PATCH, DELETE, OPTIONS')
      return
    }
    allowAnyOrigin(res)
    const target = requestTarget(req)
    for (const prefix of EVENT_PREFIXES) {
      const parts = segmentsAfter(target.path, prefix)
      if (parts) {
        assign(req, res, context, parts, target.query)
        return
      }
    }
    if (PROXY.test(target.path)) {
      const node = context.nodes()[0]
      if (!node) {
        throw new HttpError(503, `Environment ${context.environment} has no media node running.`)
      }
      const smOrigin = new URL(context.baseUrl()).origin
      const nodeOrigin = new URL(node.url).origin
      await forward(req, res, {
        nodeUrl: node.url,
        path: req.url ?? '/',
        // A relative Location already resolves against this Stream Manager (and red5pro-webrtc-sdk 11
        // rewrites its /endpoint/ into /resource/, both routed here); an absolute one on the node is
        // moved onto this Stream Manager; anything else passes through.
        rewriteLocation: (absolute, original) =>
          !/^[a-z][a-z0-9+.-]*:/i.test(original)
            ? original
            : absolute.origin === nodeOrigin
              ? `${smOrigin}${absolute.pathname}${absolute.search}`
              : absolute.href,
      })
      return
    }
    throw new HttpError(404, `Stream Manager ${context.environment} (1.x) has nothing at ${target.path}.`)
  }
}

function assign(
  req: IncomingMessage,
  res: ServerResponse,
  context: StreamManagerContext,
  parts: string[],
  query: URLSearchParams,
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new HttpError(405, `${req.method} is not supported here; use GET.`)
  }
  const [app, ...rest] = parts
  const stream = rest.join('/')
  if (!app || stream === '') {
    throw new HttpError(400, 'The request names no stream: use /streammanager/api/4.0/event/{app}/{stream}.')
  }
  const action = query.get('action')
  if (action !== 'broadcast' && action !== 'subscribe') {
    throw new HttpError(400, `Unsupported action ${JSON.stringify(action)}: use broadcast or subscribe.`)
  }
  const nodes = context.nodes()
  const node = action === 'broadcast' ? nodes[0] : nodes.find((candidate) => candidate.hasStream(app, stream))
  if (!node) {
    const message =
      action === 'broadcast'
        ? 'No suitable origin server found.'
        : `Stream ${stream} is not published in scope /${app}.`
    context.logger.debug(`sm1 ${context.environment}: ${action} ${app}/${stream} -> 404`)
    sendJson(res, 404, sm1ErrorBody(message))
    return
  }
  context.logger.debug(`sm1 ${context.environment}: ${action} ${app}/${stream} -> ${node.serverAddress}`)
  sendJson(res, 200, {
    name: stream,
    scope: `/${app}`,
    serverAddress: node.serverAddress,
    region: context.region,
  })
}
