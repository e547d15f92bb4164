/**
 * Holding HTTP requests, for a silent kill (DESIGN 11): while frozen, a server accepts connections and
 * reads nothing more from them, answering nothing, as a host behind a network partition; the requests
 * go on once thawed. Hand-rolled: a deferred promise is all it takes.
 * @internal
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** A request handler, as the emulator's servers take it. */
type AnyHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** Freezes and thaws the requests of one server. @internal */
export class RequestHold {
  #held: Promise<void> | undefined
  #release: (() => void) | undefined

  /** True while requests are held. */
  get frozen(): boolean {
    return this.#held !== undefined
  }

  /** From now on, requests wait (unanswered, their connections open) until {@link thaw}. Idempotent. */
  freeze(): void {
    this.#held ??= new Promise<void>((resolve) => {
      this.#release = resolve
    })
  }

  /** Lets the held requests go on (those whose client gave up meanwhile are skipped). Idempotent. */
  thaw(): void {
    const release = this.#release
    this.#held = undefined
    this.#release = undefined
    release?.()
  }

  /** `handler`, held while frozen. */
  wrap(handler: AnyHandler): AnyHandler {
    return async (req, res) => {
      const held = this.#held
      if (held === undefined) {
        return handler(req, res)
      }
      await held
      // The partition healed; a client that gave up meanwhile has closed its connection.
      if (req.destroyed || res.destroyed || res.socket?.destroyed === true) {
        return
      }
      return handler(req, res)
    }
  }
}
