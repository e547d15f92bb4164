/**
 * whipDriver's defaults, shared by the façade (`whipDriver()`, in the entry) and the driver `'auto'` builds
 * lazily (./auto.ts), which must not import the façade: a module both reach would be loaded up front by
 * every app (esbuild `--splitting` keeps it in a shared chunk).
 * @internal
 */
export const WHIP_DEFAULTS = {
  whepFlavour: 'auto',
  trickle: true,
  dataChannelLabel: 'red5pro',
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 15_000,
  iceGatheringTimeoutMs: 3000,
  trickleBatchMs: 30,
  mediaPollIntervalMs: 100,
  maxPostAttempts: 3,
  maxRetryAfterMs: 10_000,
  deleteTimeoutMs: 3000,
} as const
