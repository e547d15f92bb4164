/**
 * The discovery manifest (format version 1): schema, defaults, and the rules a client enforces before
 * accepting one. Structure is checked with valibot; cross-field rules (roles naming environments, https,
 * allowed hosts) are checked after, each failure naming the JSON path of the first problem.
 */
import * as v from 'valibot'

import { BlueGreenError } from '../errors'
import { hostAllowed, isLoopbackHost } from '../internal/hosts'
import { own } from '../internal/own'
import type { Manifest, ManifestEnvironment } from '../types'

export { MAX_MANIFEST_BYTES } from './limits'

/** Environment and role names: lower-case, start with a letter, at most 32 characters. */
export const NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/

const isoTime = v.pipe(
  v.string(),
  v.check(
    (value) => /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value)),
    'must be an ISO 8601 time',
  ),
)

const environmentSchema = v.object({
  streamManager: v.pipe(v.string(), v.minLength(1, 'must be an absolute URL')),
  api: v.picklist(['sm1', 'sm2'], 'must be "sm1" or "sm2"'),
  nodeGroup: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a node group name')),
    'default',
  ),
  app: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a webapp name')), 'live'),
  transport: v.optional(v.picklist(['proxy', 'direct'], 'must be "proxy" or "direct"'), 'proxy'),
  state: v.optional(
    v.picklist(['serving', 'draining', 'offline'], 'must be serving, draining or offline'),
    'serving',
  ),
  drainDeadline: v.optional(isoTime),
  region: v.optional(v.pipe(v.string(), v.maxLength(64))),
})

const nameKey = v.pipe(v.string(), v.regex(NAME_PATTERN, 'names must match ^[a-z][a-z0-9-]{0,31}$'))

const manifestSchema = v.object({
  manifestVersion: v.literal(1, 'must be 1 (the only format version this client understands)'),
  revision: v.pipe(v.number(), v.safeInteger('must be an integer'), v.minValue(1, 'must be >= 1')),
  issuedAt: v.optional(isoTime),
  expiresAt: v.optional(isoTime),
  ttl: v.optional(v.pipe(v.number('must be a number of seconds'), v.finite()), 30),
  roles: v.record(nameKey, v.pipe(v.string(), v.regex(NAME_PATTERN, 'must name an environment'))),
  environments: v.record(nameKey, environmentSchema),
})

/** Rules the client applies on top of the schema. */
export interface ManifestRules {
  /** Host patterns every Stream Manager host must match; empty or undefined allows any. */
  allowedHosts?: readonly string[] | undefined
  /** Allow http Stream Managers on non-loopback hosts. */
  allowInsecure?: boolean | undefined
  /** Now, for `expiresAt`. */
  now: number
  /** Where the manifest came from, for messages. */
  source?: string | undefined
}

function invalid(
  path: string,
  problem: string,
  source: string | undefined,
  revision?: number,
): BlueGreenError {
  const where = source ? ` from ${source}` : ''
  return new BlueGreenError(
    'MANIFEST_INVALID',
    `The discovery manifest${where} is invalid at ${path}: ${problem}. Fix the manifest (validate it with \`red5pro-bluegreen manifest validate\`).`,
    {
      path,
      ...(source === undefined ? {} : { url: source }),
      ...(revision === undefined ? {} : { revision }),
    },
  )
}

function pathOf(issue: v.BaseIssue<unknown>): string {
  const segments = issue.path?.map((item) => item.key) ?? []
  return segments.reduce<string>(
    (acc, key) =>
      typeof key === 'number'
        ? `${acc}[${key}]`
        : /^[A-Za-z_$][\w$]*$/.test(String(key))
          ? `${acc}.${String(key)}`
          : `${acc}[${JSON.stringify(key)}]`,
    '$',
  )
}

/**
 * Checks a parsed manifest and returns it with defaults applied.
 * @throws {BlueGreenError} `MANIFEST_INVALID` (with `path`), `MANIFEST_EXPIRED`, `HOST_NOT_ALLOWED`
 */
export function validateManifest(input: unknown, rules: ManifestRules): Manifest {
  const result = v.safeParse(manifestSchema, input, { abortEarly: true })
  if (!result.success) {
    const issue = result.issues[0]
    throw invalid(pathOf(issue), issue.message, rules.source)
  }
  const raw = result.output
  const revision = raw.revision
  const environments: Record<string, ManifestEnvironment> = {}
  for (const [name, env] of Object.entries(raw.environments)) {
    const path = `$.environments.${name}`
    let url: URL
    try {
      url = new URL(env.streamManager)
    } catch {
      throw invalid(`${path}.streamManager`, 'must be an absolute URL', rules.source, revision)
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw invalid(
        `${path}.streamManager`,
        `must be an https URL, got ${url.protocol}`,
        rules.source,
        revision,
      )
    }
    if (url.username || url.password || url.hash || url.search) {
      throw invalid(
        `${path}.streamManager`,
        'must not carry credentials, a query or a fragment',
        rules.source,
        revision,
      )
    }
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !rules.allowInsecure) {
      throw invalid(
        `${path}.streamManager`,
        `must use https (http is allowed only on loopback or with allowInsecure), got ${url.origin}`,
        rules.source,
        revision,
      )
    }
    if (
      rules.allowedHosts &&
      rules.allowedHosts.length > 0 &&
      !hostAllowed(url.hostname, rules.allowedHosts)
    ) {
      throw new BlueGreenError(
        'HOST_NOT_ALLOWED',
        `The manifest points environment "${name}" at ${url.hostname}, which is not in allowedHosts (${rules.allowedHosts.join(', ')}). Add the host to allowedHosts if it is yours; otherwise the manifest may have been tampered with.`,
        { host: url.hostname, environment: name, path: `${path}.streamManager`, revision },
      )
    }
    if (env.state === 'draining' && env.drainDeadline === undefined) {
      throw invalid(`${path}.drainDeadline`, 'is required when state is "draining"', rules.source, revision)
    }
    environments[name] = {
      streamManager: env.streamManager.replace(/\/+$/, ''),
      api: env.api,
      nodeGroup: env.nodeGroup,
      app: env.app,
      transport: env.transport,
      state: env.state,
      ...(env.drainDeadline === undefined ? {} : { drainDeadline: env.drainDeadline }),
      ...(env.region === undefined ? {} : { region: env.region }),
    }
  }
  const production = own(raw.roles, 'production')
  if (production === undefined) {
    throw invalid(
      '$.roles.production',
      'is required (the role every client uses by default)',
      rules.source,
      revision,
    )
  }
  for (const [role, envName] of Object.entries(raw.roles)) {
    if (!Object.hasOwn(environments, envName)) {
      throw invalid(
        `$.roles.${role}`,
        `names "${envName}", which is not in $.environments`,
        rules.source,
        revision,
      )
    }
  }
  if (environments[production]?.state === 'offline') {
    throw invalid(
      `$.environments.${production}.state`,
      'the production environment cannot be offline',
      rules.source,
      revision,
    )
  }
  if (raw.expiresAt !== undefined && Date.parse(raw.expiresAt) <= rules.now) {
    throw new BlueGreenError(
      'MANIFEST_EXPIRED',
      `The discovery manifest revision ${revision} expired at ${raw.expiresAt}. The operator must publish a fresh one (a frozen manifest is refused on purpose).`,
      { revision, ...(rules.source === undefined ? {} : { url: rules.source }) },
    )
  }
  return {
    manifestVersion: 1,
    revision,
    ...(raw.issuedAt === undefined ? {} : { issuedAt: raw.issuedAt }),
    ...(raw.expiresAt === undefined ? {} : { expiresAt: raw.expiresAt }),
    ttl: Math.min(3600, Math.max(1, Math.round(raw.ttl))),
    roles: { ...raw.roles },
    environments,
  }
}
