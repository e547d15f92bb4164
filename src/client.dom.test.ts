import { afterEach, describe, expect, it } from 'vitest'

import { createClient } from './client'

const manifest = (revision: number) => ({
  manifestVersion: 1,
  revision,
  roles: { production: 'green', staging: 'blue' },
  environments: {
    green: { streamManager: 'https://green-sm.example.com', api: 'sm2' },
    blue: { streamManager: 'https://blue-sm.example.com', api: 'sm1' },
  },
})
const URL_A = 'https://cdn.example.com/discovery.json'
// A unit boundary: the page's network is not under test here, the browser defaults are.
const serve = (revision: number) => async () =>
  new Response(JSON.stringify(manifest(revision)), { headers: { 'content-type': 'application/json' } })

/** happy-dom's own API to move the page to another URL. */
function setPageUrl(url: string): void {
  ;(window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(url)
}

afterEach(() => {
  localStorage.clear()
  setPageUrl('https://app.example.com/')
})

describe('in a browser', () => {
  it('persists the accepted revision in localStorage by default, so a reload refuses a rollback', async () => {
    const first = createClient({ discovery: URL_A, fetch: serve(8) })
    await first.ready()
    await first.close()
    expect(JSON.parse(localStorage.getItem(`red5pro-bluegreen:${URL_A}`)!)).toMatchObject({ revision: 8 })

    const afterReload = createClient({ discovery: URL_A, fetch: serve(7) })
    await expect(afterReload.ready()).rejects.toMatchObject({ code: 'MANIFEST_ROLLBACK' })
    await afterReload.close()
  })

  it('a query parameter override selects staging when enabled, and is ignored when not', async () => {
    setPageUrl('https://app.example.com/watch?bg-env=staging')
    const qa = createClient({ discovery: URL_A, fetch: serve(1), overrides: { queryParam: 'bg-env' } })
    expect((await qa.ready()).name).toBe('blue')
    const normal = createClient({ discovery: URL_A, fetch: serve(1) })
    expect((await normal.ready()).name).toBe('green')
    await Promise.all([qa.close(), normal.close()])
  })

  it('a query parameter naming a URL is ignored: overrides choose among manifest names only', async () => {
    setPageUrl('https://app.example.com/watch?bg-env=' + encodeURIComponent('https://evil.example.net'))
    const client = createClient({ discovery: URL_A, fetch: serve(1), overrides: { queryParam: 'bg-env' } })
    expect((await client.ready()).name).toBe('green')
    await client.close()
  })
})
