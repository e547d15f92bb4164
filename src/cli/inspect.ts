/**
 * Reading a manifest document as a client would (signature, then schema and rules) and describing it:
 * the JSON shapes `--json` prints and the coloured lines people read. Shared by `status`,
 * `manifest validate` and `verify`.
 */
import type { TrustedKey } from '../discovery/envelope'
import { bytesToBase64, EnvelopeVerifier, parsePublicKey } from '../discovery/dsse'
import { isBlueGreenError } from '../errors'
import type { EnvironmentState, Manifest } from '../types'
import { usageError } from './exit'
import type { ManifestDocument } from './files'
import { relativeTime, type Colors } from './output'

/** What is known about a document's signature. */
export type SignatureInfo =
  /** Signed by at least `threshold` of the given keys. */
  | { readonly status: 'valid'; readonly signedBy: readonly string[]; readonly threshold: number }
  /** Not signed well enough (or not signed while keys were given): clients with those keys refuse it. */
  | { readonly status: 'invalid'; readonly reason: string; readonly threshold: number }
  /** An envelope, but no keys were given to check it with. */
  | { readonly status: 'unchecked'; readonly keyids: readonly string[] }
  /** A plain manifest and no keys given. */
  | { readonly status: 'unsigned' }

/**
 * Refuses a threshold no set of the given keys can meet.
 * @throws {CliError} exit 2 when `threshold` exceeds the number of keys
 */
export function checkThreshold(keys: readonly TrustedKey[], threshold: number): void {
  if (keys.length > 0 && threshold > keys.length) {
    throw usageError(
      `--threshold is ${threshold} but only ${keys.length} key(s) were given; pass more keys or lower the threshold.`,
    )
  }
}

/**
 * Checks a document's signature the way a client configured with `keys` and `threshold` would.
 * @throws {CliError} exit 2 when `threshold` exceeds the number of keys
 */
export async function checkSignature(
  document: ManifestDocument,
  keys: readonly TrustedKey[],
  threshold: number,
  source: string,
): Promise<SignatureInfo> {
  checkThreshold(keys, threshold)
  if (document.kind === 'plain') {
    return keys.length === 0
      ? { status: 'unsigned' }
      : {
          status: 'invalid',
          threshold,
          reason: `${source} is not signed, but trusted keys were given: clients configured with them refuse unsigned manifests. Sign it with \`red5pro-bluegreen sign\`.`,
        }
  }
  if (keys.length === 0) {
    return { status: 'unchecked', keyids: document.envelope.signatures.map((s) => s.keyid ?? '(no keyid)') }
  }
  try {
    // The verdict is the client's own; the per-key pass below only lists every signer, not just enough.
    await new EnvelopeVerifier(keys, threshold).open(document.envelope, source)
  } catch (error) {
    if (isBlueGreenError(error)) {
      return { status: 'invalid', reason: error.message, threshold }
    }
    throw error
  }
  const signedBy: string[] = []
  const seen = new Set<string>()
  for (const key of keys) {
    const id = bytesToBase64(parsePublicKey(key.publicKey))
    if (seen.has(id)) {
      continue
    }
    seen.add(id)
    const opened = await new EnvelopeVerifier([key], 1).open(document.envelope, source).catch(() => undefined)
    signedBy.push(...(opened?.signedBy ?? []))
  }
  return { status: 'valid', signedBy, threshold }
}

/** One line about a signature, for people. */
export function describeSignature(signature: SignatureInfo, color: Colors): string {
  switch (signature.status) {
    case 'valid':
      return `${color.green('valid')}, signed by ${signature.signedBy.join(', ')} (${signature.threshold} required)`
    case 'invalid':
      return color.red('INVALID')
    case 'unchecked':
      return `${color.yellow('not checked')} (signed as ${signature.keyids.join(', ')}; pass keys to check)`
    case 'unsigned':
      return color.yellow('unsigned')
  }
}

/** An environment as `--json` shows it (defaults applied). */
export interface EnvironmentSummary {
  /** `serving`, `draining` or `offline`. */
  readonly state: EnvironmentState
  /** The roles that name it. */
  readonly roles: readonly string[]
  /** Stream Manager base URL. */
  readonly streamManager: string
  /** `sm1` or `sm2`. */
  readonly api: string
  /** Stream Manager 2.0 node group. */
  readonly nodeGroup: string
  /** Webapp. */
  readonly app: string
  /** `proxy` or `direct`. */
  readonly transport: string
  /** While draining: the deadline. */
  readonly drainDeadline?: string
  /** Region hint, if any. */
  readonly region?: string
}

/** A manifest as `--json` shows it. */
export interface ManifestSummary {
  /** The manifest revision. */
  readonly revision: number
  /** When it was issued. */
  readonly issuedAt?: string
  /** When it expires. */
  readonly expiresAt?: string
  /** Seconds between revalidations (clamped). */
  readonly ttl: number
  /** Role name to environment name. */
  readonly roles: Readonly<Record<string, string>>
  /** The environments shown. */
  readonly environments: Readonly<Record<string, EnvironmentSummary>>
}

/** The roles that map to environment `name`. */
export function rolesFor(manifest: Manifest, name: string): string[] {
  return Object.keys(manifest.roles).filter((role) => manifest.roles[role] === name)
}

/** The JSON summary of an accepted manifest, optionally only some environments. */
export function summarize(manifest: Manifest, only?: readonly string[]): ManifestSummary {
  const environments: Record<string, EnvironmentSummary> = {}
  for (const [name, env] of Object.entries(manifest.environments)) {
    if (only === undefined || only.includes(name)) {
      environments[name] = { ...env, roles: rolesFor(manifest, name) }
    }
  }
  return {
    revision: manifest.revision,
    ...(manifest.issuedAt === undefined ? {} : { issuedAt: manifest.issuedAt }),
    ...(manifest.expiresAt === undefined ? {} : { expiresAt: manifest.expiresAt }),
    ttl: manifest.ttl,
    roles: manifest.roles,
    environments,
  }
}

/** A state, coloured: serving green, draining yellow, offline red. */
export function stateText(state: EnvironmentState, color: Colors): string {
  return state === 'serving'
    ? color.green(state)
    : state === 'draining'
      ? color.yellow(state)
      : color.red(state)
}

/** `2026-11-26T10:30:00Z (in 29m)`. */
export function timeText(iso: string | undefined, now: number, color: Colors): string {
  return iso === undefined ? color.dim('-') : `${iso} ${color.dim(`(${relativeTime(iso, now)})`)}`
}

/** Label/value rows about the manifest as a whole: revision, times, ttl, roles. */
export function headerRows(manifest: Manifest, now: number, color: Colors): string[][] {
  return [
    ['revision', color.bold(String(manifest.revision))],
    ['issued', timeText(manifest.issuedAt, now, color)],
    [
      'expires',
      manifest.expiresAt === undefined ? color.dim('never') : timeText(manifest.expiresAt, now, color),
    ],
    ['ttl', `${manifest.ttl}s`],
    [
      'roles',
      Object.entries(manifest.roles)
        .map(([role, env]) => `${role} ${color.dim('->')} ${color.bold(env)}`)
        .join(', '),
    ],
  ]
}

/** An extra column of {@link environmentTable}. */
export interface ExtraColumn {
  /** The column heading. */
  readonly heading: string
  /** The cell of environment `name`. */
  cell(name: string): string
}

/** Rows of the environments table (heading first): name, roles, state, drain deadline, API, Stream Manager. */
export function environmentTable(
  manifest: Manifest,
  names: readonly string[],
  now: number,
  color: Colors,
  extra?: ExtraColumn,
): string[][] {
  const heading = ['ENVIRONMENT', 'ROLES', 'STATE', 'DRAIN DEADLINE', 'API', 'STREAM MANAGER']
  return [
    [...heading, ...(extra === undefined ? [] : [extra.heading])].map((h) => color.dim(h)),
    ...names.map((name) => {
      const env = manifest.environments[name]!
      return [
        color.bold(name),
        rolesFor(manifest, name).join(',') || color.dim('-'),
        stateText(env.state, color),
        env.drainDeadline === undefined ? color.dim('-') : timeText(env.drainDeadline, now, color),
        env.api,
        env.streamManager,
        ...(extra === undefined ? [] : [extra.cell(name)]),
      ]
    }),
  ]
}
