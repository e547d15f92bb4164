import { describe, expect, it } from 'vitest'

import { phaseRows, phaseTable, readTrace } from '../../bench/scale/phases'

/** A SCALE_TRACE line, as bench/scale/fleet.ts writes it, `ms` after 05:16:30.000. */
function line(ms: number, who: string, message: string, level = 'debug'): string {
  return `${new Date(Date.parse('2026-11-30T05:16:30.000Z') + ms).toISOString()} ${level} ${who}: ${message}`
}

const VIEWER = 'subscribe stage-3 #50'
const BROADCASTER = 'publish stage-3 #3'

/** One viewer's start-up on green, the death at 0 ms, its way back on blue; a broadcaster's too. */
const TRACE = [
  line(
    -6000,
    VIEWER,
    '[red5pro-bluegreen:client] GET http://127.0.0.1:1/streammanager/api/4.0/event/live/stage-3?action=subscribe (subscribe "stage-3" on environment "green")',
  ),
  line(-5990, VIEWER, '[red5pro-bluegreen:client] subscribe "stage-3" on "green" -> 127.0.0.1:2 (edge)'),
  line(
    -5980,
    VIEWER,
    '[red5pro-bluegreen:whip] WHEP subscribe of "stage-3": resource http://127.0.0.1:1/live/whep/resource/stage-3/a',
  ),
  line(
    -5900,
    VIEWER,
    '[red5pro-bluegreen:whip] WHEP subscribe of "stage-3": trickled 4 candidate(s) and end-of-candidates',
  ),
  line(
    -5600,
    VIEWER,
    '[red5pro-bluegreen:whip] WHEP subscribe of "stage-3": media flowing (http://127.0.0.1:1/live/whep/resource/stage-3/a)',
    'info',
  ),
  line(
    -5600,
    VIEWER,
    '[red5pro-bluegreen:client] session subscribe-1 of stream "stage-3": connecting -> live (playing on green)',
  ),
  // The broadcaster's watch reports the node silent for 700 ms at 800 ms: its last feedback came at 100.
  line(
    800,
    BROADCASTER,
    '[red5pro-bluegreen:whip] WHIP publish of "stage-3": no RTCP feedback from the node for 700 ms',
    'info',
  ),
  line(
    820,
    BROADCASTER,
    '[red5pro-bluegreen:client] session publish-1 of stream "stage-3": live -> migrating (revision 1 selects blue)',
  ),
  line(
    840,
    BROADCASTER,
    '[red5pro-bluegreen:client] GET http://127.0.0.1:3/as/v1/streams/stream/default/publish/live/stage-3 (publish "stage-3" on environment "blue")',
  ),
  line(880, BROADCASTER, '[red5pro-bluegreen:client] publish "stage-3" on "blue" -> 127.0.0.1:4 (origin)'),
  line(
    980,
    BROADCASTER,
    '[red5pro-bluegreen:whip] WHIP publish of "stage-3": resource http://127.0.0.1:3/as/v1/proxy/whip/live/stage-3?host=x',
  ),
  line(
    1080,
    BROADCASTER,
    '[red5pro-bluegreen:whip] WHIP publish of "stage-3": trickled 4 candidate(s) and end-of-candidates',
  ),
  line(
    1300,
    BROADCASTER,
    '[red5pro-bluegreen:whip] WHIP publish of "stage-3": media flowing (http://127.0.0.1:3/as/v1/proxy/whip/live/stage-3?host=x)',
    'info',
  ),
  // The viewer's watch: 771 ms of silence at 900 ms (its last packet at 129, after the broadcaster's).
  line(
    900,
    VIEWER,
    '[red5pro-bluegreen:whip] WHEP subscribe of "stage-3": nothing received for 771 ms',
    'info',
  ),
  line(
    1100,
    VIEWER,
    '[red5pro-bluegreen:whip] WHEP subscribe of "stage-3": nothing received for 971 ms',
    'info',
  ),
  line(
    1180,
    VIEWER,
    '[red5pro-bluegreen:client] session subscribe-1 of stream "stage-3": live -> reconnecting (connection lost)',
  ),
  line(
    1500,
    VIEWER,
    '[red5pro-bluegreen:client] GET http://127.0.0.1:3/as/v1/streams/stream/default/subscribe/live/stage-3 (subscribe "stage-3" on environment "blue")',
  ),
  line(1700, VIEWER, '[red5pro-bluegreen:client] subscribe "stage-3" on "blue" -> 127.0.0.1:4 (edge)'),
  line(
    2200,
    VIEWER,
    '[red5pro-bluegreen:whip] WHEP subscribe of "stage-3": resource http://127.0.0.1:3/as/v1/proxy/whep/live/stage-3?host=x',
  ),
  line(2600, VIEWER, '[red5pro-bluegreen:whip] WHEP subscribe of "stage-3": trickled 2 candidate(s)'),
  line(
    3100,
    VIEWER,
    '[red5pro-bluegreen:whip] WHEP subscribe of "stage-3": trickled 2 candidate(s) and end-of-candidates',
  ),
  line(
    3500,
    VIEWER,
    '[red5pro-bluegreen:whip] WHEP subscribe of "stage-3": media flowing (http://127.0.0.1:3/as/v1/proxy/whep/live/stage-3?host=x)',
    'info',
  ),
  // A viewer that never came back is left out of the phases.
  line(
    950,
    'subscribe stage-4 #60',
    '[red5pro-bluegreen:whip] WHEP subscribe of "stage-4": nothing received for 800 ms',
    'info',
  ),
  line(
    1200,
    'subscribe stage-4 #60',
    '[red5pro-bluegreen:client] session subscribe-1 of stream "stage-4": live -> reconnecting (connection lost)',
  ),
  'scale bench: a line of another shape is ignored',
]

describe('readTrace and phaseRows (where a production death’s seconds go, per session)', () => {
  it('times each phase of a viewer’s way back from its own lines after it lost its session, not from its start-up', () => {
    const rows = Object.fromEntries(phaseRows(readTrace(TRACE), 'subscribe').map((r) => [r.name, r]))
    expect(rows['death to noticed']).toMatchObject({ sessions: 1, p50: 800 })
    expect(rows['noticed to session given up']?.p50).toBe(280)
    expect(rows['given up to the first request']?.p50).toBe(320)
    expect(rows['Stream Manager assignment']?.p50).toBe(200)
    expect(rows['offer and WHIP/WHEP POST']?.p50).toBe(500)
    expect(rows['ICE gathering (end-of-candidates)']?.p50).toBe(900)
    expect(rows['ICE and DTLS to media']?.p50).toBe(400)
    expect(rows['death to media again']).toMatchObject({ sessions: 1, p50: 3400, max: 3400 })
  })

  it('takes the death as the earliest last packet any watch names, whoever reported it first', () => {
    // The broadcaster's node went silent at 100 ms, before the viewer's last packet (129 ms).
    expect(readTrace(TRACE).deathAt).toBe(Date.parse('2026-11-30T05:16:30.100Z'))
    const broadcaster = phaseRows(readTrace(TRACE), 'publish')
    expect(broadcaster.find((r) => r.name === 'death to media again')).toMatchObject({
      sessions: 1,
      p50: 1200,
    })
  })

  it('leaves out sessions that never came back, and says n/a for a kind with none', () => {
    const trace = readTrace(TRACE)
    expect(trace.sessions).toHaveLength(3)
    expect(phaseRows(trace, 'subscribe').every((r) => r.sessions === 1)).toBe(true)
    const onlyLost = readTrace(TRACE.filter((l) => l.includes('stage-4')))
    expect(phaseTable(onlyLost)).toContain('| viewer | death to media again | 0 | n/a | n/a |')
  })
})
