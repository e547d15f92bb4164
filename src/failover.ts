/**
 * Failover (DESIGN 11): while the environment a client selected by role is unreachable, its sessions go
 * to the environment the manifest's `failover` role names, without waiting for a new revision, and come
 * back once production has answered again for a stable period.
 *
 * - Noticed from the calls sessions make: a Stream Manager that refuses, resets, times out or answers 5xx
 *   (after the normal quick retries) gives `STREAM_MANAGER_UNAVAILABLE` or `TIMEOUT`. A stream that is not
 *   found is not an outage.
 * - Or foreseen: a live session's connection that may be lost (its liveness grace started) has the
 *   environment's Stream Manager probed at once, the backup's alongside, so that the failover is decided
 *   by the time the session is given up and reconnects (DESIGN 11, "in about a second").
 * - Confirmed before moving anyone: the backup's Stream Manager must answer. When it does not either, the
 *   client's own network is the likely culprit and nobody moves (the sessions keep reconnecting).
 * - One failover per outage: while it lasts, nothing else moves; the way back needs production to answer
 *   every probe for `stableMs` (a flapping production never brings clients back), and a new revision
 *   ends it at once (the operator acted).
 *
 * Written here rather than taken from a library: it is this SDK's own policy over its own manifest.
 */
import type { Environment } from './environment'
import { BlueGreenError, isBlueGreenError } from './errors'
import { own } from './internal/own'
import type { Manifest } from './types'

/** How the client fails over and comes back. All optional. */
export interface FailoverOptions {
  /** How long production must answer every probe before clients return to it. @default 30000 */
  stableMs?: number
  /** How often production (and, to confirm an outage, the backup) is probed. @default 2000 */
  probeIntervalMs?: number
  /** Bound of one probe; no answer in time counts as unreachable. @default 2000 */
  probeTimeoutMs?: number
}

/** A failover in progress. @internal */
export interface ActiveFailover {
  /** The unreachable environment the client selected by role. */
  readonly from: string
  /** The backup (`roles.failover`). */
  readonly to: string
  /** The manifest revision it applies to: a new revision ends it. */
  readonly revision: number
  /** Clock time it started. */
  readonly since: number
}

/** A change for the client to announce (`environmentchange` with this reason). @internal */
export type FailoverChange = 'failover' | 'recovered'

const DEFAULTS: Required<FailoverOptions> = {
  stableMs: 30_000,
  probeIntervalMs: 2_000,
  probeTimeoutMs: 2_000,
}

/** The backup for `selected` in `manifest`: `roles.failover`, when it is another, `serving` environment. @internal */
export function backupFor(manifest: Manifest, selected: string): string | undefined {
  const backup = Object.hasOwn(manifest.roles, 'failover') ? manifest.roles.failover : undefined
  if (backup === undefined || backup === selected || !Object.hasOwn(manifest.environments, backup)) {
    return undefined
  }
  return (manifest.environments[backup]!.state ?? 'serving') === 'serving' ? backup : undefined
}

/** Errors that mean "the Stream Manager is unreachable", as opposed to an answer about the stream. */
function isOutage(error: unknown): boolean {
  return isBlueGreenError(error, 'STREAM_MANAGER_UNAVAILABLE', 'TIMEOUT')
}

/** The failover state of one client. @internal */
export class Failover {
  #active: ActiveFailover | undefined
  #confirming: Promise<ActiveFailover | undefined> | undefined
  /** The early probe in flight ({@link Failover.foresee}), one at a time. */
  #foreseeing: Promise<unknown> | undefined
  /** Told when a failover starts (hedged calls to the unreachable environment stop waiting). */
  readonly #startListeners = new Set<() => void>()
  #probeTimer: unknown
  #upSince: number | undefined
  /** Clock time the last failover ended (returned or ended by a revision). */
  #endedAt: number | undefined
  #closed = false
  readonly #settings: Required<FailoverOptions>

  constructor(
    private readonly env: Environment,
    options: FailoverOptions,
    private readonly current: () => Manifest | undefined,
    private readonly announce: (change: FailoverChange, failover: ActiveFailover) => void,
  ) {
    this.#settings = { ...DEFAULTS, ...options }
  }

  /** The failover in progress, if any. */
  get active(): ActiveFailover | undefined {
    return this.#active
  }

  /** Where a role-selected `selected` environment's sessions go in `manifest` now. */
  redirect(manifest: Manifest, selected: string): string {
    const active = this.#active
    return active !== undefined && active.revision === manifest.revision && active.from === selected
      ? active.to
      : selected
  }

  /** A failover runs, or ended less than `stableMs + probeIntervalMs` ago (other clients may not have returned yet). */
  inFlux(): boolean {
    const { stableMs, probeIntervalMs } = this.#settings
    return (
      this.#active !== undefined ||
      (this.#endedAt !== undefined && this.env.clock.now() - this.#endedAt < stableMs + probeIntervalMs)
    )
  }

  /**
   * The other half of the failover pair for a subscriber whose stream is not on `environment`, while a
   * failover is in flux: during one, and for `stableMs + probeIntervalMs` after it ended (other clients,
   * the broadcaster's among them, fail over and return at their own moments). `selected` is what the
   * client selects by role (production), the pair is it and its backup; outside the pair, or in quiet
   * times (a staging stream of the same name must never serve production viewers), `undefined`.
   */
  partner(manifest: Manifest, selected: string, environment: string): string | undefined {
    if (!this.inFlux()) {
      return undefined
    }
    const backup = backupFor(manifest, selected)
    if (backup === undefined) {
      return undefined
    }
    if (environment === backup) {
      // During the failover, production only once it answers its probes again: asking a Stream Manager
      // that is known not to answer would hold the viewer for a whole timeout.
      return this.#active !== undefined && this.#upSince === undefined ? undefined : selected
    }
    return environment === selected ? backup : undefined
  }

  /** A new revision ends any failover: the operator has acted (promoted the backup, or confirmed production). */
  endForRevision(revision: number): void {
    if (this.#active !== undefined && this.#active.revision !== revision) {
      this.env.logger.info(`revision ${revision} ends the failover from ${this.#active.from}`)
      this.#stop()
    }
  }

  /**
   * A call a session needs failed on `environment` with `error`. Resolves with the backup when the client
   * is (now) failed over from it, else `undefined` (not an outage, no backup, or the backup does not
   * answer either: the client's own network is down).
   */
  async report(
    manifest: Manifest,
    environment: string,
    error: unknown,
    backupAnswers?: Promise<boolean>,
  ): Promise<string | undefined> {
    const active = this.#active
    if (active !== undefined) {
      return active.revision === manifest.revision && active.from === environment ? active.to : undefined
    }
    if (this.#closed || !isOutage(error)) {
      return undefined
    }
    const backup = backupFor(manifest, environment)
    if (backup === undefined) {
      return undefined
    }
    // Many sessions fail together: one confirmation for all of them.
    this.#confirming ??= this.#confirm(manifest, environment, backup, backupAnswers).finally(() => {
      this.#confirming = undefined
    })
    const started = await this.#confirming
    return started !== undefined && started.from === environment ? started.to : undefined
  }

  /**
   * A live session's connection on `environment` may be lost (its liveness grace started): probes that
   * environment's Stream Manager now, bounded by `boundMs` (what counts as overdue for a call on it), and
   * the backup's alongside. When production gives no answer and the backup does, the client fails over at
   * once, so the sessions reconnecting after the grace go straight to the backup. Without a backup, during
   * a failover, or while a probe or a confirmation is in flight, it does nothing; a production that
   * answers only costs the two probes.
   */
  foresee(manifest: Manifest, environment: string, boundMs: number): void {
    const backup = backupFor(manifest, environment)
    if (
      backup === undefined ||
      this.#closed ||
      this.#active !== undefined ||
      this.#confirming !== undefined ||
      this.#foreseeing !== undefined
    ) {
      return
    }
    const backupAnswers = this.answers(manifest.environments[backup]!.streamManager)
    this.#foreseeing = this.unlessAnswering(
      manifest,
      environment,
      boundMs,
      "while a session's connection on it went quiet",
      backupAnswers,
    ).finally(() => {
      this.#foreseeing = undefined
    })
  }

  /**
   * Probes `environment`'s Stream Manager, bounded by `boundMs`: an answer means it is there (slow, or
   * its node alone died) and resolves `undefined`; no answer is an outage, reported as by
   * {@link Failover.report} (`backupAnswers`: the backup's check, when already under way). `when` ends
   * the outage's message.
   */
  async unlessAnswering(
    manifest: Manifest,
    environment: string,
    boundMs: number,
    when: string,
    backupAnswers?: Promise<boolean>,
  ): Promise<string | undefined> {
    const base = own(manifest.environments, environment)?.streamManager
    if (base === undefined || (await this.answers(base, boundMs))) {
      return undefined
    }
    return this.report(
      manifest,
      environment,
      new BlueGreenError(
        'TIMEOUT',
        `${environment}'s Stream Manager did not answer a probe within ${boundMs} ms ${when}.`,
        { environment },
      ),
      backupAnswers,
    )
  }

  /** Calls `listener` whenever a failover starts; returns the unsubscribe function. */
  onStart(listener: () => void): () => void {
    this.#startListeners.add(listener)
    return () => void this.#startListeners.delete(listener)
  }

  /** Stops probing. Idempotent. */
  close(): void {
    this.#closed = true
    this.#stop()
    this.#startListeners.clear()
  }

  async #confirm(
    manifest: Manifest,
    from: string,
    to: string,
    // The backup's check, when already under way (foresee() starts it alongside production's probe).
    backupCheck?: Promise<boolean>,
  ): Promise<ActiveFailover | undefined> {
    const backupAnswers = await (backupCheck ?? this.answers(manifest.environments[to]!.streamManager))
    if (this.#closed || this.current()?.revision !== manifest.revision) {
      return undefined
    }
    if (!backupAnswers) {
      this.env.logger.warn(
        `${from} is unreachable, and so is the backup ${to}: this client's own network looks down; staying`,
      )
      return undefined
    }
    const active: ActiveFailover = { from, to, revision: manifest.revision, since: this.env.clock.now() }
    this.#active = active
    this.#upSince = undefined
    this.env.logger.warn(`${from} is unreachable; failing over to ${to} (roles.failover)`)
    this.announce('failover', active)
    for (const listener of [...this.#startListeners]) {
      listener()
    }
    this.#scheduleProbe()
    return active
  }

  #scheduleProbe(): void {
    const { clock } = this.env
    this.#probeTimer = clock.setTimeout(() => {
      this.#probeTimer = undefined
      void this.#probeProduction()
    }, this.#settings.probeIntervalMs)
  }

  async #probeProduction(): Promise<void> {
    const active = this.#active
    const manifest = this.current()
    if (active === undefined || manifest === undefined || manifest.revision !== active.revision) {
      return
    }
    const up = await this.answers(manifest.environments[active.from]!.streamManager)
    if (this.#active !== active) {
      return
    }
    const now = this.env.clock.now()
    if (!up) {
      this.#upSince = undefined
    } else {
      this.#upSince ??= now
      if (now - this.#upSince >= this.#settings.stableMs) {
        this.env.logger.info(
          `${active.from} has answered for ${Math.round((now - this.#upSince) / 1000)} s; coming back from ${active.to}`,
        )
        this.#stop()
        this.announce('recovered', active)
        return
      }
    }
    this.#scheduleProbe()
  }

  #stop(): void {
    if (this.#active !== undefined) {
      this.#endedAt = this.env.clock.now()
    }
    this.#active = undefined
    this.#upSince = undefined
    if (this.#probeTimer !== undefined) {
      this.env.clock.clearTimeout(this.#probeTimer)
      this.#probeTimer = undefined
    }
  }

  /** True when the Stream Manager at `base` answers at all (any status below 500) within `boundMs`. */
  async answers(base: string, boundMs = this.#settings.probeTimeoutMs): Promise<boolean> {
    const { clock, fetch } = this.env
    const controller = new AbortController()
    const timer = clock.setTimeout(() => controller.abort(), boundMs)
    try {
      const response = await fetch(base, { method: 'GET', signal: controller.signal })
      void response.body?.cancel().catch(() => undefined)
      return response.status < 500
    } catch {
      return false
    } finally {
      clock.clearTimeout(timer)
    }
  }
}
