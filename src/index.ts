/**
 * red5pro-bluegreen: blue-green deployments of Red5 Pro clusters, invisible to viewers and broadcasters.
 *
 * The curated public surface. Internals (HTTP plumbing, the manifest loader, the session state machine,
 * the swap coordinator) are not exported on purpose: they may change without a major version.
 *
 * @module red5pro-bluegreen
 */
export { BlueGreenClient, createClient } from './client'
export { BlueGreenError, isBlueGreenError } from './errors'
export type { BlueGreenErrorCode, BlueGreenErrorContext } from './errors'
export type { ClientEvents, EnvironmentChangeEvent, ManifestEvent, StaleEvent } from './events'
export type { FailoverOptions } from './failover'
export type { EventArgs, EventListenerOf, TypedEmitter } from './typedEmitter'
export type {
  ClientOptions,
  MigrationOptions,
  OverrideOptions,
  ReconnectContext,
  ReconnectOptions,
  ReconnectPolicy,
} from './options'
export type { PublishOptions, SubscribeOptions } from './session/options'
export type { PublishSession, Session, SubscribeSession } from './session/Session'
export type { PendingPublish, PendingSession, PendingSubscribe } from './session/handle'
export type { SessionState } from './session/machine'
export type {
  MigratedEvent,
  MigratingEvent,
  ReconnectedEvent,
  ReconnectingEvent,
  ResumedEvent,
  SessionEventMap,
  StalledEvent,
  StateChangeEvent,
  WaitingEvent,
} from './session/events'
export type { ResolveOptions } from './streammanager'
export { whipDriver } from './session/drivers/whip'
export type {
  DataChannelLike,
  DescriptionLike,
  PeerConnectionConstructor,
  PeerConnectionLike,
  StatsReportLike,
  TrackLike,
  WhepFlavour,
  WhipDriver,
  WhipDriverOptions,
  WhipDriverSession,
} from './session/drivers/whip'
export { red5proDriver, canRed5proSdkReach } from './session/drivers/red5pro'
export type {
  Red5proClientClass,
  Red5proDriverOptions,
  Red5proSdk,
  Red5proSdkConfig,
  Red5proSdkEmitter,
  Red5proSdkEvent,
  Red5proSdkEventHandler,
  Red5proSdkPlaybackView,
  Red5proSdkSource,
  Red5proWhepClient,
  Red5proWhipClient,
} from './session/drivers/red5pro'
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
