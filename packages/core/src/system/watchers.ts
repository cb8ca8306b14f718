/**
 * Watchers: the monitors others hold on one actor, by ref. A server answering calls gains and loses one for every
 * call, so this is churn on the callee's hot path: a lone watcher lives in a field, more go in a Map keyed by ref
 * id. A Map keyed by the ref's key string built that string for every call and churned its table (a sixth of what a
 * callee allocated per remote call). Refs come from every node, and two nodes make refs with the same ids, so
 * watchers whose ids collide are chained and a ref is always compared in full.
 */
import type { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import type { MonitorTarget } from '../signals.ts'

/** A monitor on a process, held by someone else. */
export interface Watcher {
  readonly ref: Ref
  readonly watcher: Pid
  readonly as: MonitorTarget
  /** Set up by a remote call: the reply to `watcher` removes it. */
  readonly byCall: boolean
}

class Entry implements Watcher {
  readonly ref: Ref
  readonly watcher: Pid
  readonly as: MonitorTarget
  readonly byCall: boolean
  /** The next watcher whose ref has the same id (from another node or incarnation). */
  sameId: Entry | undefined = undefined

  constructor(ref: Ref, watcher: Pid, as: MonitorTarget, byCall: boolean) {
    this.ref = ref
    this.watcher = watcher
    this.as = as
    this.byCall = byCall
  }
}

export class Watchers {
  /** The only watcher, while there is at most one (`#many` is then undefined). */
  #one: Entry | undefined = undefined
  #many: Map<number, Entry> | undefined = undefined
  #size = 0

  get size(): number {
    return this.#size
  }

  /** Adds the watcher `ref`, replacing one with an equal ref. */
  add(ref: Ref, watcher: Pid, as: MonitorTarget, byCall: boolean): void {
    this.delete(ref)
    const entry = new Entry(ref, watcher, as, byCall)
    this.#size++
    if (this.#many === undefined) {
      if (this.#one === undefined) {
        this.#one = entry
        return
      }
      this.#many = new Map()
      this.#insert(this.#many, this.#one)
      this.#one = undefined
    }
    this.#insert(this.#many, entry)
  }

  get(ref: Ref): Watcher | undefined {
    let entry = this.#many !== undefined ? this.#many.get(ref.id) : this.#one
    while (entry !== undefined && !entry.ref.equals(ref)) entry = entry.sameId
    return entry
  }

  /** Forgets the watcher `ref`; false if there was none. */
  delete(ref: Ref): boolean {
    const many = this.#many
    if (many === undefined) {
      if (this.#one === undefined || !this.#one.ref.equals(ref)) return false
      this.#one = undefined
      this.#size--
      return true
    }
    let prev: Entry | undefined = undefined
    let entry = many.get(ref.id)
    while (entry !== undefined && !entry.ref.equals(ref)) {
      prev = entry
      entry = entry.sameId
    }
    if (entry === undefined) return false
    if (prev !== undefined) prev.sameId = entry.sameId
    else if (entry.sameId !== undefined) many.set(ref.id, entry.sameId)
    else many.delete(ref.id)
    this.#size--
    if (this.#size === 0) this.#many = undefined
    return true
  }

  /** Every watcher: a copy, safe to use while watchers leave. */
  list(): Watcher[] {
    if (this.#many === undefined) return this.#one === undefined ? [] : [this.#one]
    const out: Watcher[] = []
    for (const head of this.#many.values()) {
      for (let e: Entry | undefined = head; e !== undefined; e = e.sameId) out.push(e)
    }
    return out
  }

  #insert(many: Map<number, Entry>, entry: Entry): void {
    entry.sameId = many.get(entry.ref.id)
    many.set(entry.ref.id, entry)
  }
}
