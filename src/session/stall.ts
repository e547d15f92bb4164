/**
 * Relays a driver's liveness signals for the connection the session is using now (not one it is retiring
 * or has replaced): a frozen source (`DriverSession.onStall`) as the session's `stalled` and `resumed`
 * events, and a connection that may be lost (`DriverSession.onDisconnected`, or a stall: a node that died
 * right after its last RTCP packet looks frozen) to the client, which checks the environment's Stream
 * Manager during the grace (DESIGN 11). Kept out of Session.ts, which only calls
 * {@link relayLiveness}.
 * @internal
 */
import EventEmitter from 'eventemitter3'

import type { Clock } from '../environment'
import type { DriverSession } from './drivers/Driver'
import type { ResumedEvent, StalledEvent } from './events'

/** What {@link relayLiveness} needs from the session. @internal */
export interface LivenessRelay {
  readonly clock: Clock
  /** True while `driverSession` is the session's connection. */
  isCurrent(): boolean
  /** The environment the session is on. */
  environment(): string
  stalled(event: StalledEvent): void
  resumed(event: ResumedEvent): void
  /** The connection may be lost (the grace started): check the environment's Stream Manager. */
  inDoubt(environment: string): void
  /** The session's picture: what this relay tells it about the current connection. */
  readonly picture: Picture
}

/**
 * Whether a session's current connection has lost its picture: its media stopped with the path alive
 * (`stalled`), or its path is in doubt (the driver's `onDisconnected`: silence, ICE `disconnected`, or a
 * viewer's media stopped and its path not yet seen alive). The swap coordinator reads it: a subscriber
 * without a picture during a failover moves at once.
 * @internal
 */
export class Picture {
  private stalledNow = false
  private doubtedNow = false
  private readonly events = new EventEmitter<{ lost: [] }>()

  /** True while the current connection is stalled or in doubt. */
  get lost(): boolean {
    return this.stalledNow || this.doubtedNow
  }

  /** Calls `listener` each time the picture is lost (not again until it is back); returns the unsubscribe. */
  onLost(listener: () => void): () => void {
    this.events.on('lost', listener)
    return () => this.events.off('lost', listener)
  }

  /** A new connection is the session's: it starts with its picture. */
  reset(): void {
    this.stalledNow = false
    this.doubtedNow = false
  }

  /** @internal */
  set(what: 'stalled' | 'doubted', state: boolean): void {
    const was = this.lost
    if (what === 'stalled') {
      this.stalledNow = state
    } else {
      this.doubtedNow = state
    }
    if (!was && this.lost) {
      this.events.emit('lost') // to the swap coordinator (a driver's watch logs a listener that throws)
    }
  }
}

/** Listens to `driverSession`'s stall and disconnected signals (drivers without them are left alone). @internal */
export function relayLiveness(driverSession: DriverSession, relay: LivenessRelay): void {
  let stalledAt: number | undefined
  driverSession.onStall?.((stalled) => {
    if (!relay.isCurrent()) {
      return
    }
    const environment = relay.environment()
    if (stalled && stalledAt === undefined) {
      stalledAt = relay.clock.now()
      const doubted = relay.picture.lost
      relay.picture.set('stalled', true)
      relay.stalled({ environment })
      // A node that froze and then died still looks frozen to the watch until FROZEN_PATH_MS of silence
      // (5 s). The client checks the environment's Stream Manager now, as for a disconnect, so a dead
      // production is failed over from in about a second; one that answers costs one probe and nothing
      // else. Not again when the connection was in doubt until now (the watch's doubt came first and
      // prompted its probe).
      if (!doubted) {
        relay.inDoubt(environment)
      }
    } else if (!stalled && stalledAt !== undefined) {
      const stalledMs = relay.clock.now() - stalledAt
      stalledAt = undefined
      relay.picture.set('stalled', false)
      relay.resumed({ environment, stalledMs })
    }
  })
  driverSession.onDisconnected?.((disconnected) => {
    if (!relay.isCurrent()) {
      return
    }
    relay.picture.set('doubted', disconnected)
    if (disconnected) {
      relay.inDoubt(relay.environment())
    }
  })
}
