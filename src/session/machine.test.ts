import { describe, expect, it } from 'vitest'

import { isTerminal, type SessionInput, type SessionState, transition } from './machine'

const STATES: SessionState[] = ['connecting', 'live', 'reconnecting', 'migrating', 'closed', 'failed']
const INPUTS: SessionInput[] = [
  'connected',
  'dropped',
  'reconnect',
  'recovered',
  'migrate',
  'migrated',
  'migrationAbandoned',
  'fail',
  'close',
]

const FAIL = { state: 'failed', effects: ['abortOperation', 'releaseAll', 'emitFailed', 'dispose'] }
const CLOSE = { state: 'closed', effects: ['abortOperation', 'releaseAll', 'emitClosed', 'dispose'] }
const RECONNECT = { state: 'reconnecting', effects: ['abortOperation', 'releaseCurrent', 'startReconnect'] }

describe('transition(state, input)', () => {
  it.each([
    ['connecting', 'connected', { state: 'live', effects: [] }],
    ['connecting', 'fail', FAIL],
    ['connecting', 'close', CLOSE],
    ['live', 'dropped', RECONNECT],
    ['live', 'reconnect', RECONNECT],
    ['live', 'migrate', { state: 'migrating', effects: [] }],
    ['live', 'fail', FAIL],
    ['live', 'close', CLOSE],
    ['reconnecting', 'recovered', { state: 'live', effects: [] }],
    ['reconnecting', 'fail', FAIL],
    ['reconnecting', 'close', CLOSE],
    ['migrating', 'migrated', { state: 'live', effects: [] }],
    ['migrating', 'migrationAbandoned', { state: 'live', effects: [] }],
    ['migrating', 'migrate', { state: 'migrating', effects: ['abortOperation'] }],
    ['migrating', 'dropped', { state: 'migrating', effects: ['markInterrupted'] }],
    ['migrating', 'reconnect', RECONNECT],
    ['migrating', 'fail', FAIL],
    ['migrating', 'close', CLOSE],
  ] as const)('%s + %s', (state, input, expected) => {
    expect(transition(state, input)).toEqual(expected)
  })

  it.each([
    ['connecting', 'dropped'],
    ['connecting', 'migrate'],
    ['live', 'connected'],
    ['live', 'migrated'],
    ['reconnecting', 'dropped'],
    ['reconnecting', 'reconnect'],
    ['reconnecting', 'migrate'],
    ['migrating', 'connected'],
    ['migrating', 'recovered'],
  ] as const)('ignores %s + %s (same state, no effects)', (state, input) => {
    expect(transition(state, input)).toEqual({ state, effects: [] })
  })

  it.each(['closed', 'failed'] as const)('never leaves %s, whatever happens', (state) => {
    for (const input of INPUTS) {
      expect(transition(state, input)).toEqual({ state, effects: [] })
    }
  })

  it('closes from every live-ish state, releasing everything, and fails the same way', () => {
    for (const state of STATES.filter((s) => !isTerminal(s))) {
      expect(transition(state, 'close')).toEqual(CLOSE)
      expect(transition(state, 'fail')).toEqual(FAIL)
    }
  })

  it('only the terminal states are terminal', () => {
    expect(STATES.filter(isTerminal)).toEqual(['closed', 'failed'])
  })
})
