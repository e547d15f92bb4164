/**
 * The swap rules of DESIGN sections 5 and 10 as pure functions: given a manifest, a session's environment
 * and the time, what should the session do? `SwapCoordinator` schedules and runs the answers.
 */
import { BlueGreenError } from '../errors'
import type { MigrationSettings } from '../session/options'
import type { EnvironmentInfo, Manifest, SessionKind } from '../types'

/**
 * Extra time a moved publisher keeps its old publish after the subscriber window, on top of one manifest
 * ttl (other viewers learn of a revision up to one ttl after this client): moves started at the very end
 * of the window still find the stream. @internal
 */
export const RETIRE_GRACE_MS = 5_000

/** When, counted from now, subscribers may start their move. @internal */
export interface MoveWindow {
  readonly startMs: number
  readonly endMs: number
}

/**
 * The subscriber window: `[leadMs, end]` with `end = min(windowMs, timeLeft - marginMs)`. When lead and
 * margin together would take more than half of the time left, both shrink by the same factor until they
 * take exactly half, so a short drain still gets a spread (`[lead', timeLeft - margin']`). Without a
 * deadline (`timeLeftMs` undefined) the window is `[leadMs, windowMs]`.
 * @internal
 */
export function moveWindow(timeLeftMs: number | undefined, settings: MigrationSettings): MoveWindow {
  let lead = settings.leadMs
  if (timeLeftMs === undefined) {
    return { startMs: lead, endMs: Math.max(lead, settings.windowMs) }
  }
  const timeLeft = Math.max(0, timeLeftMs)
  let margin = settings.marginMs
  if (lead + margin > timeLeft / 2) {
    const factor = timeLeft / 2 / (lead + margin)
    lead *= factor
    margin *= factor
  }
  const end = Math.min(settings.windowMs, timeLeft - margin)
  return { startMs: lead, endMs: Math.max(lead, end) }
}

/** A uniformly random moment of `window` (ms from now). @internal */
export function pickMoment(window: MoveWindow, random: () => number): number {
  return Math.round(window.startMs + random() * (window.endMs - window.startMs))
}

/** What a session should do about a manifest. @internal */
export type SwapDecision =
  | { readonly action: 'stay'; readonly reason: string; readonly recheckAt?: number }
  | {
      readonly action: 'move'
      readonly to: string
      readonly reason: string
      /** When to start (ms from now): `{0, 0}` for publishers, the spread window for subscribers. */
      readonly window: MoveWindow
      /** Publishers: how long to keep the old publish after the new one is live. */
      readonly retireAfterMs: number
      /** Epoch ms of the old environment's drain deadline, to look again then. */
      readonly recheckAt?: number
      /** A subscriber stalled in a failover: a move planned for later is brought forward. */
      readonly stalled?: boolean
    }
  | { readonly action: 'reconnect'; readonly reason: string; readonly error: BlueGreenError }
  | { readonly action: 'fail'; readonly reason: string; readonly error: BlueGreenError }

/** The facts {@link decide} needs. @internal */
export interface SwapSituation {
  readonly kind: SessionKind
  readonly streamName: string
  /** Where the session is now. */
  readonly environment: string
  /** Selected by environment name (QA): never moves. */
  readonly pinned: boolean
  readonly manifest: Manifest
  /** What the client's selector picks in `manifest`, or why it picks nothing. */
  readonly selected: EnvironmentInfo | BlueGreenError
  /** Epoch ms. */
  readonly now: number
  readonly migration: MigrationSettings
  /**
   * Set when the session is stalled (media stopped, its path alive) while a failover is in flux: its
   * environment is dead, not its broadcaster's camera, and it has no picture to keep. It moves after this
   * wait (ms; what a reconnect would wait: the reconnect policy's first, jittered delay), not at a spread
   * moment of the migration window.
   */
  readonly stalledWaitMs?: number | undefined
}

/**
 * The rules (DESIGN 5.2-5.6, 10), in order:
 * 1. Pinned: stay while the environment is `serving` or `draining`; fail with `ENVIRONMENT_OFFLINE` when it
 *    is `offline` or gone.
 * 2. Environment gone, `offline`, or past its drain deadline: reconnect (jittered by the reconnect policy).
 * 3. The selector picks nothing (a removed role): stay on what works.
 * 4. Selected elsewhere: move; publishers at once, keeping the old publish for the subscriber window plus
 *    grace (capped by the deadline); subscribers at a random moment of {@link moveWindow}, except one
 *    stalled (no picture) while a failover is in flux, which moves after a reconnect's wait (it has no
 *    picture to keep: the window would only keep it frozen; the reconnect policy's jitter still spreads
 *    a crowd).
 * 5. Otherwise stay (also when the session's own environment is the selected one and `draining`: there is
 *    nowhere better to go).
 * @internal
 */
export function decide(situation: SwapSituation): SwapDecision {
  const { manifest, environment: name, now, kind, streamName } = situation
  const environment = manifest.environments[name]
  const revision = manifest.revision
  const deadline =
    environment?.state === 'draining' && environment.drainDeadline !== undefined
      ? Date.parse(environment.drainDeadline)
      : undefined
  const context = { environment: name, streamName, revision }

  if (situation.pinned) {
    if (!environment || environment.state === 'offline') {
      const what = environment ? 'went offline' : 'is gone'
      return {
        action: 'fail',
        reason: `pinned environment ${name} ${what} in revision ${revision}`,
        error: new BlueGreenError(
          'ENVIRONMENT_OFFLINE',
          `Environment "${name}" ${what} in manifest revision ${revision}. This client is pinned to it by name ` +
            `(QA), so the ${kind} of stream "${streamName}" stops instead of moving to another environment. ` +
            'Bring the environment back, or select a role instead of a name.',
          context,
        ),
      }
    }
    return { action: 'stay', reason: `pinned to ${name}` }
  }

  if (!environment || environment.state === 'offline') {
    const what = environment ? 'went offline' : 'is no longer in the manifest'
    return {
      action: 'reconnect',
      reason: `${name} ${what} (revision ${revision})`,
      error: new BlueGreenError(
        'ENVIRONMENT_OFFLINE',
        `Environment "${name}" ${what} (manifest revision ${revision}); the ${kind} of stream "${streamName}" reconnects to the selected environment.`,
        context,
      ),
    }
  }
  if (deadline !== undefined && deadline <= now) {
    return {
      action: 'reconnect',
      reason: `the drain deadline of ${name} passed`,
      error: new BlueGreenError(
        'ENVIRONMENT_OFFLINE',
        `The drain deadline of environment "${name}" (${environment.drainDeadline ?? ''}) has passed; the ${kind} of stream "${streamName}" reconnects to the selected environment.`,
        context,
      ),
    }
  }
  const recheck = deadline === undefined ? {} : { recheckAt: deadline }
  if (situation.selected instanceof Error) {
    return { action: 'stay', reason: `the selector picks nothing in revision ${revision}`, ...recheck }
  }
  const target = situation.selected.name
  if (target === name) {
    return { action: 'stay', reason: `${name} is still selected`, ...recheck }
  }

  const timeLeft = deadline === undefined ? undefined : deadline - now
  const subscriberWindow = moveWindow(timeLeft, situation.migration)
  const reason =
    environment.state === 'draining'
      ? `${name} is draining; revision ${revision} selects ${target}`
      : `revision ${revision} selects ${target}`
  if (kind === 'publish') {
    const keep = subscriberWindow.endMs + manifest.ttl * 1000 + RETIRE_GRACE_MS
    return {
      action: 'move',
      to: target,
      reason,
      window: { startMs: 0, endMs: 0 },
      retireAfterMs: timeLeft === undefined ? keep : Math.min(keep, timeLeft),
      ...recheck,
    }
  }
  const wait = situation.stalledWaitMs
  if (wait !== undefined) {
    const window = { startMs: wait, endMs: wait }
    return { action: 'move', to: target, reason, window, retireAfterMs: 0, stalled: true, ...recheck }
  }
  return { action: 'move', to: target, reason, window: subscriberWindow, retireAfterMs: 0, ...recheck }
}
