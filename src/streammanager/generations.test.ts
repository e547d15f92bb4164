import { describe, expect, it } from 'vitest'

import type { AssignmentRequest } from './StreamManagerClient'
import { streamManagerV1 } from './v1'
import { streamManagerV2 } from './v2'

const request = (overrides: Partial<AssignmentRequest> = {}): AssignmentRequest => ({
  base: 'https://sm.example.com/prefix',
  app: 'live',
  nodeGroup: 'default',
  streamName: 'stage',
  kind: 'publish',
  strict: false,
  ...overrides,
})

describe('Stream Manager 1.x (REST API 4.0)', () => {
  it('asks for an origin with action=broadcast under the path prefix', () => {
    expect(streamManagerV1.assignmentUrl(request())).toBe(
      'https://sm.example.com/prefix/streammanager/api/4.0/event/live/stage?action=broadcast',
    )
  })

  it('asks for an edge with action=subscribe, region and strict=true, all percent-encoded', () => {
    expect(
      streamManagerV1.assignmentUrl(
        request({ kind: 'subscribe', region: 'eu west', strict: true, streamName: 'a b#?', app: 'my app' }),
      ),
    ).toBe(
      'https://sm.example.com/prefix/streammanager/api/4.0/event/my%20app/a%20b%23%3F?action=subscribe&region=eu%20west&strict=true',
    )
  })

  it('ignores the node group (a 2.0 notion)', () => {
    expect(streamManagerV1.assignmentUrl(request({ nodeGroup: 'other' }))).not.toContain('other')
  })

  it('reads the node from the object answer and infers the role from the kind', () => {
    const body = { name: 'stage', scope: '/live', serverAddress: '10.0.0.5', region: 'us-east-1' }
    expect(streamManagerV1.readAnswer(body, request())).toEqual({
      ok: true,
      answer: { serverAddress: '10.0.0.5', nodeRole: 'origin', region: 'us-east-1' },
    })
    expect(streamManagerV1.readAnswer(body, request({ kind: 'subscribe' }))).toMatchObject({
      ok: true,
      answer: { nodeRole: 'edge' },
    })
  })

  it.each([
    [{ errorMessage: 'Stream not found', timestamp: 1 }, /error body.*Stream not found/],
    [[{ serverAddress: '10.0.0.5' }], /JSON array/],
    [{ scope: '/live' }, /`serverAddress`/],
    [{ serverAddress: 42 }, /`serverAddress`/],
    ['10.0.0.5', /body/],
  ])('explains why %j is not a node', (body, problem) => {
    const reading = streamManagerV1.readAnswer(body, request())
    expect(reading.ok).toBe(false)
    expect(reading.ok ? '' : reading.problem).toMatch(problem)
  })

  it('puts the proxy endpoint at {sm}/{app}/whip|whep/endpoint/{stream} (DESIGN section 10)', () => {
    expect(streamManagerV1.proxyEndpoint(request({ streamName: 'a b' }), '10.0.0.5')).toBe(
      'https://sm.example.com/prefix/live/whip/endpoint/a%20b',
    )
    expect(streamManagerV1.proxyEndpoint(request({ kind: 'subscribe' }), '10.0.0.5')).toBe(
      'https://sm.example.com/prefix/live/whep/endpoint/stage',
    )
  })

  it('reads the error text of { errorMessage }', () => {
    expect(streamManagerV1.errorText({ errorMessage: 'No origin', timestamp: 1 })).toBe('No origin')
  })
})

describe('Stream Manager 2.0 (/as/v1)', () => {
  it('asks for an origin at /as/v1/streams/stream/{nodeGroup}/publish/{app}/{stream}', () => {
    expect(streamManagerV2.assignmentUrl(request())).toBe(
      'https://sm.example.com/prefix/as/v1/streams/stream/default/publish/live/stage',
    )
  })

  it('asks for an edge with the region as `subgroup` and strict=true, all percent-encoded', () => {
    expect(
      streamManagerV2.assignmentUrl(
        request({
          kind: 'subscribe',
          nodeGroup: 'group 1',
          region: 'us-east,us-west',
          strict: true,
          streamName: 'r/ü',
        }),
      ),
    ).toBe(
      'https://sm.example.com/prefix/as/v1/streams/stream/group%201/subscribe/live/r/%C3%BC?subgroup=us-east%2Cus-west&strict=true',
    )
  })

  it('uses the first entry of the array answer, role included', () => {
    const body = [
      { streamGuid: 'live/stage', serverAddress: '10.0.0.7', nodeRole: 'transcoder', subGroup: 'ashburn' },
      { streamGuid: 'live/stage', serverAddress: '10.0.0.8', nodeRole: 'origin', subGroup: 'ashburn' },
    ]
    expect(streamManagerV2.readAnswer(body, request())).toEqual({
      ok: true,
      answer: { serverAddress: '10.0.0.7', nodeRole: 'transcoder', region: 'ashburn' },
    })
  })

  it.each([
    [[], /empty list/],
    [{ serverAddress: '10.0.0.7', nodeRole: 'origin' }, /not a JSON array/],
    [{ error: 'No servers found' }, /error body.*No servers found/],
    [[{ nodeRole: 'edge' }], /`\[0\]\.serverAddress`/],
    [[{ serverAddress: '10.0.0.7' }], /`\[0\]\.nodeRole`/],
    [[{ serverAddress: '10.0.0.7', nodeRole: 'edge; rm -rf' }], /not a node role/],
    [['10.0.0.7'], /`\[0\]`/],
  ])('explains why %j is not a node', (body, problem) => {
    const reading = streamManagerV2.readAnswer(body, request())
    expect(reading.ok).toBe(false)
    expect(reading.ok ? '' : reading.problem).toMatch(problem)
  })

  it('puts the proxy endpoint at /as/v1/proxy/whip|whep/{app}/{stream}?host={serverAddress}', () => {
    expect(streamManagerV2.proxyEndpoint(request({ streamName: 'a#b' }), '10.0.0.7:5080')).toBe(
      'https://sm.example.com/prefix/as/v1/proxy/whip/live/a%23b?host=10.0.0.7%3A5080',
    )
    expect(streamManagerV2.proxyEndpoint(request({ kind: 'subscribe' }), '10.0.0.7')).toBe(
      'https://sm.example.com/prefix/as/v1/proxy/whep/live/stage?host=10.0.0.7',
    )
  })

  it('reads the error text of { error }', () => {
    expect(streamManagerV2.errorText({ error: 'Node group not found for x' })).toBe(
      'Node group not found for x',
    )
  })
})
