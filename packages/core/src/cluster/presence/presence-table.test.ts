import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { Pid } from '../../pid.ts'
import { PresenceTable } from './presence-table.ts'
import type { PresenceDiff } from './presence-table.ts'

describe('PresenceTable', () => {
  it('replaces a node with its snapshot, delivering only the differences', () => {
    const table = new PresenceTable(pino({ level: 'silent' }))
    const diffs: PresenceDiff[] = []
    table.subscribe('room', (d) => diffs.push(d))
    const p1 = new Pid('b@h', 1, 1)
    const p2 = new Pid('b@h', 2, 1)
    table.put('room', 'ada', { v: 1 }, 'b@h', p1, 1)
    table.put('room', 'bob', { v: 1 }, 'b@h', p2, 2)
    diffs.length = 0
    table.replaceNode('b@h', [
      ['room', 'ada', { v: 1 }, p1, 1],
      ['room', 'ada', { v: 2 }, p2, 3],
    ])
    expect(diffs).toEqual([
      { joins: [{ key: 'ada', meta: { v: 2 }, node: 'b@h', pid: p2 }], leaves: [] },
      { joins: [], leaves: [{ key: 'bob', meta: { v: 1 }, node: 'b@h', pid: p2 }] },
    ])
    expect(table.list('room').map((e) => e.key)).toEqual(['ada', 'ada'])
    table.dropNode('b@h')
    expect(table.topics()).toEqual([])
  })

  it('a repeat of a known version changes nothing; a listener that throws does not stop the others', () => {
    const table = new PresenceTable(pino({ level: 'silent' }))
    let seen = 0
    table.subscribe('room', () => {
      throw new Error('bug')
    })
    table.subscribe('room', () => seen++)
    const p = new Pid('a@h', 1, 1)
    table.put('room', 'ada', 1, 'a@h', p, 1)
    table.put('room', 'ada', 1, 'a@h', p, 1)
    expect(seen).toBe(1)
    expect(table.removePid(p)).toEqual([['room', 'ada']])
    expect(seen).toBe(2)
  })
})
