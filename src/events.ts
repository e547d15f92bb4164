/**
 * Event maps of the client (eventemitter3 generics). Session events live beside the sessions.
 */
import type { BlueGreenError } from './errors'
import type { EnvironmentInfo, Manifest } from './types'

/** Payload of the client's `manifest` event: a new revision was accepted. */
export interface ManifestEvent {
  /** The accepted manifest. */
  readonly manifest: Manifest
  /** Its revision. */
  readonly revision: number
}

/** Payload of the client's `environmentchange` event. */
export interface EnvironmentChangeEvent {
  /** The environment selected before, if any. */
  readonly previous?: EnvironmentInfo
  /** The environment selected now. */
  readonly current: EnvironmentInfo
  /**
   * `manifest`: a new revision changed it; `override`: a QA override chose it; `failover`: the environment
   * selected by role is unreachable, so the manifest's `failover` role is used (DESIGN 11); `recovered`: it
   * answered again for a stable period, so the client is back on it.
   */
  readonly reason: 'manifest' | 'override' | 'failover' | 'recovered'
}

/** Payload of the client's `stale` event: revalidation failed, the last good manifest is in use. */
export interface StaleEvent {
  /** Why revalidation failed. */
  readonly error: BlueGreenError
  /** The revision still in use. */
  readonly revision: number
}

/** The client's events. */
export interface ClientEvents {
  /** A new manifest revision was accepted. */
  manifest: (event: ManifestEvent) => void
  /** The selected environment's name or state changed. */
  environmentchange: (event: EnvironmentChangeEvent) => void
  /** Revalidation is failing; the last good manifest is still in use. */
  stale: (event: StaleEvent) => void
  /** A failure worth attention (a refused manifest, no valid manifest left). */
  error: (error: BlueGreenError) => void
}
