/**
 * Operator edits of a discovery manifest as pure functions: a manifest and the current time in, the
 * edited manifest and a summary of what changed out. No files, no clock, no output: the `manifest`
 * commands do the I/O around them.
 *
 * Edits work on the manifest as written (unknown fields and omitted defaults are kept as they are);
 * every edit bumps `revision`, sets `issuedAt` and moves `expiresAt` forward by its previous validity.
 * `promote` records the production environment it replaces in the extra field `previousProduction`,
 * which `rollback` promotes back.
 */
import { isBlueGreenError, type BlueGreenError } from '../errors'
import { validateManifest } from '../discovery/manifest'
import type { EnvironmentState, StreamManagerApi } from '../types'

/** The extra manifest field where `promote` records the environment it replaced (clients ignore it). */
export const PREVIOUS_PRODUCTION_FIELD = 'previousProduction'

/** How long an environment drains after a promotion unless `--drain` says otherwise (30 minutes). */
export const DEFAULT_DRAIN_MS = 30 * 60_000

/** One environment as written in a manifest file. */
export interface RawEnvironment {
  /** Stream Manager base URL. */
  streamManager: string
  /** `sm1` or `sm2`. */
  api: string
  /** `serving` (when absent), `draining` or `offline`. */
  state?: string
  /** ISO time; present while `draining`. */
  drainDeadline?: string
  /** Every other field, kept as written. */
  [field: string]: unknown
}

/** A manifest as written in a file (defaults not applied, unknown fields kept). */
export interface RawManifest {
  /** Always 1. */
  manifestVersion: number
  /** Bumped by every edit. */
  revision: number
  /** Set to the time of every edit. */
  issuedAt?: string
  /** Moved forward by every edit, when present. */
  expiresAt?: string
  /** Seconds clients use the manifest before revalidating. */
  ttl?: number
  /** Role name to environment name. */
  roles: Record<string, string>
  /** Environment name to environment. */
  environments: Record<string, RawEnvironment>
  /** The production environment the last `promote` replaced (an extra field clients ignore). */
  previousProduction?: string
  /** Every other field, kept as written. */
  [field: string]: unknown
}

/** An edit that cannot be made; the message says why and what to do instead. */
export class ManifestEditError extends Error {
  /** @param message - one line: why the edit is refused and what to do */
  constructor(message: string) {
    super(message)
    this.name = 'ManifestEditError'
  }
}

/** The outcome of an edit. */
export interface EditResult {
  /** The edited manifest (a copy; the input is never changed). */
  readonly manifest: RawManifest
  /** False when the edit changed nothing (the manifest is then the input, revision not bumped). */
  readonly changed: boolean
  /** What changed, one line each, e.g. `production: green -> blue`. */
  readonly summary: readonly string[]
}

/** What every edit needs to know. */
export interface EditContext {
  /** The current time, milliseconds since the epoch. */
  readonly now: number
  /** How long a draining environment drains. @default DEFAULT_DRAIN_MS */
  readonly drainMs?: number
  /** Set `expiresAt` to `now` plus this; by default it moves forward by its previous validity. */
  readonly expiresInMs?: number
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * Milliseconds of a duration such as `90s`, `30m`, `2h` or `1d` (a bare number is seconds), or
 * `undefined` when `text` is not one.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim())
  if (!match) {
    return undefined
  }
  const value = Number(match[1]) * UNITS[match[2] ?? 's']!
  return Number.isFinite(value) ? Math.round(value) : undefined
}

/** An ISO 8601 UTC time without milliseconds, as manifests carry them: `2026-11-26T10:30:00Z`. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** How to make a starter manifest. */
export interface StarterOptions {
  /** The current time. */
  readonly now: number
  /** Name of the production environment. @default 'green' */
  readonly productionName?: string
  /** Name of the staging environment. @default 'blue' */
  readonly stagingName?: string
  /** Production Stream Manager URL. @default 'https://green-sm.example.com' (with the name) */
  readonly productionStreamManager?: string
  /** Staging Stream Manager URL. @default 'https://blue-sm.example.com' (with the name) */
  readonly stagingStreamManager?: string
  /** API generation of both Stream Managers. @default 'sm2' */
  readonly api?: StreamManagerApi
  /** Seconds clients may use the manifest before revalidating. @default 30 */
  readonly ttl?: number
  /** When set, `expiresAt` is `now` plus this. */
  readonly expiresInMs?: number
}

/**
 * A valid starter manifest: revision 1, two serving environments, `production` on the first and
 * `staging` on the second.
 */
export function starterManifest(options: StarterOptions): RawManifest {
  const production = options.productionName ?? 'green'
  const staging = options.stagingName ?? 'blue'
  if (production === staging) {
    throw new ManifestEditError(
      `production and staging need different environment names (both are "${production}").`,
    )
  }
  const api = options.api ?? 'sm2'
  const environment = (name: string, url: string | undefined): RawEnvironment => ({
    streamManager: url ?? `https://${name}-sm.example.com`,
    api,
    ...(api === 'sm2' ? { nodeGroup: 'default' } : {}),
    app: 'live',
    state: 'serving',
  })
  return {
    manifestVersion: 1,
    revision: 1,
    issuedAt: isoTime(options.now),
    ...(options.expiresInMs === undefined ? {} : { expiresAt: isoTime(options.now + options.expiresInMs) }),
    ttl: options.ttl ?? 30,
    roles: { production, staging },
    environments: {
      [production]: environment(production, options.productionStreamManager),
      [staging]: environment(staging, options.stagingStreamManager),
    },
  }
}

/** The state of an environment as clients read it (`serving` when the field is absent). */
export function stateOf(environment: RawEnvironment): string {
  return environment.state ?? 'serving'
}

/** The roles that map to environment `name`, in manifest order. */
export function rolesOf(manifest: RawManifest, name: string): string[] {
  return Object.keys(manifest.roles).filter((role) => manifest.roles[role] === name)
}

/**
 * The environment `nameOrRole` means: an environment name, else the environment a role maps to.
 * @throws {ManifestEditError} when it is neither
 */
export function findEnvironment(manifest: RawManifest, nameOrRole: string): string {
  if (Object.hasOwn(manifest.environments, nameOrRole)) {
    return nameOrRole
  }
  const byRole = Object.hasOwn(manifest.roles, nameOrRole) ? manifest.roles[nameOrRole] : undefined
  if (byRole !== undefined && Object.hasOwn(manifest.environments, byRole)) {
    return byRole
  }
  throw new ManifestEditError(
    `"${nameOrRole}" is neither an environment (${Object.keys(manifest.environments).join(', ')}) nor a role (${Object.keys(manifest.roles).join(', ')}) of the manifest; use one of those names.`,
  )
}

function bump(next: RawManifest, previous: RawManifest, context: EditContext, summary: string[]): void {
  next.revision = previous.revision + 1
  next.issuedAt = isoTime(context.now)
  if (context.expiresInMs !== undefined) {
    next.expiresAt = isoTime(context.now + context.expiresInMs)
  } else if (previous.expiresAt !== undefined && previous.issuedAt !== undefined) {
    const validity = Date.parse(previous.expiresAt) - Date.parse(previous.issuedAt)
    if (Number.isFinite(validity) && validity > 0) {
      next.expiresAt = isoTime(context.now + validity)
    }
  }
  summary.push(`revision: ${previous.revision} -> ${next.revision}`)
  if (next.expiresAt !== undefined && next.expiresAt !== previous.expiresAt) {
    summary.push(`expiresAt: ${next.expiresAt}`)
  }
}

function drainDeadline(context: EditContext): string {
  return isoTime(context.now + (context.drainMs ?? DEFAULT_DRAIN_MS))
}

/**
 * Makes `target` (an environment, or a role naming one) production. The old production environment
 * becomes `staging` and drains until `now + drainMs`; `target` serves (a draining target is brought
 * back: that is a rollback); the old production is recorded in `previousProduction`.
 * @throws {ManifestEditError} when `target` is unknown, already production, or offline
 */
export function promote(manifest: RawManifest, target: string, context: EditContext): EditResult {
  const name = findEnvironment(manifest, target)
  const current = manifest.roles.production
  if (current === undefined) {
    throw new ManifestEditError('the manifest has no production role; add "roles.production" first.')
  }
  if (name === current) {
    throw new ManifestEditError(
      `"${name}" is already production (revision ${manifest.revision}); nothing to promote.`,
    )
  }
  const candidate = manifest.environments[name]!
  if (stateOf(candidate) === 'offline') {
    throw new ManifestEditError(
      `"${name}" is offline, so it cannot take production; bring it up first with \`manifest serve ${name}\`.`,
    )
  }
  const next = structuredClone(manifest)
  const summary: string[] = []
  next.roles.production = name
  summary.push(`production: ${current} -> ${name}`)
  const previousStaging = manifest.roles.staging
  next.roles.staging = current
  summary.push(`staging: ${previousStaging ?? '(none)'} -> ${current}`)
  if (next.roles.failover === name) {
    // The backup is production now; backing it up with itself means nothing (clients ignore it).
    delete next.roles.failover
    summary.push(`failover: ${name} -> (none); name a backup with \`manifest failover ENV\``)
  }
  const promoted = next.environments[name]!
  if (stateOf(candidate) !== 'serving') {
    summary.push(`${name}: ${stateOf(candidate)} -> serving`)
  }
  promoted.state = 'serving'
  delete promoted.drainDeadline
  const deadline = drainDeadline(context)
  const retired = next.environments[current]!
  summary.push(`${current}: ${stateOf(manifest.environments[current]!)} -> draining until ${deadline}`)
  retired.state = 'draining'
  retired.drainDeadline = deadline
  next[PREVIOUS_PRODUCTION_FIELD] = current
  bump(next, manifest, context, summary)
  return { manifest: next, changed: true, summary }
}

/**
 * Promotes back the environment that was production before: the one recorded in
 * `previousProduction`, else the current `staging` environment.
 * @throws {ManifestEditError} when there is nothing to roll back to, or it is offline
 */
export function rollback(manifest: RawManifest, context: EditContext): EditResult {
  const current = manifest.roles.production
  const recorded = manifest[PREVIOUS_PRODUCTION_FIELD]
  const candidates = [recorded, manifest.roles.staging].filter(
    (name): name is string =>
      typeof name === 'string' && name !== current && Object.hasOwn(manifest.environments, name),
  )
  const target = candidates[0]
  if (target === undefined) {
    throw new ManifestEditError(
      `nothing to roll back to: no "${PREVIOUS_PRODUCTION_FIELD}" is recorded and no staging environment other than production exists; use \`manifest promote ENV\`.`,
    )
  }
  const result = promote(manifest, target, context)
  return { ...result, summary: [`rollback: back to ${target}`, ...result.summary] }
}

/**
 * Sets the state of `target` (an environment, or a role naming one): `draining` with a deadline of
 * `now + drainMs`, `serving` or `offline` (both clear the deadline). Returns `changed: false` when the
 * environment is already in that state (and, for `draining`, has that deadline).
 * @throws {ManifestEditError} for an unknown environment, or one that would leave production not serving
 */
export function setState(
  manifest: RawManifest,
  target: string,
  state: EnvironmentState,
  context: EditContext,
): EditResult {
  const name = findEnvironment(manifest, target)
  if (manifest.roles.production === name && state !== 'serving') {
    throw new ManifestEditError(
      `"${name}" is production: making it ${state} would leave no serving production. Promote another environment first (\`manifest promote ENV\`).`,
    )
  }
  const before = manifest.environments[name]!
  const deadline = state === 'draining' ? drainDeadline(context) : undefined
  if (stateOf(before) === state && before.drainDeadline === deadline) {
    return { manifest, changed: false, summary: [`${name} is already ${state}; nothing to change`] }
  }
  const next = structuredClone(manifest)
  const env = next.environments[name]!
  env.state = state
  if (deadline === undefined) {
    delete env.drainDeadline
  } else {
    env.drainDeadline = deadline
  }
  const summary = [
    `${name}: ${stateOf(before)} -> ${state}${deadline === undefined ? '' : ` until ${deadline}`}`,
  ]
  bump(next, manifest, context, summary)
  return { manifest: next, changed: true, summary }
}

/**
 * Names `target` (an environment, or a role naming one) as the `failover` backup (DESIGN 11), or removes
 * the role with `null`. Clients use the backup, without a new revision, while their production is
 * unreachable. Returns `changed: false` when nothing changes.
 * @throws {ManifestEditError} for an unknown environment, production itself, or an offline one
 */
export function setFailover(manifest: RawManifest, target: string | null, context: EditContext): EditResult {
  const before = Object.hasOwn(manifest.roles, 'failover') ? manifest.roles.failover : undefined
  if (target === null) {
    if (before === undefined) {
      return { manifest, changed: false, summary: ['there is no failover role; nothing to change'] }
    }
    const next = structuredClone(manifest)
    delete next.roles.failover
    const summary = [`failover: ${before} -> (none)`]
    bump(next, manifest, context, summary)
    return { manifest: next, changed: true, summary }
  }
  const name = findEnvironment(manifest, target)
  if (manifest.roles.production === name) {
    throw new ManifestEditError(
      `"${name}" is production: the failover role names the backup clients use while production is unreachable, so it must be another environment.`,
    )
  }
  if (stateOf(manifest.environments[name]!) === 'offline') {
    throw new ManifestEditError(
      `"${name}" is offline; clients ignore a backup that is not serving. Serve it first.`,
    )
  }
  if (before === name) {
    return { manifest, changed: false, summary: [`failover is already ${name}; nothing to change`] }
  }
  const next = structuredClone(manifest)
  next.roles.failover = name
  const summary = [`failover: ${before ?? '(none)'} -> ${name}`]
  bump(next, manifest, context, summary)
  return { manifest: next, changed: true, summary }
}

/**
 * What is wrong with a manifest, without the library's framing: `at $.revision: must be >= 1` for
 * MANIFEST_INVALID (the JSON path first), `it expired at ...` for MANIFEST_EXPIRED, else the message.
 */
export function describeProblem(error: BlueGreenError): string {
  if (error.code === 'MANIFEST_INVALID' && error.path !== undefined) {
    const match = / is invalid at \S+: (.+?)\. Fix the manifest/.exec(error.message)
    if (match) {
      return `at ${error.path}: ${match[1]!}`
    }
  }
  if (error.code === 'MANIFEST_EXPIRED') {
    const match = / expired at (\S+?)\./.exec(error.message)
    if (match) {
      return `it expired at ${match[1]!}`
    }
  }
  return error.message.replace(/\.$/, '')
}

/**
 * Re-issues the manifest unchanged but for `revision`, `issuedAt` and `expiresAt` (moved forward by
 * its validity, or to `now + expiresInMs`): what a scheduled job runs so a signed manifest with an
 * expiry never lapses while nothing else changes.
 */
export function renew(manifest: RawManifest, context: EditContext): EditResult {
  const next = structuredClone(manifest)
  const summary: string[] = []
  bump(next, manifest, context, summary)
  return { manifest: next, changed: true, summary }
}

/** Rules an edited manifest is checked against before it is written. */
export interface CheckRules {
  /** The current time (an expired result is refused). */
  readonly now: number
  /** Accept http Stream Managers on non-loopback hosts (clients need `allowInsecure` too). */
  readonly allowInsecure?: boolean
}

/**
 * Refuses a manifest that clients would reject, or whose production environment is not serving.
 * @throws {ManifestEditError} with the client's reason (and JSON path)
 */
export function checkEdited(manifest: RawManifest, rules: CheckRules): void {
  try {
    validateManifest(manifest, { now: rules.now, allowInsecure: rules.allowInsecure ?? false })
  } catch (error) {
    if (isBlueGreenError(error)) {
      throw new ManifestEditError(
        `clients would refuse the result (${error.code}): ${describeProblem(error)}${error.code === 'MANIFEST_EXPIRED' ? '; pass --expires to set a new expiry' : ''}.`,
      )
    }
    throw error
  }
  const production = manifest.roles.production!
  const state = stateOf(manifest.environments[production]!)
  if (state !== 'serving') {
    throw new ManifestEditError(
      `production ("${production}") would be ${state}, leaving no serving production; promote a serving environment instead.`,
    )
  }
}
