import { describe, expect, it } from 'vitest'
import { Pid } from '../pid.ts'
import { Ref } from '../ref.ts'
import { Watchers } from './watchers.ts'

const target = new Pid('here@h', 1, 1)
const ref = (node: string, id: number, creation = 1): Ref => new Ref(node, id, creation)
const pid = (node: string): Pid => new Pid(node, 9, 1)

describe('Watchers', () => {
  it('keeps watchers from two nodes whose refs share an id apart', () => {
    const w = new Watchers()
    w.add(ref('a@h', 5), pid('a@h'), target, true)
    w.add(ref('b@h', 5), pid('b@h'), target, false)
    w.add(ref('a@h', 5, 2), pid('a@h'), target, false) // a later incarnation of a@h
    expect(w.size).toBe(3)
    expect(w.get(ref('b@h', 5))?.watcher).toEqual(pid('b@h'))
    expect(w.get(ref('a@h', 5))?.byCall).toBe(true)
    expect(w.delete(ref('a@h', 5))).toBe(true) // the head of the chain
    expect(w.get(ref('b@h', 5))).toBeDefined()
    expect(w.get(ref('a@h', 5, 2))).toBeDefined()
    expect(w.delete(ref('c@h', 5))).toBe(false)
    expect(w.delete(ref('b@h', 5))).toBe(true)
    expect(w.list().map((x) => x.ref)).toEqual([ref('a@h', 5, 2)])
    expect(w.delete(ref('a@h', 5, 2))).toBe(true)
    expect(w.size).toBe(0)
    expect(w.list()).toEqual([])
  })

  it('replaces a watcher added again with an equal ref, and lists a copy', () => {
    const w = new Watchers()
    w.add(ref('a@h', 1), pid('a@h'), target, false)
    w.add(ref('a@h', 1), pid('a@h'), 'name', true)
    expect(w.size).toBe(1)
    expect(w.get(ref('a@h', 1))?.as).toBe('name')
    for (let i = 2; i <= 4; i++) w.add(ref('a@h', i), pid('a@h'), target, false)
    const seen = []
    for (const x of w.list()) {
      seen.push(x.ref.id)
      w.delete(x.ref)
    }
    expect(seen.sort()).toEqual([1, 2, 3, 4])
    expect(w.size).toBe(0)
  })
})
