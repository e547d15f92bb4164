/**
 * The harness page the end-to-end tests drive (bundled with the built package, served on 127.0.0.1),
 * calls into it, and screenshots of failures. Browsers come from ./engines (Chromium and Firefox, the
 * system packages); `launchChromium` here is Playwright's own Chromium page API, for the consumer-app
 * tests.
 */
import { mkdirSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'

import { chromium, type Browser, type BrowserContext } from 'playwright-core'

import type { E2eApi } from '../page/harness'
import { bundleForBrowser, root, type BundleOptions } from './bundle'
import { CHROMIUM, CHROMIUM_FLAGS, type E2eContext, type E2ePage } from './engines'

export {
  ALL_ENGINES,
  CHROMIUM,
  CHROMIUM_FLAGS,
  FIREFOX,
  launchBrowser,
  type E2eBrowser,
  type E2eContext,
  type E2ePage,
  type Engine,
} from './engines'

/** test-results/e2e: screenshots of failures. */
export const RESULTS_DIR = join(root, 'test-results', 'e2e')

/**
 * Launches the system Chromium through Playwright itself, for tests that need Playwright's own page API
 * (the consumer-app tests). The e2e suites use {@link launchBrowser} from ./engines instead.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true })
}

/** A Playwright context that may use the (fake) camera and microphone. */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ permissions: ['camera', 'microphone'], viewport: { width: 1280, height: 900 } })
}

/** Saves a full-page screenshot under test-results/e2e/ (named after the test) and returns its path. */
export async function screenshot(page: E2ePage, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const path = join(RESULTS_DIR, `${page.engine}-${name.replace(/[^a-z0-9-]+/gi, '-').slice(0, 110)}.png`)
  await page.screenshot(path).catch(() => undefined)
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
export async function openHarness(context: E2eContext, harness: HarnessServer): Promise<E2ePage> {
  const page = await context.newPage()
  page.onPageError((message) => console.error(`[page error ${page.engine}] ${message}`))
  await page.goto(harness.url)
  await page.waitForFunction(() => 'e2e' in globalThis)
  return page
}

type Api = E2eApi
/** Calls `window.e2e[name](...args)` in the page, typed by the harness. */
export function call<K extends keyof Api>(
  page: E2ePage,
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
