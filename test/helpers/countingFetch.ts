/** The real fetch, counting the body bytes its caller pulls: proves how much of a refused body was read. */
import type { FetchLike } from '../../src/environment'

export interface CountingFetch {
  readonly fetch: FetchLike
  /** Body bytes pulled so far, over every response. */
  read(): number
}

export function countingFetch(): CountingFetch {
  let read = 0
  const fetchImpl: FetchLike = async (input, init) => {
    const response = await fetch(input, init)
    if (!response.body) {
      return response
    }
    const reader = response.body.getReader()
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read()
        if (done) {
          controller.close()
          return
        }
        read += value.byteLength
        controller.enqueue(value)
      },
      cancel: (reason) => reader.cancel(reason),
    })
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    })
  }
  return { fetch: fetchImpl, read: () => read }
}
