/**
 * PresenceTable: one node's view of a presence scope: every tracked entry (topic, key, meta, node, pid) of every
 * connected node, indexed by topic, by node and by pid, and the listeners of each topic. Every change returns the
 * joins and leaves it made and delivers them to that topic's listeners, so the tracker's handle and actor only decide
 * what changes. An entry is identified by its topic, pid and key; its version (`v`, counted by its own node) tells a
 * repeat of a known entry from an update.
 */
import type { Logger } from 'pino'
import type { Pid } from '../../pid.ts'

/** One presence: `key` (a user id, say) tracked by `pid` on `node` in a topic, with its `meta`. */
export interface PresenceEntry {
  readonly key: string
  readonly meta: unknown
  readonly node: string
  readonly pid: Pid
}

/** Joins and leaves of one topic, as delivered to its subscribers. An update is a leave and a join of one key. */
export interface PresenceDiff {
  readonly joins: PresenceEntry[]
  readonly leaves: PresenceEntry[]
}

/** A subscriber of a topic's diffs. */
export type PresenceListener = (diff: PresenceDiff) => void

/** An entry as it crosses the wire: `[topic, key, meta, pid, v]`. */
export type WirePresence = [string, string, unknown, Pid, number]

interface Stored extends PresenceEntry {
  readonly topic: string
  readonly v: number
}

function idOf(pid: Pid, key: string): string {
  return `${pid.key}\u0000${key}`
}

/** One node's presence view of one scope. */
export class PresenceTable {
  readonly #topics = new Map<string, Map<string, Stored>>()
  readonly #byNode = new Map<string, Set<Stored>>()
  readonly #byPid = new Map<string, Set<Stored>>()
  readonly #listeners = new Map<string, Set<PresenceListener>>()
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  list(topic: string): PresenceEntry[] {
    const entries = this.#topics.get(topic)
    if (entries === undefined) return []
    const out: PresenceEntry[] = []
    for (const e of entries.values()) out.push({ key: e.key, meta: e.meta, node: e.node, pid: e.pid })
    return out
  }

  topics(): string[] {
    return [...this.#topics.keys()]
  }

  /** The entry of `pid` and `key` in `topic`, if tracked. */
  find(topic: string, pid: Pid, key: string): { meta: unknown; v: number } | undefined {
    return this.#topics.get(topic)?.get(idOf(pid, key))
  }

  /** The entries `pid` tracks. */
  ofPid(pid: Pid): Array<[string, string]> {
    return [...(this.#byPid.get(pid.key) ?? [])].map((e) => [e.topic, e.key])
  }

  hasPid(pid: Pid): boolean {
    return this.#byPid.has(pid.key)
  }

  /** Adds or updates an entry; a repeat of the version held changes nothing. */
  put(topic: string, key: string, meta: unknown, node: string, pid: Pid, v: number): void {
    const id = idOf(pid, key)
    let entries = this.#topics.get(topic)
    const old = entries?.get(id)
    if (old !== undefined && old.v === v) return
    const e: Stored = { topic, key, meta, node, pid, v }
    if (entries === undefined) this.#topics.set(topic, (entries = new Map()))
    entries.set(id, e)
    if (old !== undefined) this.#unindex(old)
    this.#index(e)
    this.#emit(topic, { joins: [publicOf(e)], leaves: old === undefined ? [] : [publicOf(old)] })
  }

  /** Removes the entries of `pid` in `topic` (only `key`'s, if given). Returns the removed keys. */
  remove(topic: string, pid: Pid, key?: string): string[] {
    const entries = this.#topics.get(topic)
    if (entries === undefined) return []
    const removed: Stored[] = []
    if (key !== undefined) {
      const e = entries.get(idOf(pid, key))
      if (e !== undefined) removed.push(e)
    } else {
      for (const e of this.#byPid.get(pid.key) ?? []) if (e.topic === topic) removed.push(e)
    }
    this.#drop(removed)
    return removed.map((e) => e.key)
  }

  /** Removes every entry of `pid` (it exited). Returns what it tracked, as `[topic, key]`. */
  removePid(pid: Pid): Array<[string, string]> {
    const removed = [...(this.#byPid.get(pid.key) ?? [])]
    this.#drop(removed)
    return removed.map((e) => [e.topic, e.key])
  }

  /** Removes every entry of `node` (it went down, or its tracker stopped). */
  dropNode(node: string): void {
    this.#drop([...(this.#byNode.get(node) ?? [])])
  }

  /** Replaces what is held for `node` with its snapshot, delivering only the differences. */
  replaceNode(node: string, snapshot: readonly WirePresence[]): void {
    const keep = new Set<Stored>()
    for (const [topic, key, meta, pid, v] of snapshot) {
      if (pid.node !== node) continue
      this.put(topic, key, meta, node, pid, v)
      keep.add(this.#topics.get(topic)!.get(idOf(pid, key))!)
    }
    this.#drop([...(this.#byNode.get(node) ?? [])].filter((e) => !keep.has(e)))
  }

  /** The entries of `node`, for a peer's sync. */
  snapshot(node: string): WirePresence[] {
    return [...(this.#byNode.get(node) ?? [])].map((e) => [e.topic, e.key, e.meta, e.pid, e.v])
  }

  subscribe(topic: string, listener: PresenceListener): () => void {
    let set = this.#listeners.get(topic)
    if (set === undefined) this.#listeners.set(topic, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0 && this.#listeners.get(topic) === set) this.#listeners.delete(topic)
    }
  }

  clear(): void {
    this.#topics.clear()
    this.#byNode.clear()
    this.#byPid.clear()
    this.#listeners.clear()
  }

  #drop(removed: readonly Stored[]): void {
    if (removed.length === 0) return
    const byTopic = new Map<string, PresenceEntry[]>()
    for (const e of removed) {
      const entries = this.#topics.get(e.topic)
      if (entries?.get(idOf(e.pid, e.key)) !== e) continue
      entries.delete(idOf(e.pid, e.key))
      if (entries.size === 0) this.#topics.delete(e.topic)
      this.#unindex(e)
      let leaves = byTopic.get(e.topic)
      if (leaves === undefined) byTopic.set(e.topic, (leaves = []))
      leaves.push(publicOf(e))
    }
    for (const [topic, leaves] of byTopic) this.#emit(topic, { joins: [], leaves })
  }

  #index(e: Stored): void {
    addTo(this.#byNode, e.node, e)
    addTo(this.#byPid, e.pid.key, e)
  }

  #unindex(e: Stored): void {
    removeFrom(this.#byNode, e.node, e)
    removeFrom(this.#byPid, e.pid.key, e)
  }

  #emit(topic: string, diff: PresenceDiff): void {
    const listeners = this.#listeners.get(topic)
    if (listeners === undefined) return
    for (const listener of listeners) {
      try {
        listener(diff)
      } catch (error) {
        // A subscriber's bug must not stop the tracker or the other subscribers.
        this.#logger.error({ err: error, topic }, 'a presence subscriber threw')
      }
    }
  }
}

function publicOf(e: Stored): PresenceEntry {
  return { key: e.key, meta: e.meta, node: e.node, pid: e.pid }
}

function addTo(index: Map<string, Set<Stored>>, k: string, e: Stored): void {
  let set = index.get(k)
  if (set === undefined) index.set(k, (set = new Set()))
  set.add(e)
}

function removeFrom(index: Map<string, Set<Stored>>, k: string, e: Stored): void {
  const set = index.get(k)
  if (set === undefined) return
  set.delete(e)
  if (set.size === 0) index.delete(k)
}
