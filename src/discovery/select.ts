/**
 * Which environment a selector (a role, else an environment name) picks in a manifest. Kept apart from
 * the schema so the client can select without loading the validator.
 */
import { BlueGreenError } from '../errors'
import { own } from '../internal/own'
import type { EnvironmentInfo, Manifest } from '../types'

/**
 * Which environment `selector` (a role, else an environment name) picks in `manifest`.
 * @throws {BlueGreenError} `ENVIRONMENT_UNKNOWN` when it is neither a role nor an environment.
 */
export function selectEnvironment(manifest: Manifest, selector: string): EnvironmentInfo {
  const byRole = own(manifest.roles, selector)
  const name = byRole ?? (Object.hasOwn(manifest.environments, selector) ? selector : undefined)
  if (name === undefined) {
    throw new BlueGreenError(
      'ENVIRONMENT_UNKNOWN',
      `"${selector}" is neither a role (${Object.keys(manifest.roles).join(', ')}) nor an environment (${Object.keys(manifest.environments).join(', ')}) of manifest revision ${manifest.revision}. Check the \`environment\` option.`,
      { environment: selector, revision: manifest.revision },
    )
  }
  const role =
    byRole === undefined ? Object.keys(manifest.roles).find((r) => manifest.roles[r] === name) : selector
  return environmentInfo(manifest, name, role)
}

/** The {@link EnvironmentInfo} of environment `name` in `manifest`. @internal */
export function environmentInfo(manifest: Manifest, name: string, role: string | undefined): EnvironmentInfo {
  const env = own(manifest.environments, name)!
  return {
    name,
    role,
    state: env.state,
    streamManager: env.streamManager,
    api: env.api,
    revision: manifest.revision,
    ...(env.drainDeadline === undefined ? {} : { drainDeadline: env.drainDeadline }),
  }
}
