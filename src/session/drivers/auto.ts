/**
 * `driver: 'auto'`: picks, per assignment, a driver that can reach its endpoint.
 *
 * - In a browser, `red5proDriver` (the official Red5 SDK) when the SDK is installed and can express the
 *   endpoint (Stream Manager 1.x proxy, direct node URLs); otherwise `whipDriver` over the browser's
 *   `RTCPeerConnection` (everything else, the Stream Manager 2.0 proxy in particular).
 * - Outside a browser there is no `RTCPeerConnection` to default to: `DRIVER_UNAVAILABLE`, saying to pass
 *   `whipDriver({ RTCPeerConnection })` with werift's class.
 *
 * Drivers are loaded with `import()` on first use and kept per client.
 */
import type { Environment } from '../../environment'
import { BlueGreenError } from '../../errors'
import type { Assignment } from '../../types'
import type { Driver } from './Driver'
import { canRed5proSdkReach } from './red5pro/target'

/** Returns the driver for each assignment. @internal */
export type DriverPicker = (assignment: Assignment) => Promise<Driver>

/** A picker for `driver: 'auto'` or a fixed driver. @internal */
export function createDriverPicker(env: Environment, choice: 'auto' | Driver): DriverPicker {
  if (choice !== 'auto') {
    return () => Promise.resolve(choice)
  }
  let red5pro: Promise<Driver | undefined> | undefined
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
    if (g.window !== undefined && canRed5proSdkReach(assignment.endpoint)) {
      // Probe that the optional peer dependency is installed; the driver then loads it itself.
      red5pro ??= import('red5pro-webrtc-sdk').then(
        async () => (await import('./red5pro')).red5proDriver(options),
        () => {
          env.logger.info('red5pro-webrtc-sdk is not installed; using whipDriver for every endpoint')
          return undefined
        },
      )
      const driver = await red5pro
      if (driver) {
        return driver
      }
    }
    whip ??= import('./whip').then((m) => m.whipDriver({ ...options, fetch: env.fetch }))
    return whip
  }
}
