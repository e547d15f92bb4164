/**
 * Helpers for the CLI tests: they run the BUILT binary as a child process (`node <binary> ...`), as a
 * user would, never the TypeScript sources.
 *
 * Which binary: `RED5PRO_BLUEGREEN_CLI` when set (e.g. `dist/cli/index.js` right after
 * `npm run build`); otherwise tsup builds the CLI entry of tsup.config.ts (`src/cli/index.ts`, ESM,
 * as package.json `bin` ships it) into a private directory under `node_modules/.cache`, named by a hash of the
 * sources. Not `dist/`: other engineers' full builds clean `dist/` at any moment, and a rebuild
 * while another test file is running its binary would pull it from under that file. A private
 * directory is written once (built aside, then renamed into place) and never changed again.
 *
 * Coverage: with `CLI_COVERAGE_DIR` set (`npm run coverage:cli`), every run of the binary writes V8
 * coverage there; the build carries source maps, so c8 reports it against `src/cli`.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import type { Options } from 'tsup'

import { startHttpServer } from '../../src/emulator/http'
import { scopedLogger } from '../../src/environment'
import { closedPort } from '../helpers/streamManagerServer'

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const CACHE = join(ROOT, 'node_modules/.cache/red5pro-bluegreen-cli')

let binary: string | undefined

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) {
        return sources(path)
      }
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
    })
    .sort()
}

function sourceHash(): string {
  const hash = createHash('sha256')
  // Bump when the build command changes (v3: the CLI entry of tsup.config.ts, source maps included).
  hash.update('build-v3\0')
  hash.update(readFileSync(join(ROOT, 'tsup.config.ts')))
  for (const path of [...sources(join(ROOT, 'src')), join(ROOT, 'package.json')]) {
    hash.update(path).update('\0').update(readFileSync(path)).update('\0')
  }
  return hash.digest('hex').slice(0, 16)
}

/** Builds the CLI (when no build of the current sources exists) and returns the binary's path. */
export async function ensureCliBuilt(): Promise<string> {
  if (binary !== undefined) {
    return binary
  }
  const given = process.env.RED5PRO_BLUEGREEN_CLI
  if (given) {
    binary = resolve(ROOT, given)
    return binary
  }
  const target = join(CACHE, sourceHash())
  if (!statSync(join(target, 'index.js'), { throwIfNoEntry: false })) {
    mkdirSync(CACHE, { recursive: true })
    // Builds of sources older than an hour are left over from earlier runs.
    for (const old of readdirSync(CACHE)) {
      const path = join(CACHE, old)
      if (Date.now() - statSync(path).mtimeMs > 3_600_000) {
        rmSync(path, { recursive: true, force: true })
      }
    }
    const aside = mkdtempSync(join(CACHE, 'build-'))
    try {
      // The CLI's own entry of tsup.config.ts (commander bundled, a `require` banner), into `aside`.
      const [{ build }, { default: configs }] = await Promise.all([
        import('tsup'),
        import('../../tsup.config'),
      ])
      const cliBuild = ([configs].flat() as Options[]).find((options) => options.outDir === 'dist/cli')
      if (!cliBuild) {
        throw new Error('tsup.config.ts has no build with outDir dist/cli')
      }
      await build({ ...cliBuild, outDir: aside, clean: false, silent: true, config: false })
      renameSync(aside, target)
    } catch (error) {
      rmSync(aside, { recursive: true, force: true })
      // Another test file built the same sources first: use that one.
      if (!statSync(join(target, 'index.js'), { throwIfNoEntry: false })) {
        throw error
      }
    }
  }
  binary = join(target, 'index.js')
  return binary
}

/** What a CLI run produced. */
export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the built CLI with `args`; colour off unless `env` says otherwise. */
export function cli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [binary ?? fail(), ...args],
      {
        cwd: options.cwd ?? ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          // `npm run coverage:cli`: each run writes V8 coverage there, mapped back to src/cli by c8.
          ...(process.env.CLI_COVERAGE_DIR ? { NODE_V8_COVERAGE: process.env.CLI_COVERAGE_DIR } : {}),
          ...options.env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolvePromise({ code, stdout, stderr })
      },
    )
  })
}

function fail(): never {
  throw new Error('call ensureCliBuilt() in beforeAll first')
}

/** A temporary directory, removed by `cleanup()`. */
export function tempDir(): { dir: string; path(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'bluegreen-cli-'))
  return {
    dir,
    path: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** A loopback HTTP server answering with `handler`; `close()` also drops open connections. */
export interface TestServer {
  readonly url: string
  readonly requests: string[]
  close(): Promise<void>
}

/** Starts a server on 127.0.0.1 (any free port). */
export async function startServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<TestServer> {
  const requests: string[] = []
  const server = await startHttpServer(
    (request, response) => {
      requests.push(`${request.method} ${request.url}`)
      handler(request, response)
    },
    { port: 0, logger: scopedLogger(undefined, 'test-server'), label: 'CLI test server' },
  )
  return { url: server.url, requests, close: () => server.close() }
}

/** Answers `body` as JSON with `status`. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(typeof body === 'string' ? body : JSON.stringify(body))
}

/** A port nothing listens on (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await closedPort()}`
}

/** True when `text` has ANSI colour codes. */
export function hasAnsi(text: string): boolean {
  return text.includes('\u001b[')
}
