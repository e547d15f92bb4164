/**
 * Every bad-input case ends the same way: one line on stderr that says what to do, the documented exit
 * code, no stack trace unless --debug. And colour only where it belongs.
 */
import { mkdirSync, writeFileSync } from 'node:fs'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { cli, ensureCliBuilt, hasAnsi, tempDir } from './helpers'

let tmp: ReturnType<typeof tempDir>
beforeAll(async () => {
  await ensureCliBuilt()
  tmp = tempDir()
  expect((await cli(['manifest', 'init', '--file', tmp.path('good.json')])).code).toBe(0)
  writeFileSync(tmp.path('invalid.json'), JSON.stringify({ manifestVersion: 2, revision: 1 }))
  writeFileSync(tmp.path('garbage.key'), 'not a key\n')
  mkdirSync(tmp.path('a-directory.key'))
}, 120_000)
afterAll(() => tmp?.cleanup())

const STACK = /^\s+at /m

describe('bad usage and input: exit 2, one line on stderr, no stack trace', () => {
  const cases: [string, () => string[], RegExp][] = [
    [
      'an unknown flag',
      () => ['manifest', 'promote', 'blue', '--file', tmp.path('good.json'), '--bogus'],
      /unknown option '--bogus'.*red5pro-bluegreen manifest promote --help/,
    ],
    ['an unknown command', () => ['frobnicate'], /unknown command 'frobnicate'.*red5pro-bluegreen --help/],
    [
      'a missing argument',
      () => ['manifest', 'drain', '--file', tmp.path('good.json')],
      /missing required argument 'env'/,
    ],
    [
      'a missing required option',
      () => ['manifest', 'validate'],
      /required option '--file <file>' not specified/,
    ],
    [
      'a missing manifest file',
      () => ['manifest', 'promote', 'blue', '--file', tmp.path('nope.json')],
      /cannot read manifest file .*nope\.json \(no such file\); check the path/,
    ],
    [
      'a missing key file',
      () => ['sign', '--file', tmp.path('good.json'), '--key', tmp.path('nope.key')],
      /cannot read key file .*nope\.key \(no such file\)/,
    ],
    [
      'an unreadable key file (a directory)',
      () => ['sign', '--file', tmp.path('good.json'), '--key', tmp.path('a-directory.key')],
      /cannot read key file .*it is a directory/,
    ],
    [
      'a key file that is not a key',
      () => ['sign', '--file', tmp.path('good.json'), '--key', tmp.path('garbage.key')],
      /garbage\.key is not an Ed25519 private key.*keygen/,
    ],
    [
      'a public key that is neither a file nor a key',
      () => ['verify', '--file', tmp.path('good.json'), '--pub', 'not-a-key'],
      /"not-a-key" is neither a readable public key file nor an Ed25519 public key/,
    ],
    [
      'an invalid manifest given to an editing command',
      () => ['manifest', 'promote', 'blue', '--file', tmp.path('invalid.json')],
      /is not a valid manifest \(MANIFEST_INVALID\) at \$\.manifestVersion/,
    ],
    [
      'a bad duration',
      () => ['manifest', 'drain', 'blue', '--file', tmp.path('good.json'), '--drain', 'forever'],
      /--drain <duration>.*use a duration such as 90s, 30m or 2h\. Run/,
    ],
    [
      'dev with a latency over 10 s',
      () => ['dev', '--latency', '10001'],
      /--latency 10001 is more than 10000 ms/,
    ],
    [
      'dev with a latency that is not a number',
      () => ['dev', '--latency', 'fast'],
      /--latency <ms>.*whole number/,
    ],
    [
      'dev with production as its own backup',
      () => ['dev', '--failover', 'green'],
      /--failover green: the backup must be .*--failover blue/,
    ],
    [
      'a threshold above the number of keys',
      () => [
        'verify',
        '--file',
        tmp.path('good.json'),
        '--pub',
        'ops=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=', // RFC 8032 test 1
        '--threshold',
        '2',
      ],
      /--threshold is 2 but only 1 key/,
    ],
    [
      'conflicting --publish and --subscribe',
      () => ['resolve', 's1', '--discovery', 'http://127.0.0.1:9/d.json', '--publish', '--subscribe'],
      /cannot be used with/,
    ],
    [
      'a discovery value that is not a URL',
      () => ['status', '--discovery', 'not a url'],
      /--discovery <url>.*absolute URL/,
    ],
  ]
  for (const [what, args, message] of cases) {
    it(`${what}`, async () => {
      const result = await cli(args())
      expect(result.code).toBe(2)
      expect(result.stdout).toBe('')
      const lines = result.stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/^error: /)
      expect(lines[0]).toMatch(message)
      expect(result.stderr).not.toMatch(STACK)
    })
  }
})

describe('--debug', () => {
  it('adds the stack trace after the one-line message, and only then', async () => {
    const args = ['manifest', 'promote', 'blue', '--file', tmp.path('invalid.json')]
    const plain = await cli(args)
    const debug = await cli([...args, '--debug'])
    expect(debug.code).toBe(plain.code)
    expect(debug.stderr.split('\n')[0]).toBe(plain.stderr.split('\n')[0])
    expect(plain.stderr).not.toMatch(STACK)
    expect(debug.stderr).toMatch(STACK)
    expect(debug.stderr).toMatch(/caused by:[\s\S]*BlueGreenError/)
  })
})

describe('help and version', () => {
  it('prints help on stdout with exit 0, and the version', async () => {
    const help = await cli(['manifest', 'promote', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/Usage: red5pro-bluegreen manifest promote \[options\] <env>/)
    expect(help.stdout).toMatch(/--drain <duration>/)
    const version = await cli(['--version'])
    expect(version.code).toBe(0)
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('exits 2 with usage on stderr when no command is given', async () => {
    const result = await cli([])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/Usage: red5pro-bluegreen/)
  })
})

describe('colour', () => {
  const args = (): string[] => ['manifest', 'validate', '--file', tmp.path('good.json')]

  it('is off when output is not a terminal', async () => {
    const result = await cli(args())
    expect(result.code).toBe(0)
    expect(hasAnsi(result.stdout)).toBe(false)
  })

  it('is on with FORCE_COLOR, and NO_COLOR or --no-color win over it', async () => {
    expect(hasAnsi((await cli(args(), { env: { FORCE_COLOR: '1' } })).stdout)).toBe(true)
    expect(hasAnsi((await cli(args(), { env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout)).toBe(false)
    expect(hasAnsi((await cli([...args(), '--no-color'], { env: { FORCE_COLOR: '1' } })).stdout)).toBe(false)
  })
})
