/**
 * The package in real apps: packs it, installs the tarball beside every mainstream bundler, builds one
 * small app per bundler (test/consumers/<bundler>/ + shared/), without Red5's SDK installed and with it,
 * and checks what a web developer would notice: the build succeeds with no warning, what loads up front
 * for `import { createClient }` fits the budget, and (webpack, Next.js) the built page publishes real media
 * in Chromium against the emulator with `driver: 'auto'`.
 *
 * The bundlers' install (about 520 MB) is cached under ~/.cache/red5pro-bluegreen/ (or
 * $RED5PRO_BLUEGREEN_CONSUMER_CACHE), keyed by their pinned versions: the first run installs them (about a
 * minute), later runs reuse them.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'

import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startEmulator } from '../../src/emulator'
import { launchChromium, newContext } from '../e2e/helpers/browser'
import { serveFolder } from '../helpers/staticSite'

const run = promisify(execFile)
const root = resolve(__dirname, '../..')
const here = __dirname

/** What a web developer installs beside us (versions proven on Node 20: knowledge/toolchain.md). */
const BUNDLERS: Record<string, string> = {
  vite: '8.4.0',
  webpack: '5.113.0',
  'webpack-cli': '6.0.1',
  next: '16.4.6',
  react: '19.3.1',
  'react-dom': '19.3.1',
  parcel: '2.16.4',
  rollup: '4.68.8',
  '@rollup/plugin-node-resolve': '16.0.3',
  '@rollup/plugin-commonjs': '29.0.3',
  '@rollup/plugin-terser': '1.0.2',
  esbuild: '0.28.2',
}
/** DESIGN 1: what a browser app loads up front for `import { createClient }`, gzip. */
const BUDGET_BYTES = 12 * 1024

const cache =
  process.env.RED5PRO_BLUEGREEN_CONSUMER_CACHE ??
  join(
    homedir(),
    '.cache',
    'red5pro-bluegreen',
    `consumers-${createHash('sha256').update(JSON.stringify(BUNDLERS)).digest('hex').slice(0, 12)}`,
  )

interface App {
  /** Row name. */
  readonly name: string
  /** Folder under test/consumers/ with the bundler's own files. */
  readonly folder: string
  /** Builds the app in `dir`; resolves with everything the bundler printed. */
  build(dir: string): Promise<string>
  /** The files a browser loads before the app's code runs, for size.js (the createClient-only entry). */
  upFront(dir: string): string[]
  /** The folder to serve and the page to open, for the apps loaded in Chromium. */
  readonly page?: { dir: string; path: string } | undefined
  /** False when the bundler puts every import() into the entry file (no lazy loading possible). */
  readonly splits?: boolean
}

/** Code only the drivers (or Red5's SDK) contain: none of it may load before the first session. */
const DRIVER_CODE = /trickle-ice-sdpfrag|_whipHelper|getPeerConnection|setView/

const bin = (name: string): string => join(cache, 'node_modules', '.bin', name)

async function exec(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', NEXT_TELEMETRY_DISABLED: '1', ...env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
    })
    return `${stdout}\n${stderr}`
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`)
  }
}

/** Static ESM imports of a built file (minified or not), resolved to files; `import()` is left out. */
function staticImports(file: string): string[] {
  const code = readFileSync(file, 'utf8')
  const found: string[] = []
  const pattern = /(?:^|[;\s}])(?:import|export)\s*(?:[\w$*{}\s,]*?\s*from\s*)?["'](\.{1,2}\/[^"']+)["']/g
  for (const match of code.matchAll(pattern)) {
    found.push(resolve(dirname(file), match[1]!))
  }
  return found
}

/** `entry` and every file it imports statically, transitively. */
function closure(entry: string): string[] {
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file) || !existsSync(file)) {
      return
    }
    seen.add(file)
    staticImports(file).forEach(visit)
  }
  visit(entry)
  return [...seen]
}

function filesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
}

/** The one output file whose name starts with `prefix` and ends with `.js`. */
function output(dir: string, prefix: string): string {
  const matches = filesIn(dir).filter((f) => relative(dir, f).startsWith(prefix) && f.endsWith('.js'))
  if (matches.length !== 1) {
    throw new Error(`expected one ${prefix}*.js in ${dir}, found ${matches.join(', ') || 'none'}`)
  }
  return matches[0]!
}

/** Next.js: the scripts the exported page loads, among them the chunks that carry this package. */
function nextUpFront(out: string): string[] {
  const html = readFileSync(join(out, 'index.html'), 'utf8')
  const scripts = [...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g)].map((m) => join(out, m[1]!))
  return scripts.filter((file) => readFileSync(file, 'utf8').includes('red5pro-bluegreen'))
}

const esbuildApp = (splitting: boolean): App => ({
  name: `esbuild ${splitting ? '--splitting' : 'no splitting'}`,
  folder: 'esbuild',
  splits: splitting,
  build: (dir) =>
    exec(
      bin('esbuild'),
      [
        'main.js',
        'size.js',
        '--bundle',
        '--minify',
        '--format=esm',
        '--outdir=dist',
        '--log-level=warning',
        ...(splitting ? ['--splitting'] : []),
      ],
      dir,
    ),
  upFront: (dir) => closure(join(dir, 'dist', 'size.js')),
})

const APPS: App[] = [
  {
    name: 'Vite',
    splits: true,
    folder: 'vite',
    build: (dir) => exec(bin('vite'), ['build'], dir),
    upFront: (dir) => closure(output(join(dir, 'dist'), 'assets/size-')),
  },
  {
    name: 'webpack',
    splits: true,
    folder: 'webpack',
    build: (dir) => exec(bin('webpack'), ['--config', 'webpack.config.cjs'], dir),
    upFront: (dir) => [join(dir, 'dist', 'size.js')],
    page: { dir: 'dist', path: '/index.html' },
  },
  {
    name: 'Next.js (Turbopack)',
    splits: true,
    folder: 'next',
    build: (dir) => exec(bin('next'), ['build'], dir),
    upFront: (dir) => nextUpFront(join(dir, 'out')),
    page: { dir: 'out', path: '/index.html' },
  },
  {
    name: 'Next.js (--webpack)',
    splits: true,
    folder: 'next',
    build: (dir) => exec(bin('next'), ['build', '--webpack'], dir),
    upFront: (dir) => nextUpFront(join(dir, 'out')),
    page: { dir: 'out', path: '/index.html' },
  },
  {
    name: 'Parcel',
    splits: true,
    folder: 'parcel',
    build: (dir) =>
      exec(
        bin('parcel'),
        [
          'build',
          'index.html',
          'size.js',
          '--dist-dir',
          'dist',
          '--no-autoinstall',
          '--no-source-maps',
          '--no-cache',
        ],
        dir,
      ),
    upFront: (dir) => closure(output(join(dir, 'dist'), 'size')),
  },
  {
    name: 'Rollup',
    splits: true,
    folder: 'rollup',
    build: (dir) => exec(bin('rollup'), ['-c', 'rollup.config.mjs', '--silent'], dir),
    upFront: (dir) => closure(join(dir, 'dist', 'size.js')),
  },
  esbuildApp(false),
  esbuildApp(true),
]

/** This package, packed by `npm pack` (fresh every run). */
let tarball = ''

/** Installs the bundlers once per version set, then this package's tarball (fresh every run). */
async function prepare(): Promise<void> {
  mkdirSync(cache, { recursive: true })
  const marker = join(cache, 'node_modules', '.bundlers-installed')
  if (!existsSync(marker)) {
    writeFileSync(
      join(cache, 'package.json'),
      JSON.stringify({ name: 'consumers', private: true, dependencies: BUNDLERS }, null, 2),
    )
    await exec('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], cache)
    writeFileSync(marker, '')
  }
  const packed = join(cache, 'packed')
  rmSync(packed, { recursive: true, force: true })
  mkdirSync(packed)
  // The end-to-end tests rebuild dist/demo WITH Red5's SDK for their own page; what is packed must be the
  // publishable one (npm run build's, without it: Red5's licence forbids shipping the SDK).
  await exec(process.execPath, ['examples/demo/build.mjs', '--no-red5pro-sdk'], root)
  const out = await exec('npm', ['pack', '--silent', '--pack-destination', packed], root)
  tarball = join(packed, out.trim().split('\n').filter(Boolean).at(0)!.trim())
  await exec('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', tarball], cache)
  // The with-SDK apps live one level down, beside their own node_modules holding Red5's SDK.
  const sdk = join(cache, 'with-sdk', 'node_modules', 'red5pro-webrtc-sdk')
  rmSync(sdk, { recursive: true, force: true })
  cpSync(join(root, 'node_modules', 'red5pro-webrtc-sdk'), sdk, { recursive: true })
}

/** Copies the app into a fresh folder under the cache (so it resolves the installed packages). */
function appDir(app: App, withSdk: boolean): string {
  const dir = join(cache, withSdk ? 'with-sdk' : 'apps', app.name.replace(/[^a-z0-9]+/gi, '-'))
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  cpSync(join(here, app.folder), dir, { recursive: true })
  for (const file of ['app.js', 'main.js', 'size.js']) {
    cpSync(join(here, 'shared', file), join(dir, file))
  }
  cpSync(join(here, 'shared', withSdk ? 'with-sdk.js' : 'without-sdk.js'), join(dir, 'variant.js'))
  if (app.folder === 'webpack') {
    mkdirSync(join(dir, 'dist'), { recursive: true })
  }
  return dir
}

/** Build output lines a developer would have to act on. */
function warnings(output: string): string[] {
  return output.split('\n').filter((line) => /\b(warn(ing)?|error)\b/i.test(line))
}

const serve = serveFolder

interface Row {
  app: string
  withoutSdk?: string
  withSdk?: string
  upFrontGzip?: string
  page?: string
}
const rows = new Map<string, Row>()
const row = (app: App): Row => {
  const found = rows.get(app.name) ?? { app: app.name }
  rows.set(app.name, found)
  return found
}

let browser: Browser | undefined

beforeAll(async () => {
  if (!existsSync(join(root, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).')
  }
  await prepare()
}, 600_000)

afterAll(async () => {
  await browser?.close()
  console.table([...rows.values()])
})

describe.each(APPS)('$name', (app) => {
  it('builds without the Red5 SDK installed, with no warning; createClient up front fits 12 kB gzip', async () => {
    const dir = appDir(app, false)
    const printed = await app.build(dir)
    expect(warnings(printed)).toEqual([])
    row(app).withoutSdk = 'builds'

    const files = app.upFront(dir)
    expect(files.length).toBeGreaterThan(0)
    const bytes = files.reduce((sum, file) => sum + gzipSync(readFileSync(file)).length, 0)
    row(app).upFrontGzip =
      `${(bytes / 1024).toFixed(1)} kB (${files.length} file${files.length > 1 ? 's' : ''})`
    if (!app.splits) {
      // esbuild without --splitting inlines every import() into the one file (the app's own choice): the
      // whole package is up front there, and no library can change that. Reported, not held to the budget.
      return
    }
    expect(bytes).toBeLessThanOrEqual(BUDGET_BYTES)
    // Nothing of the drivers or of Red5's SDK is loaded before the first session.
    for (const file of files) {
      expect(readFileSync(file, 'utf8')).not.toMatch(DRIVER_CODE)
    }
  })

  it('builds with Red5 SDK installed and given to the client, the SDK in a lazy chunk', async () => {
    const dir = appDir(app, true)
    const printed = await app.build(dir)
    expect(warnings(printed)).toEqual([])
    row(app).withSdk = 'builds'
    const all = filesIn(dir).filter(
      (f) => f.endsWith('.js') && !f.includes('node_modules') && !f.includes('.next'),
    )
    expect(all.some((f) => readFileSync(f, 'utf8').includes('red5prosdk'))).toBe(true)
  })

  it.runIf(app.page !== undefined)(
    'the built page publishes real media against the emulator with driver auto (no SDK: whipDriver)',
    async () => {
      const dir = appDir(app, false)
      await app.build(dir)
      if (app.folder === 'webpack') {
        writeFileSync(
          join(dir, 'dist', 'index.html'),
          '<!doctype html><html><head><meta charset="utf-8"></head><body><script src="main.js"></script></body></html>',
        )
      }
      browser ??= await launchChromium()
      const emu = await startEmulator({ ttl: 1, logger: false })
      const site = await serve(join(dir, app.page!.dir))
      const context = await newContext(browser)
      try {
        const page = await context.newPage()
        const errors: string[] = []
        page.on('pageerror', (error) => errors.push(error.message))
        await page.goto(`${site.url}${app.page!.path}?discovery=${encodeURIComponent(emu.discoveryUrl)}`)
        const result = await page.waitForFunction(
          () =>
            (globalThis as { __consumer?: { state: string } }).__consumer?.state !== undefined &&
            (globalThis as { __consumer?: { state: string } }).__consumer?.state !== 'idle'
              ? (globalThis as { __consumer?: unknown }).__consumer
              : undefined,
          undefined,
          { timeout: 30_000 },
        )
        const value = (await result.jsonValue()) as { state: string; environment?: string; logs?: string[] }
        expect(errors).toEqual([])
        expect(value).toMatchObject({ state: 'live', environment: 'green' })
        expect(value.logs?.join('\n')).toContain('using whipDriver')
        expect(emu.state().environments.green).toMatchObject({ publishers: 1 })
        row(app).page = 'publishes (whipDriver)'
      } finally {
        await context.close()
        await site.close()
        await emu.close()
      }
    },
  )
})

/** Size on disk of a folder, in bytes. */
function du(dir: string): number {
  return filesIn(dir).reduce((sum, file) => sum + statSync(file).size, 0)
}

describe('the packed package', () => {
  it("a browser app's install carries only what a browser app needs (no werift, commander or picocolors)", async () => {
    const app = join(cache, 'lean')
    rmSync(app, { recursive: true, force: true })
    mkdirSync(app, { recursive: true })
    writeFileSync(join(app, 'package.json'), '{ "name": "lean", "private": true }')
    await exec(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball],
      app,
    )
    const installed = readdirSync(join(app, 'node_modules')).filter((name) => !name.startsWith('.'))
    for (const nodeOnly of ['werift', 'commander', 'picocolors']) {
      expect(installed).not.toContain(nodeOnly)
    }
    // None of Red5's SDK is shipped (its licence forbids it): 11-14 define RTCConferenceParticipant.
    const shipped = filesIn(join(app, 'node_modules', 'red5pro-bluegreen'))
    expect(shipped.filter((file) => readFileSync(file, 'utf8').includes('RTCConferenceParticipant'))).toEqual(
      [],
    )
    const megabytes = du(join(app, 'node_modules')) / 2 ** 20
    console.log(
      `[consumers] npm install red5pro-bluegreen: ${installed.length} top-level entries, ${megabytes.toFixed(1)} MB`,
    )
    expect(megabytes).toBeLessThan(7)
  })

  it('the emulator and its demo page run from the tarball with one documented command (+ werift)', async () => {
    const app = join(cache, 'tools')
    rmSync(app, { recursive: true, force: true })
    mkdirSync(app, { recursive: true })
    writeFileSync(join(app, 'package.json'), '{ "name": "tools", "private": true }')
    // docs/emulator.md: npm install --save-dev red5pro-bluegreen werift@0.24.4
    await exec(
      'npm',
      [
        'install',
        '--save-dev',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
        tarball,
        'werift@0.24.4',
      ],
      app,
    )
    const { spawn } = await import('node:child_process')
    const child = spawn(join(app, 'node_modules', '.bin', 'red5pro-bluegreen'), ['dev', '--port', '0'], {
      cwd: app,
      env: { ...process.env, NO_COLOR: '1' },
    })
    try {
      const demoUrl = await new Promise<string>((found, failed) => {
        let printed = ''
        const timer = setTimeout(() => failed(new Error(`dev printed no demo URL:\n${printed}`)), 30_000)
        child.stdout.on('data', (chunk: Buffer) => {
          printed += chunk.toString()
          const match = /demo\s+(http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(printed)
          if (match) {
            clearTimeout(timer)
            found(match[1]!)
          }
        })
        child.on('exit', (code) => failed(new Error(`dev exited with ${code}:\n${printed}`)))
      })
      const page = await fetch(demoUrl)
      expect(page.status).toBe(200)
      const html = await page.text()
      const script = /<script type="module" src="([^"]+)"/.exec(html)?.[1]
      expect(script).toBe('/dist/demo/demo.js')
      const js = await fetch(new URL(script!, demoUrl))
      expect(js.status).toBe(200)
      expect(await js.text()).toContain('createClient')
    } finally {
      child.kill('SIGINT')
    }
  })
})
