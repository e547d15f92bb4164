/**
 * The operator API on the emulator's public port (JSON in, JSON out):
 * - `GET /api/state`: the manifest, discovery status and, per environment, its Stream Manager, state,
 *   roles, alive/killed and the node's streams, publishers and subscribers;
 * - `POST /api/promote {environment, drainSeconds?}`, `POST /api/rollback {drainSeconds?}`,
 *   `POST /api/state {environment, state, drainSeconds?}`, `POST /api/role {role, environment}` (`null`
 *   removes the role, e.g. `{"role":"failover","environment":null}`), `POST /api/kill {environment,
 *   mode?}` (`mode` "reset", the default, or "silent"), `POST /api/revive {environment}`,
 *   `POST /api/discovery {fail}`: each answers `{ ok: true, state }`, or
 *   `{ error, code }` with 400 (bad input), 404 (unknown environment) or 409 (closed);
 * - `GET /api/events`: Server-Sent Events, one per action and state change (the history first).
 * The reads allow any origin; the writes only same-origin JSON on a loopback `Host`, so no web page the
 * developer happens to have open (or a DNS-rebinding one) can promote or kill anything.
 * @internal
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

import { BlueGreenError, isBlueGreenError } from '../errors'
import { isLoopbackHost } from '../internal/hosts'
import type { EmulatorEvent, EmulatorState, EnvironmentName, KillMode } from './types'
import { allowAnyOrigin, HttpError, readBody, sendJson } from './http'
import type { EnvironmentState } from '../types'

/** What the operator API drives (the emulator itself). @internal */
export interface OperatorController {
  state(): EmulatorState
  promote(environment: EnvironmentName, options: { drainSeconds?: number }): Promise<unknown>
  rollback(options: { drainSeconds?: number }): Promise<unknown>
  setState(
    environment: EnvironmentName,
    state: EnvironmentState,
    options: { drainSeconds?: number },
  ): Promise<unknown>
  setRole(role: string, environment: EnvironmentName | null): Promise<unknown>
  kill(environment: EnvironmentName, options: { mode?: KillMode }): Promise<unknown>
  revive(environment: EnvironmentName): Promise<unknown>
  failDiscovery(fail: boolean): Promise<unknown>
  /** Past events, oldest first. */
  history(): readonly EmulatorEvent[]
  /** Calls `listener` on every new event; returns the unsubscribe function. */
  onEvent(listener: (event: EmulatorEvent) => void): () => void
}

const STATUS_BY_CODE: Partial<Record<string, number>> = {
  INVALID_ARGUMENT: 400,
  ENVIRONMENT_UNKNOWN: 404,
  CLOSED: 409,
}

/** The operator API: a request handler for `/api/*` and the open event streams. @internal */
export class OperatorApi {
  readonly #controller: OperatorController
  readonly #streams = new Set<ServerResponse>()

  /** @param controller - the emulator the API drives */
  constructor(controller: OperatorController) {
    this.#controller = controller
  }

  /** Answers a request whose path starts with `/api/`. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET'
    try {
      if (method === 'GET' || method === 'HEAD') {
        allowAnyOrigin(res)
        if (path === '/api/state') {
          sendJson(res, 200, this.#controller.state())
          return
        }
        if (path === '/api/events') {
          this.#stream(req, res)
          return
        }
        throw new HttpError(404, `There is no operator endpoint at GET ${path}.`)
      }
      if (method !== 'POST') {
        throw new HttpError(405, `${method} is not supported by the operator API; use GET or POST.`)
      }
      await this.#post(req, res, path)
    } catch (error) {
      if (error instanceof HttpError) {
        sendJson(res, error.status, { error: error.message })
        return
      }
      if (isBlueGreenError(error)) {
        sendJson(res, STATUS_BY_CODE[error.code] ?? 500, { error: error.message, code: error.code })
        return
      }
      throw error
    }
  }

  /** Ends every event stream (before the server closes). */
  close(): void {
    for (const res of this.#streams) {
      res.end()
    }
    this.#streams.clear()
  }

  async #post(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '')
    if (!isLoopbackHost(host)) {
      throw new HttpError(
        403,
        `The operator API answers only requests addressed to a loopback host, not ${host}.`,
      )
    }
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase()
    if (type !== 'application/json') {
      throw new HttpError(415, 'Send the operator API a JSON body with Content-Type: application/json.')
    }
    const text = (await readBody(req, 64 * 1024)).toString('utf8')
    let body: Record<string, unknown>
    try {
      const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text)
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error('not an object')
      }
      body = parsed as Record<string, unknown>
    } catch {
      throw new HttpError(400, 'The request body must be a JSON object.')
    }
    const controller = this.#controller
    switch (path) {
      case '/api/promote':
        await controller.promote(environmentOf(body), drainOf(body))
        break
      case '/api/rollback':
        await controller.rollback(drainOf(body))
        break
      case '/api/state':
        await controller.setState(environmentOf(body), stateOf(body), drainOf(body))
        break
      case '/api/role':
        if (typeof body.role !== 'string') {
          throw invalid('`role` must be a role name, e.g. "failover"')
        }
        await controller.setRole(body.role, body.environment === null ? null : environmentOf(body))
        break
      case '/api/kill':
        // The emulator checks the mode (INVALID_ARGUMENT, 400, for anything but "reset" or "silent").
        await controller.kill(
          environmentOf(body),
          body.mode === undefined ? {} : { mode: body.mode as KillMode },
        )
        break
      case '/api/revive':
        await controller.revive(environmentOf(body))
        break
      case '/api/discovery':
        if (typeof body.fail !== 'boolean') {
          throw invalid('`fail` must be true or false')
        }
        await controller.failDiscovery(body.fail)
        break
      default:
        throw new HttpError(404, `There is no operator endpoint at POST ${path}.`)
    }
    sendJson(res, 200, { ok: true, state: controller.state() })
  }

  #stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    })
    const after = Number(req.headers['last-event-id'] ?? Number.NaN)
    res.write('retry: 2000\n\n')
    const send = (event: EmulatorEvent): void => {
      res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`)
    }
    for (const event of this.#controller.history()) {
      if (Number.isNaN(after) || event.id > after) {
        send(event)
      }
    }
    this.#streams.add(res)
    const unsubscribe = this.#controller.onEvent(send)
    res.on('close', () => {
      unsubscribe()
      this.#streams.delete(res)
    })
  }
}

function invalid(problem: string): BlueGreenError {
  return new BlueGreenError('INVALID_ARGUMENT', `Invalid operator request: ${problem}.`)
}

function environmentOf(body: Record<string, unknown>): EnvironmentName {
  const name = body.environment
  if (typeof name !== 'string') {
    throw invalid('`environment` must be "blue" or "green"')
  }
  return name as EnvironmentName
}

function stateOf(body: Record<string, unknown>): EnvironmentState {
  const state = body.state
  if (state !== 'serving' && state !== 'draining' && state !== 'offline') {
    throw invalid('`state` must be "serving", "draining" or "offline"')
  }
  return state
}

function drainOf(body: Record<string, unknown>): { drainSeconds?: number } {
  const value = body.drainSeconds
  if (value === undefined || value === null) {
    return {}
  }
  if (typeof value !== 'number') {
    throw invalid('`drainSeconds` must be a number of seconds')
  }
  return { drainSeconds: value }
}
