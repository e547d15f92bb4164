/**
 * The whipDriver `driver: 'auto'` uses: the browser's `RTCPeerConnection`, every default. Loaded lazily with
 * the session code; built without the `whipDriver()` façade (see ./defaults.ts).
 * @internal
 */
import { resolveEnvironment, type Clock, type FetchLike, type Logger } from '../../../environment'
import type { Driver } from '../Driver'
import { WHIP_DEFAULTS } from './defaults'
import { WhipSession } from './session'

/** whipDriver with its defaults, for `'auto'`. @internal */
export function whipForAuto(options: {
  clock: Clock
  random: () => number
  fetch: FetchLike
  logger?: Partial<Logger>
}): Driver {
  const settings = {
    ...WHIP_DEFAULTS,
    env: resolveEnvironment(options, 'whip'),
    RTCPeerConnection: undefined,
    rtcConfiguration: undefined,
    liveness: {},
  }
  return {
    name: 'whip',
    publish: (target, publishOptions, signal) =>
      WhipSession.start(settings, { ...target, kind: 'publish' }, publishOptions, signal),
    subscribe: (target, subscribeOptions, signal) =>
      WhipSession.start(settings, { ...target, kind: 'subscribe' }, subscribeOptions, signal),
  }
}
