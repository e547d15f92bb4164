/**
 * The media node's sessions: publications and subscriptions by id, how a publisher's RTP reaches its
 * subscribers, how sessions end (told or not), and the partition of a frozen node.
 * @internal
 */
import type * as Werift from 'werift'

import type { Logger } from '../../environment'
import type { MediaRoute } from './http'
import { cutOff } from './partition'
import { closePeer } from './peer'

const UNPUBLISH_FLUSH_MS = 150

/** A media kind the node forwards. @internal */
export type Kind = 'audio' | 'video'

/** A publisher's incoming track. @internal */
export interface InboundTrack {
  readonly track: Werift.MediaStreamTrack
  readonly receiver: Werift.RTCRtpReceiver
  ssrc?: number
}

/** A WHIP session. @internal */
export interface Publication {
  readonly type: 'publish'
  readonly id: string
  readonly key: string
  readonly route: MediaRoute
  readonly pc: Werift.RTCPeerConnection
  readonly tracks: Map<Kind, InboundTrack>
  readonly subscribers: Set<Subscription>
  readonly channels: Werift.RTCDataChannel[]
  ended: boolean
}

/** A WHEP session. @internal */
export interface Subscription {
  readonly type: 'subscribe'
  readonly id: string
  readonly key: string
  readonly route: MediaRoute
  readonly pc: Werift.RTCPeerConnection
  readonly publication: Publication
  readonly out: Map<Kind, Werift.MediaStreamTrack>
  readonly channels: Werift.RTCDataChannel[]
  awaitingAnswer: boolean
  ended: boolean
}

/** A session resource (what `Location` names). @internal */
export type Resource = Publication | Subscription

/** Every session of one node. @internal */
export class SessionRegistry {
  /** Live publications by `app/stream`. */
  readonly publications = new Map<string, Publication>()
  /** Live sessions by id. */
  readonly resources = new Map<string, Resource>()
  /** Ids of sessions that ended (a late DELETE of one still gets 200). */
  readonly ended = new Set<string>()
  readonly #werift: typeof Werift
  readonly #log: Logger
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  /** While frozen: how to heal each peer cut off. */
  #cuts: (() => void)[] | undefined

  constructor(werift: typeof Werift, log: Logger) {
    this.#werift = werift
    this.#log = log
  }

  /** Runs `fn` after `ms` unless the node stops first. */
  later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      fn()
    }, ms)
    this.#timers.add(timer)
  }

  /** Cancels every pending {@link later}. */
  clearTimers(): void {
    for (const timer of this.#timers) {
      clearTimeout(timer)
    }
    this.#timers.clear()
  }

  /** Number of subscribers now. */
  get subscriberCount(): number {
    return [...this.resources.values()].filter((resource) => resource.type === 'subscribe').length
  }

  /** Asks the publisher of `publication` for a keyframe (RTCP PLI). */
  requestKeyframe(publication: Publication): void {
    const video = publication.tracks.get('video')
    const ssrc = video?.track.ssrc ?? video?.ssrc
    if (video === undefined || ssrc === undefined) {
      return
    }
    video.receiver.sendRtcpPLI(ssrc).catch((error: unknown) => this.#log.debug('PLI failed', error))
  }

  /** Sends one clean copy of the publisher's `rtp` to every subscriber. */
  forward(publication: Publication, kind: Kind, rtp: Werift.RtpPacket): void {
    if (publication.subscribers.size === 0) {
      return
    }
    // One clean copy per packet: no header extensions (their ids were negotiated with the publisher,
    // not the subscriber). Each subscriber's track parses it afresh, because werift's sender rewrites
    // ssrc, payload type and sequence numbers in place.
    const copy = new this.#werift.RtpPacket(
      new this.#werift.RtpHeader({
        payloadType: rtp.header.payloadType,
        sequenceNumber: rtp.header.sequenceNumber,
        timestamp: rtp.header.timestamp,
        marker: rtp.header.marker,
        ssrc: rtp.header.ssrc,
      }),
      rtp.payload,
    ).serialize()
    for (const subscription of publication.subscribers) {
      subscription.out.get(kind)?.writeRtp(copy)
    }
  }

  /** Ends a subscription (its peer closed). */
  async endSubscription(subscription: Subscription, reason: string): Promise<void> {
    if (subscription.ended) {
      return
    }
    subscription.ended = true
    subscription.publication.subscribers.delete(subscription)
    this.resources.delete(subscription.id)
    this.ended.add(subscription.id)
    for (const track of subscription.out.values()) {
      track.stop()
    }
    this.#log.info(`subscriber ${subscription.id} of ${subscription.key} ended (${reason})`)
    await closePeer(subscription.pc, this.#log)
  }

  /** Ends a publication and its subscriptions, telling them first when `notify`. */
  async endPublication(publication: Publication, reason: string, notify: boolean): Promise<void> {
    if (publication.ended) {
      return
    }
    publication.ended = true
    if (this.publications.get(publication.key) === publication) {
      this.publications.delete(publication.key)
    }
    this.resources.delete(publication.id)
    this.ended.add(publication.id)
    this.#log.info(
      `${publication.key} unpublished (${reason}); ${publication.subscribers.size} subscriber(s) told`,
    )
    const subscribers = [...publication.subscribers]
    if (notify) {
      for (const subscription of subscribers) {
        this.#notifyUnpublished(subscription)
      }
      // Let the notices leave before the connections close.
      await new Promise<void>((resolve) => this.later(resolve, UNPUBLISH_FLUSH_MS))
    }
    await Promise.all(subscribers.map((subscription) => this.endSubscription(subscription, 'publisher left')))
    await closePeer(publication.pc, this.#log)
  }

  /** Ends every session as the node closes: subscribers told their stream ended. */
  async endAll(reason: string): Promise<void> {
    await Promise.all(
      [...this.publications.values()].map((publication) => this.endPublication(publication, reason, true)),
    )
    await Promise.all(
      [...this.resources.values()].map((resource) =>
        resource.type === 'publish'
          ? this.endPublication(resource, reason, false)
          : this.endSubscription(resource, reason),
      ),
    )
  }

  /** Drops every session without a word (a killed node). */
  async dropAll(): Promise<void> {
    const all = [...this.resources.values()]
    for (const resource of all) {
      resource.ended = true
    }
    this.resources.clear()
    this.publications.clear()
    await Promise.all(all.map((resource) => closePeer(resource.pc, this.#log)))
  }

  /** True while the node's sessions are cut off. */
  get partitioned(): boolean {
    return this.#cuts !== undefined
  }

  /** Cuts every session off (media/partition.ts); sessions made meanwhile are cut by {@link cutIfPartitioned}. */
  partition(): void {
    this.#cuts ??= [...this.resources.values()].map((resource) => cutOff(resource.pc))
  }

  /** Cuts off a peer that got its ICE sockets while the node was partitioned. */
  cutIfPartitioned(pc: Werift.RTCPeerConnection): void {
    this.#cuts?.push(cutOff(pc))
  }

  /** Heals the partition: every session still open gets its packets again. */
  heal(): void {
    for (const heal of this.#cuts ?? []) {
      heal()
    }
    this.#cuts = undefined
  }

  #notifyUnpublished(subscription: Subscription): void {
    const message = JSON.stringify({
      data: {
        type: 'status',
        code: 'NetStream.Play.UnpublishNotify',
        message: `Stream ${subscription.key} was unpublished.`,
        streamName: subscription.route.stream,
      },
    })
    for (const channel of subscription.channels) {
      if (channel.readyState === 'open') {
        try {
          channel.send(message)
        } catch (error) {
          this.#log.debug('could not send the unpublish notice', error)
        }
      }
    }
  }
}
