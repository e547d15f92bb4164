/**
 * Reading a response body within a byte limit, for every HTTP layer (the ky one and the WHIP/WHEP
 * driver's, which must not load ky): a hostile server cannot make the client buffer more than the limit.
 * @internal
 */

/**
 * Reads a body stream into memory, cancelling it (and throwing `limit.tooLarge`) as soon as it passes
 * `limit.maxBytes`: an oversized body is never buffered whole.
 * @internal
 */
export async function readBody(
  stream: ReadableStream<Uint8Array>,
  limit: { readonly maxBytes: number; tooLarge(url: string, bytes: number): Error },
  url: string,
): Promise<Uint8Array> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) {
        break
      }
      total += value.byteLength
      if (total > limit.maxBytes) {
        await reader.cancel().catch(() => undefined)
        throw limit.tooLarge(url, total)
      }
      chunks.push(value)
    }
  } finally {
    reader.releaseLock()
  }
  if (chunks.length === 1) {
    return chunks[0]!
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
