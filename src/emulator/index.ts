/**
 * `red5pro-bluegreen/emulator` (Node only): a local blue/green Red5 Pro cluster for demos and tests.
 * Importing this entry does nothing; `startEmulator()` loads the servers, and the werift media nodes,
 * on first call.
 *
 * @module red5pro-bluegreen/emulator
 */
import type { Emulator } from './api'
import type { EmulatorOptions } from './types'

export type { DrainOptions, Emulator, KillOptions } from './api'
export type {
  EmulatedEnvironment,
  EmulatorEnvironmentOptions,
  EmulatorEvent,
  EmulatorEventType,
  EmulatorMediaNode,
  EmulatorMediaNodeOptions,
  EmulatorOptions,
  EmulatorSigningKey,
  EmulatorState,
  EnvironmentName,
  EnvironmentStatus,
  KillMode,
  MediaNodeFactory,
} from './types'

/**
 * Starts the emulated cluster on 127.0.0.1: a discovery endpoint, the operator API and the demo page on
 * one public port, and two environments, each a Stream Manager on its own port plus a werift media node:
 * `green` (production at start, Stream Manager 1.x) and `blue` (staging, Stream Manager 2.0), both
 * `serving`. Close it with `close()`.
 *
 * @param options - all optional; `port: 0` (the default) picks any free port
 * @throws {BlueGreenError} `INVALID_ARGUMENT` for a bad option or a port already in use
 *
 * @example
 * ```ts
 * import { startEmulator } from 'red5pro-bluegreen/emulator'
 * import { createClient } from 'red5pro-bluegreen'
 *
 * const emu = await startEmulator({ port: 0, logger: false })
 * const client = createClient({ discovery: emu.discoveryUrl })
 * await client.ready()                           // green, production
 * await emu.promote('blue', { drainSeconds: 30 }) // blue production, green draining, revision 2
 * await client.refresh()                         // blue
 * await client.close()
 * await emu.close()
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const { start } = await import('./emulator')
  return start(options)
}
