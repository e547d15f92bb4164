/**
 * The liveness wiring of a WHIP/WHEP session: the shared watch (../liveness.ts) on its peer connection,
 * turning a verdict into the session's `MEDIA_FAILED` end and passing a frozen source on to its stall
 * listeners.
 * @internal
 */
import type { Environment } from '../../../environment'
import { BlueGreenError } from '../../../errors'
import type { SessionKind } from '../../../types'
import type { SignalingTarget } from '../Driver'
import {
  LivenessWatch,
  livenessFor,
  passOn,
  type LivenessSettings,
  type PeerCounters,
  type DisconnectedListener,
  type StallListener,
  type WatchedPeer,
} from '../liveness'

/** What {@link startWatch} needs. @internal */
export interface WatchWiring {
  readonly pc: WatchedPeer
  readonly kind: SessionKind
  readonly env: Environment
  /** The timings the driver's options set. */
  readonly liveness: Partial<Omit<LivenessSettings, 'clock'>>
  readonly target: SignalingTarget
  readonly what: string
  /** The statistics when media was first seen. */
  readonly baseline: PeerCounters | undefined
  /** Ends the session. */
  readonly end: (error: BlueGreenError) => void
  /** The session's stall listeners (read at each change). */
  readonly stallListeners: readonly StallListener[]
  /** The session's disconnected listeners (read at each change). */
  readonly disconnectedListeners: readonly DisconnectedListener[]
}

/** Starts watching a live connection; stop it with the session's teardown. @internal */
export function startWatch(wiring: WatchWiring): LivenessWatch {
  const { env, target, what } = wiring
  const watch = new LivenessWatch(
    wiring.pc,
    { clock: env.clock, ...livenessFor(wiring.kind, wiring.liveness) },
    (verdict) =>
      wiring.end(
        new BlueGreenError('MEDIA_FAILED', `${what}: ${verdict.detail}.`, {
          streamName: target.streamName,
          environment: target.environment,
        }),
      ),
    env.logger,
    what,
    passOn(wiring.stallListeners, wiring.disconnectedListeners),
  )
  watch.start(wiring.baseline)
  watch.check()
  return watch
}
