/**
 * The public types of the emulator's media node (re-exported by mediaNode.ts and the emulator entry).
 */
import type { Logger } from '../../environment'
import type { NodeIceServer } from './http'

/** How the node answers a WHEP POST. */
export type MediaNodeWhepFlavour = 'server-offer' | 'client-offer' | 'auto'

/** What {@link MediaNodeOptions.authorize} is asked about. */
export interface MediaNodeAuthorizeRequest {
  /** `publish` (WHIP) or `subscribe` (WHEP). */
  readonly kind: 'publish' | 'subscribe'
  /** The webapp (scope) from the path, e.g. `live`. */
  readonly app: string
  /** The stream name from the path, percent-decoded. */
  readonly streamName: string
  /** The POST's query parameters (the client's `connectionParams`, plus `requestId`, `host`, ...). */
  readonly params: Readonly<Record<string, string>>
}

/** Options of {@link startMediaNode}. */
export interface MediaNodeOptions {
  /** A name for logs and stats, e.g. `green-origin-1`. */
  name: string
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string | undefined
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number | undefined
  /**
   * How WHEP POSTs are answered: `server-offer` (Red5: 201 with the node's own offer, the client PATCHes
   * its answer), `client-offer` (RFC 9725: 201 with an answer), or `auto`: server-offer when the POST
   * body is empty or the query carries the Red5 SDK's `signal` / `doNotSwitch` parameters, else
   * client-offer.
   * @default 'auto'
   */
  whepFlavour?: MediaNodeWhepFlavour | undefined
  /** ICE servers announced in `Link: <...>; rel="ice-server"` headers. @default [] (loopback needs none) */
  iceServers?: readonly NodeIceServer[] | undefined
  /**
   * Round-trip authentication: return an HTTP status (401, 403, 406) to refuse a POST, or `undefined` to
   * accept it. @default accept everything
   */
  authorize?:
    | ((request: MediaNodeAuthorizeRequest) => number | undefined | Promise<number | undefined>)
    | undefined
  /** Where log lines go (`red5pro-bluegreen:media-node:<name>`). Parameter values are never logged. @default none */
  logger?: Partial<Logger> | undefined
}

/** One HTTP request the node received (secret-looking query values are `***`). */
export interface MediaNodeRequest {
  /** `OPTIONS`, `POST`, `PATCH`, `DELETE`, ... */
  readonly method: string
  /** The path, still percent-encoded, without the query. */
  readonly path: string
  /** The query parameters, decoded; secret-looking values are `***`. */
  readonly query: Record<string, string>
  /** The media type of the body (`application/sdp`, `application/trickle-ice-sdpfrag`), when there is one. */
  readonly contentType?: string
}

/** Counters of {@link MediaNode.stats}. */
export interface MediaNodeStats {
  /** Streams currently published. */
  readonly publishers: number
  /** Subscriber sessions currently open. */
  readonly subscribers: number
  /** Every HTTP request received, oldest first. */
  readonly requests: readonly MediaNodeRequest[]
}

/** A running media node. */
export interface MediaNode {
  /** The name given. */
  readonly name: string
  /** `127.0.0.1:PORT`: what a Stream Manager returns as `serverAddress`. */
  readonly serverAddress: string
  /** `http://127.0.0.1:PORT` */
  readonly url: string
  /** `app/stream` of every stream currently published. */
  streams(): string[]
  /** True when `app/stream` is published here. */
  hasStream(app: string, stream: string): boolean
  /** Counters and the request log. */
  stats(): MediaNodeStats
  /**
   * A network partition, as far as this node can make one: every HTTP request is held unanswered (its
   * connection stays open), every media session's UDP packets vanish both ways (no RTP or RTCP out,
   * incoming packets dropped, ICE consent checks unanswered) while its sockets stay open. Idempotent.
   */
  freeze(): void
  /**
   * Heals the partition: held requests go on, the sessions that werift has not given up on meanwhile
   * (ICE consent fails after about 30 s without an answer) get their packets again. Idempotent.
   */
  thaw(): void
  /** Abrupt stop: every peer connection closed without notice; the HTTP server stops answering. */
  kill(): Promise<void>
  /** Graceful stop: subscribers told the stream ended, every session ended as by DELETE, server closed. */
  close(): Promise<void>
}
