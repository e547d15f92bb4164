/**
 * Trickle ICE for one WHIP/WHEP connection: local candidates are batched for `trickleBatchMs`, then
 * PATCHed to the resource as an SDP fragment (RFC 8840), with end-of-candidates once gathering is
 * complete. A server that answers 405/501 does not take them; trickling then stops.
 * @internal
 */
import type { Environment } from '../../../environment'
import { sendRequest } from './http'
import { buildTrickleFragment, type CandidateLike } from './sdp'

/** What the trickle needs from its session. @internal */
export interface TrickleHost {
  readonly env: Environment
  readonly what: string
  readonly requestTimeoutMs: number
  readonly trickleBatchMs: number
  /** The resource URL once the POST made one. */
  resource(): string | undefined
  /** The local description's SDP (its ICE credentials and m-lines). */
  localSdp(): string | undefined
  /** False once the session ended or was closed. */
  open(): boolean
  /** A timer cleared with the session's. */
  setTimer(fn: () => void, ms: number): unknown
}

/** Batches and PATCHes local candidates. @internal */
export class Trickle {
  private readonly pending: CandidateLike[] = []
  private gatheringComplete = false
  private endOfCandidatesSent = false
  private timer: unknown
  private chain: Promise<void> = Promise.resolve()

  constructor(
    private readonly host: TrickleHost,
    private on: boolean,
  ) {}

  /** Whether candidates are trickled (false: they go in the offer, after gathering). */
  get enabled(): boolean {
    return this.on
  }

  /** True once the stack said gathering is complete (an empty or absent candidate). */
  get complete(): boolean {
    return this.gatheringComplete
  }

  /** A local candidate, or `undefined` / an empty one for the end of gathering. */
  add(candidate: CandidateLike | undefined): void {
    if (candidate === undefined || candidate.candidate === '') {
      this.gatheringComplete = true
    } else {
      this.pending.push(candidate)
    }
    this.schedule()
  }

  /** Forgets the batch timer (the session cleared its timers). */
  forget(): void {
    this.timer = undefined
  }

  /** Batches candidates for `trickleBatchMs`, then PATCHes them (once the resource URL is known). */
  schedule(): void {
    if (!this.on || this.host.resource() === undefined || this.timer !== undefined || !this.host.open()) {
      return
    }
    if (this.pending.length === 0 && !(this.gatheringComplete && !this.endOfCandidatesSent)) {
      return
    }
    this.timer = this.host.setTimer(() => {
      this.timer = undefined
      this.chain = this.chain.then(() => this.flush())
    }, this.host.trickleBatchMs)
  }

  private async flush(): Promise<void> {
    const { host } = this
    const resource = host.resource()
    if (!this.on || !host.open() || resource === undefined) {
      return
    }
    const batch = this.pending.splice(0)
    const end = this.gatheringComplete && !this.endOfCandidatesSent
    const fragment = buildTrickleFragment(host.localSdp(), batch, end)
    if (fragment === undefined) {
      return
    }
    if (end) {
      this.endOfCandidatesSent = true
    }
    const log = host.env.logger
    try {
      const response = await sendRequest(host.env.fetch, host.env.clock, {
        method: 'PATCH',
        url: resource,
        headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' },
        body: fragment,
        timeoutMs: host.requestTimeoutMs,
        what: host.what,
      })
      if (response.status === 405 || response.status === 501) {
        this.on = false
        log.debug(`${host.what}: the server does not take trickled candidates (${response.status})`)
      } else if (response.status < 200 || response.status >= 300) {
        log.warn(`${host.what}: trickle PATCH answered ${response.status}`)
      } else {
        log.debug(`${host.what}: trickled ${batch.length} candidate(s)${end ? ' and end-of-candidates' : ''}`)
      }
    } catch (error) {
      log.warn(`${host.what}: trickle PATCH failed`, error)
    }
    this.schedule()
  }
}
