/**
 * The emulator's timeline: one event per action and state change, kept (the last 500) for late
 * subscribers of `GET /api/events`, logged, and sent to every listener.
 * @internal
 */
import type { Logger } from '../environment'
import type { EnvironmentState } from '../types'
import type { EmulatorEvent, EmulatorEventType, EnvironmentName, KillMode } from './types'

const KEPT_EVENTS = 500

/** Where the timeline reads the revision and an environment's state at the time of an event. @internal */
export interface TimelineSource {
  revision(): number
  stateOf(environment: EnvironmentName): EnvironmentState
}

/** The event history and its listeners. @internal */
export class Timeline {
  readonly #logger: Logger
  readonly #source: TimelineSource
  readonly #listeners = new Set<(event: EmulatorEvent) => void>()
  readonly #history: EmulatorEvent[] = []
  #eventId = 0

  constructor(logger: Logger, source: TimelineSource) {
    this.#logger = logger
    this.#source = source
  }

  /** Records, logs and sends one event. */
  emit(
    type: EmulatorEventType,
    message: string,
    environment?: EnvironmentName,
    detail: { mode?: KillMode } = {},
  ): void {
    const event: EmulatorEvent = {
      id: ++this.#eventId,
      type,
      at: new Date().toISOString(),
      message,
      revision: this.#source.revision(),
      ...(environment === undefined ? {} : { environment, state: this.#source.stateOf(environment) }),
      ...detail,
    }
    this.#history.push(event)
    if (this.#history.length > KEPT_EVENTS) {
      this.#history.shift()
    }
    if (type === 'manifest') {
      this.#logger.debug(message)
    } else {
      this.#logger.info(message)
    }
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch (error) {
        this.#logger.warn('an event listener threw', error)
      }
    }
  }

  /** Past events, oldest first. */
  history(): readonly EmulatorEvent[] {
    return this.#history
  }

  /** Calls `listener` on every new event; returns the unsubscribe function. */
  onEvent(listener: (event: EmulatorEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Forgets every listener (the emulator closed). */
  clear(): void {
    this.#listeners.clear()
  }
}
