/**
 * Real Chromium for the end-to-end tests: the system browser (never a downloaded one) with the flags
 * that make WebRTC work on a loopback-only machine, one browser per test file, a fresh context per test,
 * and a screenshot in test-results/ when a test fails.
 */
import { mkdirSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

import type { E2eApi } from '../page/harness'
import { bundleForBrowser, root, type BundleOptions } from './bundle'

/** Where Chromium lives (scripts/ensure-chromium.sh installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Flags proven on these machines (see the team's toolchain notes). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-dev-shm-usage',
]

/** test-results/e2e: screenshots of failures. */
export const RESULTS_DIR = join(root, 'test-results', 'e2e')

/** Launches the system Chromium (a fresh temporary profile, as Playwright does for `launch`). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true })
}

/** A new context that may use the (fake) camera and microphone. */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 1280, height: 900 } })
}

/** Saves a full-page screenshot under test-results/e2e/ (named after the test) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const path = join(RESULTS_DIR, `${name.replace(/[^a-z0-9-]+/gi, '-').slice(0, 120)}.png`)
  await page.screenshot({ path, fullPage: true }).catch(() => undefined)
  return path
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
}

/** The harness page (test/e2e/page) bundled with the built package and served on 127.0.0.1. */
export interface HarnessServer {
  readonly url: string
  close(): Promise<void>
}

/**
 * Bundles the harness into a private temporary directory and serves it (`red5proSdkDir`: the Red5 SDK
 * build the bundle gets, see {@link BundleOptions}).
 */
export async function startHarnessServer(options: BundleOptions = {}): Promise<HarnessServer> {
  const dir = await mkdtemp(join(tmpdir(), 'bluegreen-e2e-'))
  await bundleForBrowser({ harness: 'test/e2e/page/entry.js' }, dir, options)
  const files: Record<string, string> = {
    '/': join(root, 'test/e2e/page/index.html'),
    '/harness.js': join(dir, 'harness.js'),
    '/harness.js.map': join(dir, 'harness.js.map'),
  }
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const file = files[path]
    if (!file) {
      res.writeHead(404).end()
      return
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' })
        res.end(body)
      },
      () => res.writeHead(500).end(),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Opens the harness in `context` and waits until `window.e2e` is there. */
export async function openHarness(context: BrowserContext, harness: HarnessServer): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`))
  await page.goto(harness.url)
  await page.waitForFunction(() => 'e2e' in globalThis)
  return page
}

type Api = E2eApi
/** Calls `window.e2e[name](...args)` in the page, typed by the harness. */
export function call<K extends keyof Api>(
  page: Page,
  name: K,
  ...args: Parameters<Api[K]>
): Promise<Awaited<ReturnType<Api[K]>>> {
  return page.evaluate(
    ([method, params]) =>
      (globalThis as unknown as { e2e: Record<string, (...a: unknown[]) => unknown> }).e2e[method]!(
        ...params,
      ),
    [name, args] as [string, unknown[]],
  ) as Promise<Awaited<ReturnType<Api[K]>>>
}
