/**
 * Roles, states and the manifest built from them: each change is applied to a copy of the control
 * state, built into a manifest, checked with the client's own `validateManifest` (the emulator never
 * serves what a client would refuse), signed when asked, served by the discovery endpoint, and only
 * then adopted.
 * @internal
 */
import { signManifest } from '../discovery/dsse'
import { validateManifest } from '../discovery/manifest'
import type { EnvironmentState, Manifest, ManifestEnvironment } from '../types'
import { isoSeconds, NAMES } from './checks'
import type { DiscoveryEndpoint } from './discoveryServer'
import type { EnvironmentRuntime } from './runtime'
import type { SigningMaterial } from './signing'
import type { EnvironmentName } from './types'

/** The roles and states the manifest is built from. @internal */
export interface Control {
  roles: Record<string, EnvironmentName>
  states: Record<EnvironmentName, { state: EnvironmentState; drainDeadline?: string }>
  /** The production before the last promotion (what `rollback()` promotes). */
  previousProduction: EnvironmentName | undefined
}

/** What the publisher builds and serves with. @internal */
export interface PublisherSettings {
  readonly runtimes: Readonly<Record<EnvironmentName, EnvironmentRuntime>>
  readonly discovery: DiscoveryEndpoint
  /** The manifest's `ttl`, in seconds. */
  readonly ttl: number
  /** Lifetime of each issued manifest, in seconds. */
  readonly expiresInSeconds: number
  /** Called after each revision is served. */
  readonly onPublished: (manifest: Manifest) => void
}

/** The control state and the manifest being served. @internal */
export class ManifestPublisher {
  readonly #settings: PublisherSettings
  /** The signing key, when the manifest is signed. */
  signing: SigningMaterial | undefined
  #control: Control
  #manifest: Manifest | undefined

  constructor(settings: PublisherSettings, control: Control) {
    this.#settings = settings
    this.#control = control
  }

  /** The control state of the manifest being served (or about to be, before the first). */
  get control(): Readonly<Control> {
    return this.#control
  }

  /** The manifest being served; undefined before the first. */
  get manifest(): Manifest | undefined {
    return this.#manifest
  }

  get revision(): number {
    return this.#manifest?.revision ?? 0
  }

  /** The roles that name `environment`. */
  rolesOf(environment: EnvironmentName): string[] {
    return Object.entries(this.#control.roles)
      .filter(([, env]) => env === environment)
      .map(([role]) => role)
  }

  /** True when less than half the manifest's lifetime is left (re-issue it). */
  get aging(): boolean {
    const expiresAt = this.#manifest?.expiresAt
    return (
      expiresAt !== undefined &&
      Date.parse(expiresAt) - Date.now() <= (this.#settings.expiresInSeconds * 1000) / 2
    )
  }

  /** Applies `mutate` to a copy of the control state and publishes it as the next revision. */
  change(mutate: (draft: Control) => void): Promise<Manifest> {
    const draft = structuredClone(this.#control)
    mutate(draft)
    return this.publish(draft, this.revision + 1)
  }

  /** Builds, validates, signs and serves the manifest of `control` as `revision`; then adopts `control`. */
  async publish(control: Control, revision: number): Promise<Manifest> {
    const { runtimes, discovery, ttl, expiresInSeconds } = this.#settings
    const now = Date.now()
    const environments: Record<string, ManifestEnvironment> = {}
    for (const name of NAMES) {
      const runtime = runtimes[name]
      const { state, drainDeadline } = control.states[name]
      environments[name] = {
        streamManager: runtime.streamManager,
        api: runtime.api,
        nodeGroup: runtime.nodeGroup,
        app: runtime.app,
        transport: 'proxy',
        state,
        ...(drainDeadline === undefined ? {} : { drainDeadline }),
      }
    }
    const manifest: Manifest = {
      manifestVersion: 1,
      revision,
      issuedAt: isoSeconds(now),
      expiresAt: isoSeconds(now + expiresInSeconds * 1000),
      ttl,
      roles: { ...control.roles },
      environments,
    }
    const payload = JSON.stringify(manifest, null, 2)
    // The client's own rules: the emulator never serves what a client would refuse.
    validateManifest(JSON.parse(payload), { now })
    const body = this.signing
      ? JSON.stringify(
          await signManifest(payload, [{ keyid: this.signing.keyid, privateKey: this.signing.privateKey }]),
          null,
          2,
        )
      : payload
    discovery.publish(Buffer.from(body), ttl)
    this.#control = control
    this.#manifest = manifest
    this.#settings.onPublished(manifest)
    return manifest
  }
}

/** Makes `target` production; the old production drains and takes the role `target` had. @internal */
export function swapProduction(draft: Control, target: EnvironmentName, drainSeconds: number): void {
  const from = draft.roles.production!
  for (const [role, env] of Object.entries(draft.roles)) {
    if (env === target) {
      draft.roles[role] = from
    }
  }
  draft.roles.production = target
  draft.states[target] = { state: 'serving' }
  draft.states[from] = { state: 'draining', drainDeadline: isoSeconds(Date.now() + drainSeconds * 1000) }
  draft.previousProduction = from
}
