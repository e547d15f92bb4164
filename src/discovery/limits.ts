/** The largest manifest body accepted, in bytes (64 KiB). Kept apart so the core bundle needs no validator. */
export const MAX_MANIFEST_BYTES = 64 * 1024
