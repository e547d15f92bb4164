/** The largest manifest body accepted, in bytes (64 KiB). Kept apart so the core bundle needs no validator. */
export const MAX_MANIFEST_BYTES = 64 * 1024
/**
 * How long a revision from an unsigned manifest binds a client without trustedKeys after a server last
 * served it (10 minutes): long enough to ride out a stale mirror during a promotion, short enough that
 * one forged huge revision cannot lock a client out (docs/security.md).
 */
export const UNSIGNED_FLOOR_MS = 10 * 60_000
