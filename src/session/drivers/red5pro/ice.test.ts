import { describe, expect, it } from 'vitest'

import { mergeIceServers } from './ice'

const turn = { urls: 'turn:turn.example.com:3478', username: 'u', credential: 'p' }
const stun = { urls: 'stun:stun.example.com' }

describe('mergeIceServers()', () => {
  it('keeps the node-advertised servers first, then the configured ones, and the rest of the result', () => {
    expect(mergeIceServers({ links: [turn], origin: 'n1' }, [stun])).toEqual({
      links: [turn, stun],
      origin: 'n1',
    })
  })

  it('drops duplicates (same urls and credentials) but keeps the same URL with other credentials', () => {
    const other = { ...turn, credential: 'q' }
    expect(mergeIceServers({ links: [turn, turn] }, [turn, other]).links).toEqual([turn, other])
  })

  it('treats a missing or failed OPTIONS (11-14 resolve nothing) as no advertised servers', () => {
    expect(mergeIceServers(undefined, [stun])).toEqual({ links: [stun] })
    expect(mergeIceServers({ links: undefined }, [stun]).links).toEqual([stun])
  })

  it('ignores advertised entries that are not ICE servers', () => {
    expect(mergeIceServers({ links: [null, { urls: 5 }, 'x', turn] }, []).links).toEqual([turn])
  })
})
