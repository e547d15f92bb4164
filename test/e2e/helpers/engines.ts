/**
 * One door to every browser engine the end-to-end tests run in: Debian's Chromium (driven by
 * playwright-core over CDP) and Debian's Firefox ESR (driven by puppeteer-core 24 over WebDriver BiDi;
 * Playwright's Firefox is a patched build we may not download). Tests see one small page API,
 * {@link E2ePage}, whatever the engine, so each test is written once and runs per engine.
 *
 * Both browsers are system packages (scripts/ensure-chromium.sh, scripts/ensure-firefox.sh); nothing here
 * downloads a browser.
 */
import {
  chromium,
  type Browser as PwBrowser,
  type BrowserContext as PwContext,
  type Page as PwPage,
} from 'playwright-core'
import puppeteer, { type BrowserContext as PpContext, type Page as PpPage } from 'puppeteer-core'

/** A browser engine the e2e tests run in. */
export type Engine = 'chromium' | 'firefox'

/** Every engine, in the order the suites run. */
export const ALL_ENGINES: readonly Engine[] = ['chromium', 'firefox']

/** Where Chromium lives (scripts/ensure-chromium.sh installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Where Firefox lives (scripts/ensure-firefox.sh installs Debian's firefox-esr). */
export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr'

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

/**
 * Firefox preferences for real WebRTC on a loopback-only machine (knowledge/browsers.md): a fake 640x480
 * camera and microphone without a prompt; camera and microphone *permissions* granted by preference,
 * without which Firefox gathers only the default route's address (none when only `lo` exists); loopback
 * candidates allowed and not hidden behind mDNS; a start bitrate high enough for 640x480 at once; autoplay.
 */
export const FIREFOX_PREFS: Readonly<Record<string, unknown>> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'permissions.default.camera': 1,
  'permissions.default.microphone': 1,
  'media.autoplay.default': 0,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.peerconnection.video.min_bitrate_estimate': 2_000_000,
}

/** The page API the e2e tests use, the same in every engine (a subset of Playwright's `Page`). */
export interface E2ePage {
  /** The engine this page runs in. */
  readonly engine: Engine
  /** Loads `url` and waits for its load event. */
  goto(url: string): Promise<void>
  /** Runs `fn(arg)` in the page (`fn` is serialised: no closures) and answers its result. */
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>
  /** Waits until `fn()` is truthy in the page. */
  waitForFunction(fn: () => unknown, timeoutMs?: number): Promise<void>
  /** Waits until an element matches `selector`. */
  waitForSelector(selector: string, timeoutMs?: number): Promise<void>
  /** The text of the first element matching `selector` (waits for it). */
  textContent(selector: string): Promise<string | null>
  /** Clicks the first element matching `selector` (waits for it). */
  click(selector: string): Promise<void>
  /** Selects `value` in the `<select>` matching `selector`. */
  selectOption(selector: string, value: string): Promise<void>
  /** Runs `fn` over every element matching `selector` and answers its result. */
  $$eval<R>(selector: string, fn: (elements: Element[]) => R): Promise<R>
  /** A full-page PNG at `path`. */
  screenshot(path: string): Promise<void>
  /** Calls `listener` with the message of every uncaught error in the page. */
  onPageError(listener: (message: string) => void): void
}

/** An isolated browser context (its own storage), in which pages open. */
export interface E2eContext {
  /** A new page (tab) in this context. */
  newPage(): Promise<E2ePage>
  /** Closes the context and its pages. */
  close(): Promise<void>
}

/** A running browser of one engine. */
export interface E2eBrowser {
  readonly engine: Engine
  /** What the browser says it is, e.g. `Chromium 142.0...` or `Firefox 153.8.0esr`. */
  readonly version: string
  /** A fresh context that may use the (fake) camera and microphone. */
  newContext(): Promise<E2eContext>
  /** Closes the browser (and removes its temporary profile). */
  close(): Promise<void>
}

const VIEWPORT = { width: 1280, height: 900 }

function playwrightPage(page: PwPage): E2ePage {
  return {
    engine: 'chromium',
    goto: async (url) => {
      await page.goto(url)
    },
    evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
    waitForFunction: async (fn, timeoutMs = 30_000) => {
      await page.waitForFunction(fn, undefined, { timeout: timeoutMs })
    },
    waitForSelector: async (selector, timeoutMs = 30_000) => {
      await page.waitForSelector(selector, { timeout: timeoutMs })
    },
    textContent: (selector) => page.textContent(selector),
    click: (selector) => page.click(selector),
    selectOption: async (selector, value) => {
      await page.selectOption(selector, value)
    },
    $$eval: (selector, fn) => page.$$eval(selector, fn as never) as never,
    screenshot: async (path) => {
      await page.screenshot({ path, fullPage: true })
    },
    onPageError: (listener) => page.on('pageerror', (error) => listener(error.message)),
  }
}

function puppeteerPage(page: PpPage): E2ePage {
  const element = async (selector: string) => {
    const found = await page.waitForSelector(selector, { timeout: 30_000 })
    if (found === null) {
      throw new Error(`no element matches ${selector}`)
    }
    return found
  }
  return {
    engine: 'firefox',
    goto: async (url) => {
      await page.goto(url)
    },
    evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
    waitForFunction: async (fn, timeoutMs = 30_000) => {
      await page.waitForFunction(fn, { timeout: timeoutMs, polling: 100 })
    },
    waitForSelector: async (selector, timeoutMs = 30_000) => {
      await page.waitForSelector(selector, { timeout: timeoutMs })
    },
    textContent: async (selector) => (await element(selector)).evaluate((node) => node.textContent),
    click: async (selector) => {
      await (await element(selector)).click()
    },
    selectOption: async (selector, value) => {
      await element(selector)
      await page.select(selector, value)
    },
    $$eval: (selector, fn) => page.$$eval(selector, fn as never) as never,
    screenshot: async (path) => {
      await page.screenshot({ path: path as `${string}.png`, fullPage: true })
    },
    onPageError: (listener) =>
      page.on('pageerror', (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error)
        // Firefox reports a request the network refused (a Stream Manager a test killed) through the same
        // BiDi log as uncaught errors; Chromium reports it as a console message. Neither is a page error.
        if (!message.startsWith('Cross-Origin Request Blocked')) {
          listener(message)
        }
      }),
  }
}

async function launchChromiumEngine(): Promise<E2eBrowser> {
  return fromPlaywright(
    await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true }),
  )
}

/**
 * An {@link E2eBrowser} over a Chromium that Playwright launched (for files that launch their own with
 * `launchChromium()` from ./browser); an `E2eBrowser` is returned as it is.
 */
export function asE2eBrowser(browser: E2eBrowser | PwBrowser): E2eBrowser {
  return 'engine' in browser ? browser : fromPlaywright(browser)
}

function fromPlaywright(browser: PwBrowser): E2eBrowser {
  return {
    engine: 'chromium',
    version: `Chromium ${browser.version()}`,
    newContext: async () => {
      const context: PwContext = await browser.newContext({
        permissions: ['camera', 'microphone'],
        viewport: VIEWPORT,
      })
      return { newPage: async () => playwrightPage(await context.newPage()), close: () => context.close() }
    },
    close: () => browser.close(),
  }
}

async function launchFirefoxEngine(): Promise<E2eBrowser> {
  // puppeteer makes (and removes on close) a temporary profile holding these preferences.
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    extraPrefsFirefox: { ...FIREFOX_PREFS },
    defaultViewport: VIEWPORT,
  })
  return {
    engine: 'firefox',
    version: (await browser.version()).replace('/', ' '),
    newContext: async () => {
      const context: PpContext = await browser.createBrowserContext()
      return {
        newPage: async () => {
          const page = await context.newPage()
          await page.setViewport(VIEWPORT)
          return puppeteerPage(page)
        },
        close: () => context.close(),
      }
    },
    close: () => browser.close(),
  }
}

/** Launches the system browser of `engine` (headless, the flags or preferences real WebRTC needs here). */
export function launchBrowser(engine: Engine): Promise<E2eBrowser> {
  return engine === 'chromium' ? launchChromiumEngine() : launchFirefoxEngine()
}
