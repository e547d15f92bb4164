import { describe, expect, it } from 'vitest'

import { isBlueGreenError } from '../errors'
import { validateManifest } from './manifest'
import { selectEnvironment } from './select'

const now = Date.parse('2026-11-26T10:00:00Z')
const base = {
  manifestVersion: 1,
  revision: 42,
  issuedAt: '2026-11-26T10:00:00Z',
  expiresAt: '2026-12-03T10:00:00Z',
  ttl: 15,
  roles: { production: 'green', staging: 'blue' },
  environments: {
    green: {
      streamManager: 'https://green-sm.example.com',
      api: 'sm2',
      nodeGroup: 'default',
      app: 'live',
      state: 'serving',
    },
    blue: {
      streamManager: 'https://blue-sm.example.com',
      api: 'sm1',
      app: 'live',
      state: 'draining',
      drainDeadline: '2026-11-26T10:30:00Z',
    },
  },
}

function problem(
  input: unknown,
  rules: Partial<Parameters<typeof validateManifest>[1]> = {},
): { code: string; path?: string } {
  try {
    validateManifest(input, { now, ...rules })
  } catch (error) {
    if (isBlueGreenError(error)) {
      return { code: error.code, ...(error.path === undefined ? {} : { path: error.path }) }
    }
    throw error
  }
  return { code: 'OK' }
}

describe('validateManifest', () => {
  it('accepts the DESIGN example and applies defaults', () => {
    const m = validateManifest({ ...base, unknownField: true }, { now })
    expect(m.environments.blue).toMatchObject({ nodeGroup: 'default', transport: 'proxy', state: 'draining' })
    expect(m.ttl).toBe(15)
  })

  it('defaults ttl to 30 and state to serving, and clamps ttl to 1..3600', () => {
    const { ttl: _ttl, ...noTtl } = base
    const envs = { green: { streamManager: 'https://g.example.com', api: 'sm2' } }
    const m = validateManifest({ ...noTtl, roles: { production: 'green' }, environments: envs }, { now })
    expect(m.ttl).toBe(30)
    expect(m.environments.green?.state).toBe('serving')
    expect(validateManifest({ ...base, ttl: 0 }, { now }).ttl).toBe(1)
    expect(validateManifest({ ...base, ttl: 99999 }, { now }).ttl).toBe(3600)
  })

  it.each([
    ['not an object', 42, '$'],
    ['wrong manifestVersion', { ...base, manifestVersion: 2 }, '$.manifestVersion'],
    ['revision 0', { ...base, revision: 0 }, '$.revision'],
    ['fractional revision', { ...base, revision: 1.5 }, '$.revision'],
    ['revision as a string', { ...base, revision: '42' }, '$.revision'],
    ['bad issuedAt', { ...base, issuedAt: 'yesterday' }, '$.issuedAt'],
    ['ttl as a string', { ...base, ttl: '15' }, '$.ttl'],
    ['upper-case role name', { ...base, roles: { ...base.roles, QA: 'blue' } }, '$.roles.QA'],
    [
      'environment name too long',
      { ...base, environments: { ['x'.repeat(40)]: base.environments.green } },
      `$.environments.${'x'.repeat(40)}`,
    ],
    [
      'unknown api',
      { ...base, environments: { ...base.environments, green: { ...base.environments.green, api: 'sm3' } } },
      '$.environments.green.api',
    ],
    [
      'unknown state',
      { ...base, environments: { ...base.environments, green: { ...base.environments.green, state: 'up' } } },
      '$.environments.green.state',
    ],
    [
      'unknown transport',
      {
        ...base,
        environments: { ...base.environments, green: { ...base.environments.green, transport: 'udp' } },
      },
      '$.environments.green.transport',
    ],
    [
      'missing streamManager',
      { ...base, environments: { ...base.environments, green: { api: 'sm2' } } },
      '$.environments.green.streamManager',
    ],
    [
      'relative streamManager',
      {
        ...base,
        environments: { ...base.environments, green: { ...base.environments.green, streamManager: '/sm' } },
      },
      '$.environments.green.streamManager',
    ],
    [
      'ftp streamManager',
      {
        ...base,
        environments: {
          ...base.environments,
          green: { ...base.environments.green, streamManager: 'ftp://g.example.com' },
        },
      },
      '$.environments.green.streamManager',
    ],
    [
      'credentials in the URL',
      {
        ...base,
        environments: {
          ...base.environments,
          green: { ...base.environments.green, streamManager: 'https://u:p@g.example.com' },
        },
      },
      '$.environments.green.streamManager',
    ],
    [
      'a path-traversal app',
      {
        ...base,
        environments: { ...base.environments, green: { ...base.environments.green, app: '../admin' } },
      },
      '$.environments.green.app',
    ],
    [
      'draining without deadline',
      {
        ...base,
        environments: { ...base.environments, blue: { ...base.environments.blue, drainDeadline: undefined } },
      },
      '$.environments.blue.drainDeadline',
    ],
    ['missing production', { ...base, roles: { staging: 'blue' } }, '$.roles.production'],
    ['role to unknown environment', { ...base, roles: { production: 'red' } }, '$.roles.production'],
    [
      'offline production',
      {
        ...base,
        environments: { ...base.environments, green: { ...base.environments.green, state: 'offline' } },
      },
      '$.environments.green.state',
    ],
  ])('%s -> MANIFEST_INVALID at the first problem', (_name, input, path) => {
    expect(problem(input)).toEqual({ code: 'MANIFEST_INVALID', path })
  })

  it('http is refused on public hosts, allowed on loopback and with allowInsecure', () => {
    const http = (host: string) => ({
      ...base,
      environments: {
        ...base.environments,
        green: { ...base.environments.green, streamManager: `http://${host}:5080` },
      },
    })
    expect(problem(http('sm.example.com')).code).toBe('MANIFEST_INVALID')
    expect(problem(http('127.0.0.1')).code).toBe('OK')
    expect(problem(http('localhost')).code).toBe('OK')
    expect(problem(http('sm.example.com'), { allowInsecure: true }).code).toBe('OK')
  })

  it('allowedHosts applies to every Stream Manager, loopback included', () => {
    expect(problem(base, { allowedHosts: ['*.example.com'] }).code).toBe('OK')
    expect(problem(base, { allowedHosts: ['green-sm.example.com'] })).toEqual({
      code: 'HOST_NOT_ALLOWED',
      path: '$.environments.blue.streamManager',
    })
    const local = {
      ...base,
      environments: {
        ...base.environments,
        green: { ...base.environments.green, streamManager: 'http://127.0.0.1:1' },
      },
    }
    expect(problem(local, { allowedHosts: ['*.example.com'] }).code).toBe('HOST_NOT_ALLOWED')
  })

  it('an expired manifest is MANIFEST_EXPIRED', () => {
    expect(problem(base, { now: Date.parse('2026-12-04T00:00:00Z') }).code).toBe('MANIFEST_EXPIRED')
  })
})

describe('selectEnvironment', () => {
  const m = validateManifest(base, { now })
  it('looks up a role first, then an environment name', () => {
    expect(selectEnvironment(m, 'production')).toMatchObject({
      name: 'green',
      role: 'production',
      revision: 42,
    })
    expect(selectEnvironment(m, 'blue')).toMatchObject({
      name: 'blue',
      role: 'staging',
      state: 'draining',
      drainDeadline: '2026-11-26T10:30:00Z',
    })
  })

  it('an environment no role maps to has role undefined', () => {
    const extra = validateManifest(
      { ...base, environments: { ...base.environments, red: base.environments.green } },
      { now },
    )
    expect(selectEnvironment(extra, 'red').role).toBeUndefined()
  })

  it('anything else is ENVIRONMENT_UNKNOWN', () => {
    expect(() => selectEnvironment(m, 'https://evil.example.net')).toThrowError(
      expect.objectContaining({ code: 'ENVIRONMENT_UNKNOWN' }),
    )
  })
})
