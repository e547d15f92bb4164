/**
 * The examples in examples/ (web pages, React app, Node scripts), each built and run as its README line
 * says, against the emulator `npm run demo` starts, with the packed package installed as an app would.
 * Each example's own package.json is installed once into ~/.cache/red5pro-bluegreen/examples-<name>-<hash>
 * (or $RED5PRO_BLUEGREEN_EXAMPLES_CACHE), keyed by its dependencies; the tarball is fresh every run. The
 * pages run in the system Chromium (run this file under the shared browser lock).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startEmulator, type Emulator } from '../../src/emulator'
import { launchChromium, newContext } from '../e2e/helpers/browser'
import { serveFolder } from '../helpers/staticSite'

const run = promisify(execFile)
const root = resolve(__dirname, '../..')
const cacheRoot =
  process.env.RED5PRO_BLUEGREEN_EXAMPLES_CACHE ?? join(homedir(), '.cache', 'red5pro-bluegreen')

async function exec(command: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
    })
    return `${stdout}\n${stderr}`
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`)
  }
}

let tarball = ''

/** The example's folder in the cache: its dependencies installed once, its files and the tarball fresh. */
async function install(name: string, source = join(root, 'examples', name)): Promise<string> {
  const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>
    devDependencies?: Record<string, string>
  }
  const deps = { ...manifest.dependencies }
  delete deps['red5pro-bluegreen']
  const hash = createHash('sha256')
    .update(JSON.stringify([deps, manifest.devDependencies]))
    .digest('hex')
    .slice(0, 12)
  const dir = join(cacheRoot, `examples-${name}-${hash}`)
  mkdirSync(dir, { recursive: true })
  const marker = join(dir, 'node_modules', '.example-installed')
  if (!existsSync(marker)) {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...manifest, dependencies: deps }, null, 2))
    await exec('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir)
    writeFileSync(marker, '')
  }
  await exec('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', tarball], dir)
  cpSync(source, dir, {
    recursive: true,
    filter: (path) =>
      !path.includes('node_modules') && !path.endsWith('package.json') && !path.includes('dist'),
  })
  return dir
}

/** Frames the page's <video> (the `index`-th) has presented, counted over `ms`. */
function framesIn(page: Page, selector: string, ms: number): Promise<number> {
  return page.evaluate(
    ([sel, duration]) =>
      new Promise<number>((done) => {
        const video = document.querySelector(sel) as HTMLVideoElement
        let count = 0
        const tick = (): void => {
          count += 1
          video.requestVideoFrameCallback(tick)
        }
        video.requestVideoFrameCallback(tick)
        setTimeout(() => done(count), duration)
      }),
    [selector, ms] as const,
  )
}

function streamOn(emu: Emulator, stream: string): { publishers: number; subscribers: number } {
  const state = emu.state()
  const green = state.environments.green
  return green.streams.includes(`live/${stream}`) || green.publishers + green.subscribers > 0
    ? { publishers: green.publishers, subscribers: green.subscribers }
    : { publishers: 0, subscribers: 0 }
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) {
      return
    }
    await new Promise((done) => setTimeout(done, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

let browser: Browser | undefined

/**
 * Builds the example in `dir` with `vite build` (no warning allowed), serves its output and runs `body`
 * with a fresh browser context; page errors fail the test.
 */
async function withBuiltSite(
  dir: string,
  body: (open: (path: string) => Promise<Page>) => Promise<void>,
): Promise<void> {
  const printed = await exec(join(dir, 'node_modules', '.bin', 'vite'), ['build'], dir)
  expect(printed).not.toMatch(/\bwarn(ing)?\b|\berror\b/i)
  const site = await serveFolder(join(dir, 'dist'))
  browser ??= await launchChromium()
  const context = await newContext(browser)
  const errors: string[] = []
  try {
    await body(async (path) => {
      const page = await context.newPage()
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(`${site.url}${path}`)
      return page
    })
    expect(errors).toEqual([])
  } finally {
    await context.close()
    await site.close()
  }
}
let emu: Emulator
const children: ChildProcess[] = []

beforeAll(async () => {
  if (!existsSync(join(root, 'dist', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (`npm test` does).')
  }
  const packed = join(cacheRoot, 'examples-packed')
  rmSync(packed, { recursive: true, force: true })
  mkdirSync(packed, { recursive: true })
  const out = await exec('npm', ['pack', '--silent', '--pack-destination', packed], root)
  tarball = join(packed, out.trim().split('\n').filter(Boolean).at(0)!.trim())
  emu = await startEmulator({ ttl: 1, logger: false })
}, 600_000)

afterAll(async () => {
  for (const child of children) {
    child.kill('SIGKILL')
  }
  await browser?.close()
  await emu?.close()
})

describe('examples/web: the broadcast page and the watch page', () => {
  it('builds with `vite build`; the watch page waits for the broadcaster, then both are live and frames play; Stop closes each', async () => {
    await withBuiltSite(await install('web'), async (open) => {
      const query = `discovery=${encodeURIComponent(emu.discoveryUrl)}&autostart`
      const live = () => (window as { example?: { state: string } }).example?.state === 'live'
      const watch = await open(`/watch.html?${query}`)
      await watch.waitForFunction(() =>
        /waiting for "stream1"/.test(document.getElementById('state')!.textContent ?? ''),
      )
      const broadcast = await open(`/broadcast.html?${query}`)
      await broadcast.waitForFunction(live, undefined, { timeout: 30_000 })
      await watch.waitForFunction(live, undefined, { timeout: 30_000 })
      expect(await watch.textContent('#environment')).toBe('on green')
      expect(await framesIn(watch, '#video', 1_000)).toBeGreaterThan(5)
      expect(streamOn(emu, 'stream1')).toEqual({ publishers: 1, subscribers: 1 })

      await watch.click('#stop')
      await until(() => streamOn(emu, 'stream1').subscribers === 0, 'the viewer to leave the node')
      await broadcast.click('#stop')
      await until(() => streamOn(emu, 'stream1').publishers === 0, 'the broadcaster to leave the node')
    })
  })
})

describe('examples/react: one client per app, one session per component, StrictMode', () => {
  it('builds with `vite build`; waiting, then live with one publish and one play (no leak from the double mount); unmounting closes each session', async () => {
    await withBuiltSite(await install('react'), async (open) => {
      const page = await open(`/?discovery=${encodeURIComponent(emu.discoveryUrl)}&stream=react1`)
      await page.waitForSelector('text=waiting for the broadcaster')
      await page.click('text=Broadcast')
      await page.waitForSelector('[data-testid=broadcaster][data-state=live]', { timeout: 30_000 })
      await page.waitForSelector('[data-testid=viewer][data-state=live]', { timeout: 30_000 })
      expect(await framesIn(page, '[data-testid=viewer] video', 1_000)).toBeGreaterThan(5)
      // StrictMode ran every effect twice: the first client and sessions were closed, not leaked.
      await until(() => streamOn(emu, 'react1').subscribers === 1, 'one viewer on the node')
      expect(streamOn(emu, 'react1')).toEqual({ publishers: 1, subscribers: 1 })

      await page.click('text=Stop watching')
      await until(() => streamOn(emu, 'react1').subscribers === 0, 'the viewer to leave')
      await page.click('text=Stop broadcasting')
      await until(() => streamOn(emu, 'react1').publishers === 0, 'the broadcaster to leave')
    })
  })
})

describe('examples/node: publish.mjs and watch.mjs with werift', () => {
  it('the watcher waits, then prints about 30 frames a second of the test pattern with none missing; Ctrl-C exits 0', async () => {
    const dir = await install('node')
    const start = (script: string): { child: ChildProcess; lines: string[] } => {
      const child = spawn(process.execPath, [script, 'node1', emu.discoveryUrl], { cwd: dir })
      children.push(child)
      const lines: string[] = []
      child.stdout!.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)))
      child.stderr!.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)))
      return { child, lines }
    }
    const exited = (child: ChildProcess): Promise<number | null> =>
      new Promise((done) => child.once('exit', (code) => done(code)))

    const watcher = start('watch.mjs')
    await until(() => watcher.lines.some((line) => /not published yet/.test(line)), 'the watcher to wait')
    const publisher = start('publish.mjs')
    await until(
      () => publisher.lines.some((line) => /node1: live on green/.test(line)),
      'the publisher to go live',
    )
    await until(
      () => watcher.lines.filter((line) => line.startsWith('{')).length >= 3,
      'three statistics lines',
    )
    const stats = watcher.lines
      .filter((line) => line.startsWith('{'))
      .slice(1)
      .map((line) => JSON.parse(line) as { fps: number; missing: number; environment: string; delay: string })
    for (const line of stats) {
      expect(line.environment).toBe('green')
      expect(line.fps).toBeGreaterThanOrEqual(20)
      expect(line.missing).toBe(0)
      expect(line.delay).toMatch(/^\d+ ms$/)
    }
    const [watcherCode, publisherCode] = [exited(watcher.child), exited(publisher.child)]
    watcher.child.kill('SIGINT')
    publisher.child.kill('SIGINT')
    expect(await watcherCode).toBe(0)
    expect(await publisherCode).toBe(0)
    await until(() => streamOn(emu, 'node1').publishers === 0, 'the publisher to leave')
  })
})

describe('docs/first-stream.md, followed as written', () => {
  it("its index.html and main.js build with Vite; Watch waits, Broadcast goes live, the guide's promotion request moves both to blue", async () => {
    const guide = readFileSync(join(root, 'docs', 'first-stream.md'), 'utf8')
    const block = (file: string, lang: string): string => {
      const match = new RegExp(
        `\`${file.replace('.', '\\.')}\`:\\n\\n\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``,
      ).exec(guide)
      expect(match, `a ${lang} block after "\`${file}\`:" in first-stream.md`).not.toBeNull()
      return match![1]!
    }
    const source = join(cacheRoot, 'first-stream-source')
    rmSync(source, { recursive: true, force: true })
    mkdirSync(source, { recursive: true })
    writeFileSync(
      join(source, 'package.json'),
      JSON.stringify({ type: 'module', devDependencies: { vite: '8.4.0' } }),
    )
    writeFileSync(join(source, 'index.html'), block('index.html', 'html'))
    // The guide's cluster listens on :8080; this one on a free port.
    const main = block('main.js', 'js')
    expect(main).toContain("'http://127.0.0.1:8080/discovery.json'")
    writeFileSync(
      join(source, 'main.js'),
      main.replace('http://127.0.0.1:8080/discovery.json', emu.discoveryUrl),
    )
    const promote =
      /curl -X POST http:\/\/127\.0\.0\.1:8080(\/api\/promote) -H '([^']+)' \\\n\s+-d '([^']+)'/.exec(guide)
    expect(promote, 'the curl promotion in first-stream.md').not.toBeNull()

    await withBuiltSite(await install('first-stream', source), async (open) => {
      const page = await open('/')
      await page.click('#watch')
      await page.waitForFunction(
        () => document.getElementById('viewer')!.textContent === 'waiting for the broadcaster',
      )
      await page.click('#broadcast')
      await page.waitForFunction(
        () => document.getElementById('broadcaster')!.textContent === 'live on green',
        undefined,
        { timeout: 30_000 },
      )
      await page.waitForFunction(
        () => document.getElementById('viewer')!.textContent === 'live on green',
        undefined,
        { timeout: 30_000 },
      )
      expect(await framesIn(page, '#video', 1_000)).toBeGreaterThan(5)

      const [header, value] = promote![2]!.split(': ')
      const answer = await fetch(new URL(promote![1]!, emu.url), {
        method: 'POST',
        headers: { [header!]: value! },
        body: promote![3]!,
      })
      expect(answer.status).toBe(200)
      await page.waitForFunction(
        () => document.getElementById('broadcaster')!.textContent === 'moved green -> blue, live on blue',
        undefined,
        { timeout: 30_000 },
      )
      await page.waitForFunction(
        () => document.getElementById('viewer')!.textContent === 'moved green -> blue, live on blue',
        undefined,
        { timeout: 60_000 },
      )
      expect(await framesIn(page, '#video', 1_000)).toBeGreaterThan(5)
    })
  }, 180_000)
})
