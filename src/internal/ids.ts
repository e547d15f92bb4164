/**
 * Unique ids for signalling (WHEP `requestId`, Red5 `subscriptionId`).
 * @internal
 */

/**
 * A unique id: `crypto.randomUUID()` where it exists; it is missing on insecure (http) pages and in old
 * browsers, hence the fallback of 32 hex digits from the injected `random` (collisions are what matter).
 * @internal
 */
export function uniqueId(random: () => number): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto
  if (typeof crypto?.randomUUID === 'function') {
    return crypto.randomUUID()
  }
  let id = ''
  for (let i = 0; i < 32; i++) {
    id += Math.floor(random() * 16).toString(16)
  }
  return id
}
