/**
 * red5pro-bluegreen: blue-green deployments of Red5 Pro clusters, invisible to viewers and broadcasters.
 *
 * The curated public surface. Internals (HTTP plumbing, the manifest loader, the session state machine,
 * the swap coordinator) are not exported on purpose: they may change without a major version.
 */
export { BlueGreenClient, createClient } from './client'
export { BlueGreenError, isBlueGreenError } from './errors'
export type { BlueGreenErrorCode, BlueGreenErrorContext } from './errors'
export type { ClientEvents, EnvironmentChangeEvent, ManifestEvent, StaleEvent } from './events'
export type {
  ClientOptions,
  MigrationOptions,
  OverrideOptions,
  ReconnectContext,
  ReconnectOptions,
  ReconnectPolicy,
} from './options'
export type { TrustedKey } from './discovery/envelope'
export type { Clock, FetchLike, KeyValueStorage, Logger } from './environment'
export type {
  Assignment,
  ConnectionParams,
  EnvironmentInfo,
  EnvironmentState,
  Manifest,
  ManifestEnvironment,
  SessionKind,
  StreamManagerApi,
  Transport,
} from './types'
export type {
  Driver,
  DriverPublishOptions,
  DriverSession,
  DriverSubscribeOptions,
  SignalingTarget,
} from './session/drivers/Driver'
