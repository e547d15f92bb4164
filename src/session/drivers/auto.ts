/**
 * `driver: 'auto'`: picks, per assignment, a driver that can reach its endpoint.
 *
 * - In a browser, `red5proDriver` (the official Red5 SDK) when `red5pro-webrtc-sdk` is installed and the
 *   loaded build can express the endpoint: Stream Manager 1.x proxy and node URLs with every generation,
 *   the Stream Manager 2.0 proxy with 13+. Otherwise `whipDriver` over the browser's `RTCPeerConnection`,
 *   also when the SDK is missing or a bundler alias replaced it with an empty module.
 * - Outside a browser there is no `RTCPeerConnection` to default to: `DRIVER_UNAVAILABLE`, saying to pass
 *   `whipDriver({ RTCPeerConnection })` with werift's class.
 *
 * Drivers are loaded with `import()` on first use and kept per client.
 */
import type { Environment } from '../../environment'
import { BlueGreenError } from '../../errors'
import type { Assignment } from '../../types'
import type { Driver } from './Driver'
import type { AutoRed5pro } from './red5pro'

/** Returns the driver for each assignment. @internal */
export type DriverPicker = (assignment: Assignment) => Promise<Driver>

/** A picker for `driver: 'auto'` or a fixed driver. @internal */
export function createDriverPicker(env: Environment, choice: 'auto' | Driver): DriverPicker {
  if (choice !== 'auto') {
    return () => Promise.resolve(choice)
  }
  let red5pro: Promise<AutoRed5pro | undefined> | undefined
  let whip: Promise<Driver> | undefined
  const options = { clock: env.clock, random: env.random, ...(env.sink ? { logger: env.sink } : {}) }
  return async (assignment) => {
    const g = globalThis as { RTCPeerConnection?: unknown; window?: unknown }
    if (typeof g.RTCPeerConnection !== 'function') {
      throw new BlueGreenError(
        'DRIVER_UNAVAILABLE',
        `No RTCPeerConnection in this runtime (Node.js?), so driver 'auto' cannot connect to ${assignment.endpoint}. Pass driver: whipDriver({ RTCPeerConnection }) with werift's RTCPeerConnection.`,
        { environment: assignment.environment },
      )
    }
    if (g.window !== undefined) {
      red5pro ??= import('red5pro-webrtc-sdk').then(
        async (module: unknown) => {
          const found = (await import('./red5pro')).red5proForAuto(module, options)
          env.logger.info(
            found
              ? `driver 'auto': red5pro-webrtc-sdk ${found.build} is installed; using it where it can reach the endpoint`
              : "driver 'auto': the red5pro-webrtc-sdk module has no WHIPClient/WHEPClient (aliased away?); using whipDriver",
          )
          return found
        },
        () => {
          env.logger.info(
            "driver 'auto': red5pro-webrtc-sdk is not installed; using whipDriver for every endpoint",
          )
          return undefined
        },
      )
      const found = await red5pro
      if (found?.canReach(assignment.endpoint)) {
        return found.driver
      }
    }
    whip ??= import('./whip').then((m) => m.whipDriver({ ...options, fetch: env.fetch }))
    return whip
  }
}
