/**
 * Drain deadlines: one timer per draining environment, to say when its deadline passes. Nothing else
 * happens then (the environment keeps serving its sessions until it is killed or set offline), as with
 * a real cluster whose operator decides.
 * @internal
 */
import type { Control } from './publisher'
import { NAMES } from './checks'
import type { EnvironmentName } from './types'

/** The armed deadline timers. @internal */
export class DrainDeadlines {
  readonly #timers = new Map<EnvironmentName, { deadline: string; timer: NodeJS.Timeout }>()
  readonly #onPassed: (environment: EnvironmentName, deadline: string) => void

  /** @param onPassed - called once when an environment's drain deadline passes */
  constructor(onPassed: (environment: EnvironmentName, deadline: string) => void) {
    this.#onPassed = onPassed
  }

  /** Arms a timer per draining environment of `control`, disarms those no longer draining. */
  arm(control: Readonly<Control>): void {
    for (const name of NAMES) {
      const { state, drainDeadline } = control.states[name]
      const armed = this.#timers.get(name)
      if (armed && (state !== 'draining' || armed.deadline !== drainDeadline)) {
        clearTimeout(armed.timer)
        this.#timers.delete(name)
      }
      if (state === 'draining' && drainDeadline !== undefined && !this.#timers.has(name)) {
        const timer = setTimeout(
          () => {
            this.#timers.delete(name)
            this.#onPassed(name, drainDeadline)
          },
          Math.max(0, Date.parse(drainDeadline) - Date.now()),
        )
        timer.unref()
        this.#timers.set(name, { deadline: drainDeadline, timer })
      }
    }
  }

  /** Disarms every timer. */
  clear(): void {
    for (const { timer } of this.#timers.values()) {
      clearTimeout(timer)
    }
    this.#timers.clear()
  }
}
