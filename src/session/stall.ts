/**
 * Relays a driver's liveness signals for the connection the session is using now (not one it is retiring
 * or has replaced): a frozen source (`DriverSession.onStall`) as the session's `stalled` and `resumed`
 * events, and a connection that may be lost (`DriverSession.onDisconnected`, or a stall: a node that died
 * right after its last RTCP packet looks frozen) to the client, which checks the environment's Stream
 * Manager during the grace (DESIGN 11). Kept out of Session.ts, which only calls
 * {@link relayLiveness}.
 * @internal
 */
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
  /** The connection may be lost (the grace started). */
  inDoubt(environment: string): void
}

/** Listens to `driverSession`'s stall and disconnected signals (drivers without them are left alone). @internal */
export function relayLiveness(driverSession: DriverSession, relay: LivenessRelay): void {
  let stalledAt: number | undefined
  /** The driver said the connection may be lost, and has not said otherwise since. */
  let doubted = false
  driverSession.onStall?.((stalled) => {
    if (!relay.isCurrent()) {
      return
    }
    const environment = relay.environment()
    if (stalled && stalledAt === undefined) {
      stalledAt = relay.clock.now()
      relay.stalled({ environment })
      // A node that froze and then died still looks frozen to the watch until FROZEN_PATH_MS of silence
      // (5 s). The client checks the environment's Stream Manager now, as for a disconnect, so a dead
      // production is failed over from in about a second; one that answers costs one probe and nothing
      // else. Not again when the connection was in doubt until now: the watch doubts a viewer whose media
      // stopped until its path shows life, and that doubt prompted its probe.
      if (!doubted) {
        relay.inDoubt(environment)
      }
    } else if (!stalled && stalledAt !== undefined) {
      const stalledMs = relay.clock.now() - stalledAt
      stalledAt = undefined
      relay.resumed({ environment, stalledMs })
    }
  })
  driverSession.onDisconnected?.((disconnected) => {
    doubted = disconnected
    if (disconnected && relay.isCurrent()) {
      relay.inDoubt(relay.environment())
    }
  })
}
