/**
 * red5proDriver's default bounds, shared by the façade (`red5proDriver()`, in the entry) and the driver
 * `'auto'` builds in the lazily loaded runtime, which must not import the façade: a module both reach
 * would be loaded up front by every app (esbuild `--splitting` keeps it in a shared chunk).
 * @internal
 */

/** How long a publish/subscribe may take to start (ms). @internal */
export const RED5PRO_START_TIMEOUT_MS = 30_000
/** How long unpublish/unsubscribe may take (ms). @internal */
export const RED5PRO_TEARDOWN_TIMEOUT_MS = 5_000
