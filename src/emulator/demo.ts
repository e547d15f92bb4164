/**
 * The demo page on the emulator's public port: examples/demo and the package's dist, read from the
 * installed package's folder.
 * @internal
 */
import { existsSync, readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { DISCOVERY_PATH } from './discoveryServer'
import { HttpError, serveFile } from './http'

/** The directory of the installed package (examples/demo and dist live there). @internal */
export function packageRoot(): string {
  const starts: string[] = []
  try {
    if (typeof __dirname === 'string') {
      starts.push(__dirname)
    }
  } catch {
    // ESM: no __dirname
  }
  try {
    starts.push(dirname(fileURLToPath(import.meta.url)))
  } catch {
    // CJS build: import.meta is empty
  }
  for (const start of starts) {
    let dir = start
    for (let depth = 0; depth < 6; depth++) {
      const manifest = join(dir, 'package.json')
      if (existsSync(manifest)) {
        try {
          if (
            (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'red5pro-bluegreen'
          ) {
            return dir
          }
        } catch {
          // unreadable package.json: keep walking up
        }
      }
      dir = dirname(dir)
    }
  }
  return process.cwd()
}

/**
 * Serves the demo page (examples/demo) and the built package (dist) under the package root; a page that
 * says where to look when the demo is not there.
 * @internal
 */
export async function serveDemo(
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new HttpError(405, `${req.method} ${path}: the demo is read with GET.`)
  }
  const demo = join(root, 'examples', 'demo')
  if (path === '/' || path === '/index.html') {
    if (await serveFile(req, res, demo, '/index.html')) {
      return
    }
    const text =
      `<!doctype html><meta charset="utf-8"><title>red5pro-bluegreen emulator</title>` +
      `<p>red5pro-bluegreen emulator: the demo page is not there yet; see <a href="/api/state">/api/state</a> and <a href="${DISCOVERY_PATH}">${DISCOVERY_PATH}</a>.</p>\n`
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
    })
    res.end(req.method === 'HEAD' ? undefined : text)
    return
  }
  if (path.startsWith('/dist/')) {
    if (await serveFile(req, res, join(root, 'dist'), path.slice('/dist'.length))) {
      return
    }
  } else if (await serveFile(req, res, demo, path)) {
    return
  }
  throw new HttpError(404, `Nothing at ${path}.`)
}
