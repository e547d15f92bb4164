/**
 * `manifest init|validate|promote|rollback|drain|offline|serve` against files in a temp dir, through
 * the built binary.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { cli, ensureCliBuilt, tempDir } from './helpers'

beforeAll(async () => {
  await ensureCliBuilt()
}, 120_000)

let tmp: ReturnType<typeof tempDir>
let file: string
beforeEach(() => {
  tmp = tempDir()
  file = tmp.path('discovery.json')
})
afterEach(() => tmp.cleanup())

interface FileManifest {
  revision: number
  issuedAt: string
  expiresAt?: string
  previousProduction?: string
  roles: Record<string, string>
  environments: Record<string, { state?: string; drainDeadline?: string; streamManager?: string }>
}

const read = (path = file): FileManifest => JSON.parse(readFileSync(path, 'utf8')) as FileManifest
const seconds = (iso: string): number => Date.parse(iso) / 1000

describe('manifest init', () => {
  it('writes a starter with production and staging that validate accepts', async () => {
    const init = await cli(['manifest', 'init', '--file', file, '--production-sm', 'https://g.example.com'])
    expect(init.code).toBe(0)
    const manifest = read()
    expect(manifest).toMatchObject({
      manifestVersion: 1,
      revision: 1,
      roles: { production: 'green', staging: 'blue' },
      environments: {
        green: { streamManager: 'https://g.example.com', state: 'serving' },
        blue: { state: 'serving' },
      },
    })
    const validate = await cli(['manifest', 'validate', '--file', file])
    expect(validate).toMatchObject({ code: 0, stderr: '' })
    expect(validate.stdout).toContain('is a valid manifest')
  })

  it('refuses to overwrite an existing file unless --force is given', async () => {
    writeFileSync(file, 'keep me')
    const refused = await cli(['manifest', 'init', '--file', file])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/already exists; pass --force/)
    expect(readFileSync(file, 'utf8')).toBe('keep me')
    expect((await cli(['manifest', 'init', '--file', file, '--force'])).code).toBe(0)
    expect(read().revision).toBe(1)
  })
})

describe('promote and rollback', () => {
  beforeEach(async () => {
    expect((await cli(['manifest', 'init', '--file', file])).code).toBe(0)
  })

  it('round trips: revision increments, roles swap and swap back, the old production drains', async () => {
    const before = Date.now()
    const promoted = await cli(['manifest', 'promote', 'blue', '--file', file])
    const after = Date.now()
    expect(promoted.code).toBe(0)
    let manifest = read()
    expect(manifest.revision).toBe(2)
    expect(manifest.roles).toEqual({ production: 'blue', staging: 'green' })
    expect(manifest.previousProduction).toBe('green')
    expect(manifest.environments.blue!.state).toBe('serving')
    expect(manifest.environments.green!.state).toBe('draining')
    // Default drain: 30 minutes from the moment of the edit (deadlines are written in whole seconds).
    const deadline = seconds(manifest.environments.green!.drainDeadline!)
    expect(deadline).toBeGreaterThanOrEqual(Math.floor((before + 30 * 60_000) / 1000))
    expect(deadline).toBeLessThanOrEqual(Math.ceil((after + 30 * 60_000) / 1000))
    expect(Date.parse(manifest.issuedAt)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000)
    expect((await cli(['manifest', 'validate', '--file', file])).code).toBe(0)

    const rolledBack = await cli(['manifest', 'rollback', '--file', file])
    expect(rolledBack.code).toBe(0)
    expect(rolledBack.stdout).toContain('back to green')
    manifest = read()
    expect(manifest.revision).toBe(3)
    expect(manifest.roles).toEqual({ production: 'green', staging: 'blue' })
    expect(manifest.environments.green!.state).toBe('serving')
    expect(manifest.environments.green!.drainDeadline!).toBeUndefined()
    expect(manifest.environments.blue!.state).toBe('draining')
    expect(manifest.previousProduction).toBe('blue')
    expect((await cli(['manifest', 'validate', '--file', file])).code).toBe(0)
  })

  it('accepts --drain as 90s, 30m or 2h and moves expiresAt forward by its previous validity', async () => {
    expect((await cli(['manifest', 'init', '--file', file, '--force', '--expires', '7d'])).code).toBe(0)
    const initial = read()
    expect(seconds(initial.expiresAt!) - seconds(initial.issuedAt)).toBe(7 * 86_400)

    expect((await cli(['manifest', 'promote', 'blue', '--file', file, '--drain', '90s'])).code).toBe(0)
    let manifest = read()
    expect(seconds(manifest.environments.green!.drainDeadline!) - seconds(manifest.issuedAt)).toBe(90)
    expect(seconds(manifest.expiresAt!) - seconds(manifest.issuedAt)).toBe(7 * 86_400)

    expect((await cli(['manifest', 'promote', 'green', '--file', file, '--drain', '2h'])).code).toBe(0)
    manifest = read()
    expect(seconds(manifest.environments.blue!.drainDeadline!) - seconds(manifest.issuedAt)).toBe(7_200)

    const bad = await cli(['manifest', 'promote', 'blue', '--file', file, '--drain', 'soon'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--drain.*90s, 30m or 2h/)
  })

  it('promotes by role name too: "promote staging" promotes the staging environment', async () => {
    expect((await cli(['manifest', 'promote', 'staging', '--file', file])).code).toBe(0)
    expect(read().roles.production).toBe('blue')
  })

  it('refuses to promote the current production, an unknown environment or an offline one', async () => {
    const original = readFileSync(file, 'utf8')
    const same = await cli(['manifest', 'promote', 'green', '--file', file])
    expect(same.code).toBe(2)
    expect(same.stderr).toMatch(/already production/)
    const unknown = await cli(['manifest', 'promote', 'purple', '--file', file])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/"purple" is neither an environment \(green, blue\)/)
    expect((await cli(['manifest', 'offline', 'blue', '--file', file])).code).toBe(0)
    const offline = await cli(['manifest', 'promote', 'blue', '--file', file])
    expect(offline.code).toBe(2)
    expect(offline.stderr).toMatch(/offline.*manifest serve blue/)
    expect(read().revision).toBe(JSON.parse(original).revision + 1)
  })

  it('rolls back to staging when no previous production is recorded', async () => {
    const rolledBack = await cli(['manifest', 'rollback', '--file', file])
    expect(rolledBack.code).toBe(0)
    expect(read().roles).toEqual({ production: 'blue', staging: 'green' })
  })
})

describe('drain, offline, serve', () => {
  beforeEach(async () => {
    expect((await cli(['manifest', 'init', '--file', file])).code).toBe(0)
  })

  it('sets states, bumping the revision each time, and serve clears the drain deadline', async () => {
    expect((await cli(['manifest', 'drain', 'blue', '--file', file, '--drain', '30m'])).code).toBe(0)
    expect(read().environments.blue!.state).toBe('draining')
    expect(read().environments.blue!.drainDeadline).toMatch(/Z$/)
    expect((await cli(['manifest', 'offline', 'blue', '--file', file])).code).toBe(0)
    expect(read().environments.blue).not.toHaveProperty('drainDeadline')
    expect((await cli(['manifest', 'serve', 'blue', '--file', file])).code).toBe(0)
    expect(read()).toMatchObject({ revision: 4, environments: { blue: { state: 'serving' } } })
  })

  it('leaves the file alone when the state is already the one asked for', async () => {
    const before = readFileSync(file, 'utf8')
    const result = await cli(['manifest', 'serve', 'blue', '--file', file])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/already serving/)
    expect(readFileSync(file, 'utf8')).toBe(before)
  })

  it('refuses to drain or take offline the production environment (exit 2, file unchanged)', async () => {
    const before = readFileSync(file, 'utf8')
    for (const command of ['drain', 'offline']) {
      const result = await cli(['manifest', command, 'green', '--file', file])
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(/no serving production.*Promote another environment first/)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
    }
    expect(readFileSync(file, 'utf8')).toBe(before)
  })

  it('refuses an edit clients would reject: an http Stream Manager on a public host', async () => {
    const insecure = await cli([
      'manifest',
      'init',
      '--file',
      file,
      '--force',
      '--staging-sm',
      'http://blue-sm.example.com',
    ])
    expect(insecure.code).toBe(2)
    expect(insecure.stderr).toMatch(/clients would refuse the result.*\$\.environments\.blue\.streamManager/)
    const allowed = await cli([
      'manifest',
      'init',
      '--file',
      file,
      '--force',
      '--staging-sm',
      'http://blue-sm.example.com',
      '--allow-insecure',
    ])
    expect(allowed.code).toBe(0)
  })

  it('writes atomically: no temporary files are left beside the manifest', async () => {
    expect((await cli(['manifest', 'promote', 'blue', '--file', file])).code).toBe(0)
    expect((await cli(['manifest', 'promote', 'blue', '--file', file])).code).toBe(2)
    expect(readdirSync(tmp.dir)).toEqual(['discovery.json'])
  })
})

describe('manifest renew', () => {
  it('re-issues the manifest with a new revision and expiry, roles and states untouched', async () => {
    expect((await cli(['manifest', 'init', '--file', file, '--expires', '1d'])).code).toBe(0)
    const before = read()
    const renewed = await cli(['manifest', 'renew', '--file', file, '--expires', '7d'])
    expect(renewed.code).toBe(0)
    const after = read()
    expect(after.revision).toBe(before.revision + 1)
    expect(seconds(after.expiresAt!) - seconds(after.issuedAt)).toBe(7 * 86_400)
    expect(after.roles).toEqual(before.roles)
    expect(after.environments).toEqual(before.environments)
  })
})

describe('manifest validate', () => {
  it('exits 1 on an invalid manifest and names the JSON path of the problem', async () => {
    expect((await cli(['manifest', 'init', '--file', file])).code).toBe(0)
    const manifest = read()
    manifest.environments.blue!.state = 'draining' // without drainDeadline
    writeFileSync(file, JSON.stringify(manifest))
    const result = await cli(['manifest', 'validate', '--file', file])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain('$.environments.blue.drainDeadline')

    const json = await cli(['manifest', 'validate', '--file', file, '--json'])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({
      valid: false,
      error: { code: 'MANIFEST_INVALID', path: '$.environments.blue.drainDeadline' },
    })
  })

  it('exits 1 on a file that is not JSON, and on an expired manifest', async () => {
    writeFileSync(file, '{ "manifestVersion": 1, ')
    const notJson = await cli(['manifest', 'validate', '--file', file])
    expect(notJson.code).toBe(1)
    expect(notJson.stderr).toMatch(/not valid JSON/)

    expect((await cli(['manifest', 'init', '--file', file, '--force'])).code).toBe(0)
    const manifest = read()
    manifest.expiresAt = '2020-01-01T00:00:00Z'
    writeFileSync(file, JSON.stringify(manifest))
    const expired = await cli(['manifest', 'validate', '--file', file])
    expect(expired.code).toBe(1)
    expect(expired.stderr).toMatch(/expired at 2020-01-01T00:00:00Z/)
    // An edit re-issues it: expiresAt is set again from --expires.
    expect((await cli(['manifest', 'promote', 'blue', '--file', file, '--expires', '1d'])).code).toBe(0)
    expect((await cli(['manifest', 'validate', '--file', file])).code).toBe(0)
  })

  it('prints roles, revision and states as one JSON document with --json', async () => {
    expect((await cli(['manifest', 'init', '--file', file])).code).toBe(0)
    const result = await cli(['manifest', 'validate', '--file', file, '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({
      valid: true,
      revision: 1,
      roles: { production: 'green', staging: 'blue' },
      environments: { green: { state: 'serving', roles: ['production'] }, blue: { state: 'serving' } },
      signature: { status: 'unsigned' },
    })
  })
})
