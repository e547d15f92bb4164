/**
 * Where a session connects (DESIGN 5.1, 5.3): the environment the client selects, an assignment from its
 * Stream Manager, a subscriber whose stream is not there yet served by a `draining` environment that still
 * carries it, and `waitForStream` looking again until the stream is published.
 * @internal
 */
import { isBlueGreenError } from '../errors'
import type { Assignment, ConnectionParams, EnvironmentInfo, Manifest, SessionKind } from '../types'
import { raceAbort } from './abort'
import type { WaitingEvent } from './events'
import type { SessionHost } from './host'
import { pauseUntilNextLook, waitDelay } from './waitForStream'

/** The session a {@link Locator} works for. @internal */
export interface LocatedSession {
  readonly kind: SessionKind
  readonly streamName: string
  /** For messages. */
  readonly label: string
  /** The session's own connection parameters (merged over the client's). */
  readonly connectionParams?: ConnectionParams | undefined
  readonly waitForStream?: boolean | undefined
  /** `waiting` (a `waitForStream` subscriber looks again later). */
  waiting(event: WaitingEvent): void
}

/** Finds assignments for one session. @internal */
export class Locator {
  constructor(
    private readonly host: SessionHost,
    private readonly session: LocatedSession,
  ) {}

  /** Start-up: a manifest no older than its ttl, the selected environment, an assignment. */
  async forStart(signal: AbortSignal): Promise<Assignment> {
    const { host, session } = this
    const { clock, random, logger } = host.env
    for (let attempt = 1; ; attempt += 1) {
      const manifest = await raceAbort(host.fresh(signal), signal, `Discovery for ${session.label}`)
      const selected = host.select(manifest)
      try {
        return await this.resolveSelected(manifest, selected, signal)
      } catch (error) {
        if (!session.waitForStream || !isBlueGreenError(error, 'STREAM_NOT_FOUND') || signal.aborted) {
          throw error
        }
        const delayMs = waitDelay(attempt, random, error)
        const line = `${session.label}: not published on ${selected.name} yet; looking again in ${delayMs} ms`
        if (attempt === 1) {
          logger.info(line)
        } else {
          logger.debug(line)
        }
        session.waiting({ attempt, delayMs, environment: selected.name, error })
        await pauseUntilNextLook(clock, host, delayMs, signal)
      }
    }
  }

  /**
   * Resolves on the selected environment. A subscriber whose stream is not there (and whose client is not
   * pinned) is served by a `draining` environment that still carries it (DESIGN 5.3), or by the other half
   * of a failover in flux (DESIGN 11); it moves later.
   */
  async resolveSelected(
    manifest: Manifest,
    selected: EnvironmentInfo,
    signal: AbortSignal,
    paced = false,
  ): Promise<Assignment> {
    const { host, session } = this
    try {
      return await this.resolveAt(selected.name, signal, paced)
    } catch (error) {
      if (
        session.kind !== 'subscribe' ||
        host.pinned ||
        signal.aborted ||
        !isBlueGreenError(error, 'STREAM_NOT_FOUND')
      ) {
        throw error
      }
      const now = host.env.clock.now()
      const carriers = Object.entries(manifest.environments)
        .filter(([name, environment]) => {
          const deadline =
            environment.drainDeadline === undefined ? Infinity : Date.parse(environment.drainDeadline)
          return name !== selected.name && environment.state === 'draining' && deadline > now
        })
        .map(([name]) => ({ name, why: 'draining' }))
      const partner = host.failoverPartner?.(manifest, selected.name)
      if (partner !== undefined && carriers.every((c) => c.name !== partner)) {
        // DESIGN 11: the broadcaster's client failed over or came back at another moment than ours.
        carriers.push({ name: partner, why: 'failover partner' })
      }
      for (const { name, why } of carriers) {
        try {
          const assignment = await this.resolveAt(name, signal, paced)
          host.env.logger.info(
            `${session.label}: stream not on ${selected.name} yet; served by ${why} ${name}`,
          )
          return assignment
        } catch (fallbackError) {
          if (signal.aborted) {
            throw fallbackError
          }
        }
      }
      throw error
    }
  }

  /** An assignment on `environment`; `paced`: a reconnect's (see HostResolveOptions.paced in host.ts). */
  resolveAt(environment: string, signal: AbortSignal, paced = false): Promise<Assignment> {
    const { host, session } = this
    const params = this.connectionParams()
    const options = { ...(params === undefined ? {} : { connectionParams: params }), paced }
    const request = host.resolve(environment, session.kind, session.streamName, signal, options)
    return raceAbort(request, signal, `Resolving ${session.label} on "${environment}"`)
  }

  /** The client's connection parameters with the session's own over them. */
  connectionParams(): ConnectionParams | undefined {
    const base = this.host.settings.connectionParams
    const own = this.session.connectionParams
    return base === undefined ? own : own === undefined ? base : { ...base, ...own }
  }
}
