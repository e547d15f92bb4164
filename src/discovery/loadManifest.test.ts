import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { createClient } from '../client'
import { memoryStorage } from '../environment'

const manifest = {
  manifestVersion: 1,
  revision: 3,
  ttl: 10,
  roles: { production: 'green' },
  environments: { green: { streamManager: 'https://green-sm.example.com', api: 'sm2' } },
}
const A = 'https://cdn-a.example.com/discovery.json'
const B = 'https://cdn-b.example.com/discovery.json'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

describe('manifest loading (msw)', () => {
  it('with only Last-Modified, revalidation sends If-Modified-Since and a 304 keeps the manifest', async () => {
    const seen: (string | null)[] = []
    server.use(
      http.get(A, ({ request }) => {
        const since = request.headers.get('if-modified-since')
        seen.push(since)
        if (since) {
          return new HttpResponse(null, { status: 304 })
        }
        return HttpResponse.json(manifest, { headers: { 'last-modified': 'Thu, 26 Nov 2026 10:00:00 GMT' } })
      }),
    )
    const client = createClient({ discovery: A, storage: memoryStorage() })
    await client.ready()
    await client.refresh()
    expect(seen).toEqual([null, 'Thu, 26 Nov 2026 10:00:00 GMT'])
    expect(client.manifest?.revision).toBe(3)
    await client.close()
  })

  it('a network error on the first mirror falls over to the second; validators are kept per mirror', async () => {
    const seenB: (string | null)[] = []
    server.use(
      http.get(A, () => HttpResponse.error()),
      http.get(B, ({ request }) => {
        seenB.push(request.headers.get('if-none-match'))
        return request.headers.get('if-none-match') === '"v3"'
          ? new HttpResponse(null, { status: 304 })
          : HttpResponse.json(manifest, { headers: { etag: '"v3"' } })
      }),
    )
    const client = createClient({ discovery: [A, B], storage: memoryStorage() })
    expect((await client.ready()).name).toBe('green')
    await client.refresh()
    expect(seenB).toEqual([null, '"v3"'])
    await client.close()
  })

  it('a 304 to an unconditional request is not taken as "unchanged"', async () => {
    server.use(http.get(A, () => new HttpResponse(null, { status: 304 })))
    const client = createClient({ discovery: A, storage: memoryStorage() })
    await expect(client.ready()).rejects.toMatchObject({ code: 'DISCOVERY_UNAVAILABLE' })
    await client.close()
  })

  it('application/*+json is accepted as JSON', async () => {
    server.use(
      http.get(
        A,
        () =>
          new HttpResponse(JSON.stringify(manifest), {
            headers: { 'content-type': 'application/vnd.example+json; charset=utf-8' },
          }),
      ),
    )
    const client = createClient({ discovery: A, storage: memoryStorage() })
    expect((await client.ready()).revision).toBe(3)
    await client.close()
  })

  it('a 404 is DISCOVERY_UNAVAILABLE carrying the status and URL', async () => {
    server.use(http.get(A, () => new HttpResponse('nope', { status: 404 })))
    const client = createClient({ discovery: A, storage: memoryStorage() })
    await expect(client.ready()).rejects.toMatchObject({ code: 'DISCOVERY_UNAVAILABLE', status: 404, url: A })
    await client.close()
  })

  it('invalid UTF-8 is MANIFEST_INVALID', async () => {
    server.use(
      http.get(
        A,
        () =>
          new HttpResponse(new Uint8Array([0x7b, 0xff, 0x7d]), {
            headers: { 'content-type': 'application/json' },
          }),
      ),
    )
    const client = createClient({ discovery: A, storage: memoryStorage() })
    await expect(client.ready()).rejects.toMatchObject({ code: 'MANIFEST_INVALID', path: '$' })
    await client.close()
  })
})
