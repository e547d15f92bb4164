/**
 * `driver: 'auto'`: picks, per assignment, a driver that can reach its endpoint.
 *
 * - In a browser, `red5proDriver` (the official Red5 SDK) when the app gave the SDK (`red5proSdk`: a loader
 *   such as `() => import('red5pro-webrtc-sdk')`, or the object) or Red5's script put it on the page
 *   (`window.red5prosdk`), and the loaded build can express the endpoint: Stream Manager 1.x proxy and node
 *   URLs with every generation, the Stream Manager 2.0 proxy with 13+. Otherwise `whipDriver` over the
 *   browser's `RTCPeerConnection`, also when the loader fails (not installed) or gives an empty module
 *   (aliased away). This package never names `red5pro-webrtc-sdk` itself, so every bundler builds an app
 *   that does not install it.
 * - Outside a browser there is no `RTCPeerConnection` to default to: `DRIVER_UNAVAILABLE`, saying to pass
 *   `whipDriver({ RTCPeerConnection })` with werift's class.
 *
 * Drivers are loaded with `import()` on first use and kept per client.
 */
import type { Environment } from '../../environment'
import { BlueGreenError } from '../../errors'
import type { Assignment } from '../../types'
import type { Driver } from './Driver'
import type { AutoRed5pro } from './red5pro/driver'
import type { Red5proSdkSource } from './red5pro/sdk'

/** Returns the driver for each assignment. @internal */
export type DriverPicker = (assignment: Assignment) => Promise<Driver>

/** A picker for `driver: 'auto'` or a fixed driver. @internal */
export function createDriverPicker(
  env: Environment,
  choice: 'auto' | Driver,
  red5proSdk?: Red5proSdkSource,
): DriverPicker {
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
      red5pro ??= loadSdk(red5proSdk).then(
        async (module) => {
          const found =
            module === undefined
              ? undefined
              : (await import('./red5pro/driver')).red5proForAuto(module, options)
          env.logger.info(
            found
              ? `driver 'auto': using red5pro-webrtc-sdk ${found.build} where it can reach the endpoint, whipDriver elsewhere`
              : module === undefined
                ? "driver 'auto': no Red5 SDK given (red5proSdk option, or window.red5prosdk); using whipDriver"
                : "driver 'auto': the Red5 SDK given has no WHIPClient/WHEPClient (aliased away?); using whipDriver",
          )
          return found
        },
        (error: unknown) => {
          env.logger.info(
            `driver 'auto': the Red5 SDK loader failed (${error instanceof Error ? error.message : String(error)}); using whipDriver`,
          )
          return undefined
        },
      )
      const found = await red5pro
      if (found?.canReach(assignment.endpoint)) {
        return found.driver
      }
    }
    // Not the whipDriver() façade: see ./whip/defaults.ts.
    whip ??= import('./whip/auto').then((m) => m.whipForAuto({ ...options, fetch: env.fetch }))
    return whip
  }
}

/** What the app gave (a loader is run here), else `window.red5prosdk`, else `undefined`. */
async function loadSdk(source: Red5proSdkSource | undefined): Promise<unknown> {
  if (typeof source === 'function' && !('WHIPClient' in source)) {
    return (source as () => Promise<unknown>)()
  }
  return source ?? (globalThis as { red5prosdk?: unknown }).red5prosdk
}
