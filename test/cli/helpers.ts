/**
 * Helpers for the CLI tests: they run the BUILT binary (`node dist/cli/index.js`) as a child process,
 * as a user would. `npm test` builds everything first; when the binary is missing or older than the
 * sources, `ensureCliBuilt()` rebuilds just the CLI entry (under a lock, since test files run in
 * parallel) so `npx vitest run test/cli` works on its own.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
export const CLI = join(ROOT, 'dist/cli/index.js')

function newestSource(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      newest = Math.max(newest, newestSource(path))
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs)
    }
  }
  return newest
}

function isFresh(): boolean {
  try {
    return statSync(CLI).mtimeMs >= newestSource(join(ROOT, 'src'))
  } catch {
    return false
  }
}

/** Builds `dist/cli/index.js` when it is missing or older than `src/`. */
export async function ensureCliBuilt(): Promise<void> {
  const lock = join(ROOT, 'node_modules/.cache/red5pro-bluegreen-cli-build.lock')
  mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true })
  for (let waited = 0; ; waited += 200) {
    if (isFresh()) {
      return
    }
    try {
      mkdirSync(lock)
    } catch {
      // Another test file is building; a lock older than two minutes is left over from a crash.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 120_000 || waited > 120_000) {
        rmSync(lock, { recursive: true, force: true })
      }
      await new Promise((r) => setTimeout(r, 200))
      continue
    }
    try {
      if (!isFresh()) {
        // Only the CLI entry, as package.json `bin` runs it (ESM, shebang kept); no clean, so other
        // engineers' dist files are left alone.
        execFileSync(
          'npx',
          [
            'tsup',
            'src/cli/index.ts',
            '--no-config',
            '--format',
            'esm',
            '--target',
            'node20',
            '--platform',
            'node',
            '--out-dir',
            'dist/cli',
            '--silent',
          ],
          { cwd: ROOT, stdio: 'pipe' },
        )
      }
      return
    } finally {
      rmSync(lock, { recursive: true, force: true })
    }
  }
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
      [CLI, ...args],
      {
        cwd: options.cwd ?? ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolvePromise({ code, stdout, stderr })
      },
    )
  })
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
  const sockets = new Set<Socket>()
  const requests: string[] = []
  const server: Server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`)
    handler(request, response)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const socket of sockets) {
          socket.destroy()
        }
        server.close(() => r())
      }),
  }
}

/** Answers `body` as JSON with `status`. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(typeof body === 'string' ? body : JSON.stringify(body))
}

/** A port nothing listens on (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const server = await startServer(() => undefined)
  const url = server.url
  await server.close()
  return url
}

/** True when `text` has ANSI colour codes. */
export function hasAnsi(text: string): boolean {
  return text.includes('\u001b[')
}
