/**
 * `red5pro-bluegreen/testing`: helpers for testing applications (and this library) without WebRTC,
 * networks or real time.
 *
 * @module red5pro-bluegreen/testing
 */
export { FakeDriver } from '../session/drivers/fake'
export type {
  FakeDriverOptions,
  FakeDriverSession,
  FakeSessionFilter,
  FakeSessionSelector,
  FakeSessionState,
} from '../session/drivers/fake'
export { ManualClock } from './ManualClock'
export { recordEvents } from './recorder'
export type { EventRecorder, Listenable, RecordedEvent } from './recorder'
export { SESSION_EVENT_NAMES } from '../session/events'
