/**
 * Relays a driver's frozen-source signal (`DriverSession.onStall`, from the liveness watch) as the
 * session's `stalled` and `resumed` events, for the connection the session is using now (not one it is
 * retiring or has replaced). Kept out of Session.ts, which only calls {@link relayStall}.
 * @internal
 */
import type { Clock } from '../environment'
import type { DriverSession } from './drivers/Driver'
import type { ResumedEvent, StalledEvent } from './events'

/** What {@link relayStall} needs from the session. @internal */
export interface StallRelay {
  readonly clock: Clock
  /** True while `driverSession` is the session's connection. */
  isCurrent(): boolean
  /** The environment the session is on. */
  environment(): string
  stalled(event: StalledEvent): void
  resumed(event: ResumedEvent): void
}

/** Listens to `driverSession`'s stall signal (drivers without one are left alone). @internal */
export function relayStall(driverSession: DriverSession, relay: StallRelay): void {
  let stalledAt: number | undefined
  driverSession.onStall?.((stalled) => {
    if (!relay.isCurrent()) {
      return
    }
    const environment = relay.environment()
    if (stalled && stalledAt === undefined) {
      stalledAt = relay.clock.now()
      relay.stalled({ environment })
    } else if (!stalled && stalledAt !== undefined) {
      const stalledMs = relay.clock.now() - stalledAt
      stalledAt = undefined
      relay.resumed({ environment, stalledMs })
    }
  })
}
