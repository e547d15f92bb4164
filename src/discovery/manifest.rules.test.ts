/**
 * The manifest rules at their edges: name and webapp patterns anchored at both ends, ISO times that
 * must both look like one and parse, credentials, trailing slashes, the expiry instant, JSON paths.
 */
import { describe, expect, it } from 'vitest'

import { isBlueGreenError, type BlueGreenError } from '../errors'
import { validateManifest, type ManifestRules } from './manifest'

const now = Date.parse('2026-11-26T10:00:00Z')

function manifest(green: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    manifestVersion: 1,
    revision: 7,
    roles: { production: 'green' },
    environments: { green: { streamManager: 'https://green-sm.example.com', api: 'sm2', ...green } },
    ...extra,
  }
}

function refusal(input: unknown, rules: Partial<ManifestRules> = {}): BlueGreenError {
  try {
    validateManifest(input, { now, ...rules })
  } catch (error) {
    if (isBlueGreenError(error)) {
      return error
    }
    throw error
  }
  throw new Error('expected a refusal')
}

describe('names are matched whole', () => {
  it.each(['1green', '-green', 'green!', 'Green', 'a'.repeat(33)])(
    'an environment named %j is refused',
    (name) => {
      const input = {
        ...manifest(),
        roles: { production: name },
        environments: { [name]: { streamManager: 'https://x.example.com', api: 'sm2' } },
      }
      expect(refusal(input).code).toBe('MANIFEST_INVALID')
    },
  )

  it.each(['default/x', '/default', 'a b', ''])('a nodeGroup of %j is refused', (nodeGroup) => {
    expect(refusal(manifest({ nodeGroup })).path).toBe('$.environments.green.nodeGroup')
  })

  it.each(['live/x', '/live', 'li ve'])('an app of %j is refused', (app) => {
    expect(refusal(manifest({ app })).path).toBe('$.environments.green.app')
  })
})

describe('times', () => {
  it.each([
    ['looks like ISO but does not parse', '2026-13-45T99:99:99Z'],
    ['parses but is not ISO', 'Nov 26 2026 10:00:00 GMT'],
    ['ISO inside other text', 'x2026-11-26T10:00:00Z'],
  ])('an issuedAt that %s is refused', (_label, issuedAt) => {
    expect(refusal(manifest({}, { issuedAt })).path).toBe('$.issuedAt')
  })

  it('a manifest is expired from the instant of expiresAt on', () => {
    const at = '2026-11-26T10:00:00.000Z'
    expect(refusal(manifest({}, { expiresAt: at }), { now: Date.parse(at) }).code).toBe('MANIFEST_EXPIRED')
    expect(() => validateManifest(manifest({}, { expiresAt: at }), { now: Date.parse(at) - 1 })).not.toThrow()
  })

  it('the expiry error names the revision and, when known, the url', () => {
    const error = refusal(manifest({}, { expiresAt: '2026-11-25T00:00:00Z' }), {
      source: 'https://cdn/d.json',
    })
    expect(error).toMatchObject({ code: 'MANIFEST_EXPIRED', revision: 7, url: 'https://cdn/d.json' })
    const inline = refusal(manifest({}, { expiresAt: '2026-11-25T00:00:00Z' }))
    expect(Object.hasOwn(inline, 'url')).toBe(false)
  })
})

describe('Stream Manager URLs', () => {
  it.each([
    'https://user@x.example.com',
    'https://:secret@x.example.com',
    'https://x.example.com/?a=1',
    'https://x.example.com/#f',
  ])('%s (credentials, query or fragment) is refused', (streamManager) => {
    expect(refusal(manifest({ streamManager })).message).toContain('credentials, a query or a fragment')
  })

  it('trailing slashes are removed, and only those', () => {
    const out = validateManifest(manifest({ streamManager: 'https://x.example.com/sm//' }), { now })
    expect(out.environments.green?.streamManager).toBe('https://x.example.com/sm')
  })
})

describe('what a valid manifest becomes', () => {
  it('keeps issuedAt, expiresAt, drainDeadline and region only when given (no undefined keys)', () => {
    const bare = validateManifest(manifest(), { now })
    expect(Object.keys(bare).sort()).toEqual(['environments', 'manifestVersion', 'revision', 'roles', 'ttl'])
    expect(Object.keys(bare.environments.green!).sort()).toEqual([
      'api',
      'app',
      'nodeGroup',
      'state',
      'streamManager',
      'transport',
    ])
    const full = validateManifest(
      manifest(
        { state: 'draining', drainDeadline: '2026-11-26T11:00:00Z', region: 'eu' },
        {
          issuedAt: '2026-11-26T09:00:00Z',
          expiresAt: '2026-11-27T09:00:00Z',
          roles: { production: 'green' },
        },
      ),
      { now },
    )
    expect(full).toMatchObject({ issuedAt: '2026-11-26T09:00:00Z', expiresAt: '2026-11-27T09:00:00Z' })
    expect(full.environments.green).toMatchObject({ drainDeadline: '2026-11-26T11:00:00Z', region: 'eu' })
  })
})

describe('errors', () => {
  it('a cross-field error carries the revision, the path and the url; an inline one has no url', () => {
    const error = refusal(manifest({ state: 'draining' }), { source: 'https://cdn/d.json' })
    expect(error).toMatchObject({
      path: '$.environments.green.drainDeadline',
      revision: 7,
      url: 'https://cdn/d.json',
    })
    const inline = refusal(manifest({ state: 'draining' }))
    expect(Object.hasOwn(inline, 'url')).toBe(false)
  })

  it('a schema error has no revision yet', () => {
    const error = refusal(manifest({ api: 'sm3' }))
    expect(Object.hasOwn(error, 'revision')).toBe(false)
  })

  it('names that are not identifiers appear in brackets in the JSON path', () => {
    const input = {
      ...manifest(),
      environments: {
        green: { streamManager: 'https://x.example.com', api: 'sm2' },
        'my-env': { streamManager: 'https://y.example.com', api: 'sm3' },
      },
    }
    expect(refusal(input).path).toBe('$.environments["my-env"].api')
  })
})
