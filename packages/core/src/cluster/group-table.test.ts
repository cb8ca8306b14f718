import { describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { Pid } from '../pid.ts'
import { Ref } from '../ref.ts'
import { GroupTable, isGroupEvent } from './group-table.ts'
import type { GroupEvent } from './group-table.ts'

const pid = (node: string, id: number): Pid => new Pid(node, id, 1)

function table(): { t: GroupTable; sent: unknown[] } {
  const sent: unknown[] = []
  return { t: new GroupTable('s', 'a@h', (_to, msg) => sent.push(msg), pino({ level: 'silent' })), sent }
}

describe('GroupTable', () => {
  it('keeps members per node and per group, as sets', () => {
    const { t } = table()
    expect(t.add('a@h', 'g', [pid('a@h', 1), pid('a@h', 1), pid('b@h', 2)])).toHaveLength(1)
    t.add('b@h', 'g', [pid('b@h', 2)])
    expect(t.members('g').map(String)).toEqual(['<a@h.1>', '<b@h.2>'])
    expect(t.localMembers('g').map(String)).toEqual(['<a@h.1>'])
    expect(Object.isFrozen(t.members('g'))).toBe(true)
    expect(t.members('g')).toBe(t.members('g'))
    expect([...t.remoteNodesOf('g').keys()]).toEqual(['b@h'])
    expect(t.snapshot('b@h')).toEqual([['g', [pid('b@h', 2)]]])
  })

  it('replaceNode reports the difference; dropNode and removePid forget', () => {
    const { t } = table()
    const events: GroupEvent[] = []
    t.watch(new Ref('a@h', 1, 1), undefined, (e) => events.push(e))
    t.add('b@h', 'g', [pid('b@h', 1), pid('b@h', 2)])
    t.replaceNode('b@h', [['g', [pid('b@h', 2), pid('b@h', 3)]], ['h', [pid('b@h', 2)]]])
    expect(events.map((e) => `${e.type} ${e.group} ${e.pids.map(String).join(',')}`)).toEqual([
      'join g <b@h.1>,<b@h.2>',
      'leave g <b@h.1>',
      'join g <b@h.3>',
      'join h <b@h.2>',
    ])
    expect(t.whichGroups(pid('b@h', 2)).sort()).toEqual(['g', 'h'])
    expect(t.removePid(pid('b@h', 2)).sort()).toEqual(['g', 'h'])
    t.dropNode('b@h')
    expect(t.whichGroups()).toEqual([])
    expect(t.members('g')).toEqual([])
  })

  it('sends events to pid watchers of the group only, and a throwing listener does not stop the others', () => {
    const { t, sent } = table()
    const watcher = pid('a@h', 9)
    t.watch(new Ref('a@h', 1, 1), 'g', () => {
      throw new Error('listener bug')
    })
    t.watch(new Ref('a@h', 2, 1), 'g', watcher)
    t.watch(new Ref('a@h', 3, 1), 'other', watcher)
    t.add('a@h', 'g', [pid('a@h', 1)])
    expect(sent).toHaveLength(1)
    expect(isGroupEvent(sent[0])).toBe(true)
    t.unwatchPid(watcher)
    t.remove('g', [pid('a@h', 1)])
    expect(sent).toHaveLength(1)
  })
})
