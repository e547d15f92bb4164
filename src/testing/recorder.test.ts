import EventEmitter from 'eventemitter3'
import { describe, expect, it } from 'vitest'

import { ManualClock } from './ManualClock'
import { recordEvents } from './recorder'

interface Events {
  ping: [payload: { n: number }]
  done: []
}

describe('recordEvents()', () => {
  it('records names, payloads and clock times in order', async () => {
    const clock = new ManualClock(100)
    const emitter = new EventEmitter<Events>()
    const events = recordEvents<Events>(emitter, ['ping', 'done'], { clock })
    emitter.emit('ping', { n: 1 })
    await clock.advance(5)
    emitter.emit('ping', { n: 2 })
    emitter.emit('done')
    expect(events.names()).toEqual(['ping', 'ping', 'done'])
    expect(events.payloads('ping')).toEqual([{ n: 1 }, { n: 2 }])
    expect(events.events.map((e) => e.at)).toEqual([100, 105, 105])
    expect(events.count('done')).toBe(1)
    events.stop()
  })

  it('waitFor() resolves on the next matching emission, or a past one with includePast', async () => {
    const emitter = new EventEmitter<Events>()
    const events = recordEvents<Events>(emitter, ['ping'])
    emitter.emit('ping', { n: 1 })
    const next = events.waitFor('ping', ({ n }) => n > 2)
    emitter.emit('ping', { n: 2 })
    emitter.emit('ping', { n: 3 })
    await expect(next).resolves.toEqual({ n: 3 })
    await expect(events.waitFor('ping', ({ n }) => n === 1, { includePast: true })).resolves.toEqual({ n: 1 })
    events.stop()
  })

  it('stop() removes its listeners; clear() forgets what was recorded', () => {
    const emitter = new EventEmitter<Events>()
    const events = recordEvents<Events>(emitter, ['ping'])
    emitter.emit('ping', { n: 1 })
    events.clear()
    expect(events.events).toEqual([])
    events.stop()
    expect(emitter.listenerCount('ping')).toBe(0)
    emitter.emit('ping', { n: 2 })
    expect(events.events).toEqual([])
  })
})
