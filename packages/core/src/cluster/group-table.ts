/**
 * GroupTable: one node's view of the process groups of one scope — its own members and the members its peers
 * reported — shared between the scope actor (the only writer of remote entries) and the `Groups` handle, so that
 * `members` and `localMembers` are synchronous lookups, as Erlang's pg reads its ETS table. It also holds the group
 * monitors and sends their join and leave events at the moment the table changes, so an event never disagrees with
 * what a read returns.
 *
 * Gotchas: membership is a set (joining twice is one membership); the arrays returned by reads are cached and frozen,
 * rebuilt only after a change to that group.
 */
import type { Logger } from 'pino'
import type { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'

/** A join or leave, as delivered to a group monitor. */
export interface GroupEvent {
  readonly $cohort: 'groupEvent'
  readonly type: 'join' | 'leave'
  /** The scope the group lives in. */
  readonly scope: string
  readonly group: string
  /** The processes that joined or left (at least one). */
  readonly pids: Pid[]
  /** The ref `monitor` (or `monitorScope`) returned. */
  readonly ref: Ref
}

/** True when `msg` is a GroupEvent (for actors that monitor groups). */
export function isGroupEvent(msg: unknown): msg is GroupEvent {
  return typeof msg === 'object' && msg !== null && (msg as { $cohort?: unknown }).$cohort === 'groupEvent'
}

/** Receives group events when the monitor was set up with a function rather than a pid. */
export type GroupListener = (event: GroupEvent) => void

/** A group's members as `[group, pids]` pairs: the snapshot a scope sends its peers. */
export type GroupSnapshot = [group: string, pids: Pid[]][]

interface Watch {
  readonly ref: Ref
  /** undefined: every group of the scope. */
  readonly group: string | undefined
  readonly target: Pid | GroupListener
}

type Members = Map<string, Pid>

const EMPTY: readonly Pid[] = Object.freeze([])

/** The membership table of one scope on one node. */
export class GroupTable {
  readonly scope: string
  /** This node's name: its members are the local ones. */
  readonly node: string
  /** group → pid key → pid, every node's members. */
  readonly #all = new Map<string, Members>()
  /** node → group → pid key → pid. */
  readonly #byNode = new Map<string, Map<string, Members>>()
  /** pid key → its groups. */
  readonly #groupsOf = new Map<string, Set<string>>()
  readonly #membersCache = new Map<string, readonly Pid[]>()
  readonly #localCache = new Map<string, readonly Pid[]>()
  readonly #watches = new Map<string, Watch>()
  readonly #send: (to: Pid, msg: unknown) => void
  readonly #logger: Logger

  constructor(scope: string, node: string, send: (to: Pid, msg: unknown) => void, logger: Logger) {
    this.scope = scope
    this.node = node
    this.#send = send
    this.#logger = logger
  }

  // ---- reads ---------------------------------------------------------------------------------------------------

  /** Every member of `group` this node knows of, on every node. */
  members(group: string): readonly Pid[] {
    let cached = this.#membersCache.get(group)
    if (cached === undefined) {
      const m = this.#all.get(group)
      cached = m === undefined ? EMPTY : Object.freeze([...m.values()])
      this.#membersCache.set(group, cached)
    }
    return cached
  }

  /** The members of `group` on this node. */
  localMembers(group: string): readonly Pid[] {
    let cached = this.#localCache.get(group)
    if (cached === undefined) {
      const m = this.#byNode.get(this.node)?.get(group)
      cached = m === undefined ? EMPTY : Object.freeze([...m.values()])
      this.#localCache.set(group, cached)
    }
    return cached
  }

  /** The groups with at least one member (on any node); with `pid`, the groups `pid` is a member of. */
  whichGroups(pid?: Pid): string[] {
    if (pid !== undefined) return [...(this.#groupsOf.get(pid.key) ?? [])]
    return [...this.#all.keys()]
  }

  /** True when `pid` is a member of `group`. */
  isMember(group: string, pid: Pid): boolean {
    return this.#all.get(group)?.has(pid.key) === true
  }

  /** True when `pid` is a member of any group. */
  hasMember(pid: Pid): boolean {
    return this.#groupsOf.has(pid.key)
  }

  /** The nodes other than this one with members of `group`, with those members. */
  remoteNodesOf(group: string): Map<string, Members> {
    const out = new Map<string, Members>()
    for (const [node, groups] of this.#byNode) {
      if (node === this.node) continue
      const m = groups.get(group)
      if (m !== undefined) out.set(node, m)
    }
    return out
  }

  /** What `node` holds, as a snapshot (for this node: what the scope sends its peers). */
  snapshot(node: string = this.node): GroupSnapshot {
    const groups = this.#byNode.get(node)
    if (groups === undefined) return []
    return [...groups].map(([group, m]) => [group, [...m.values()]])
  }

  // ---- writes --------------------------------------------------------------------------------------------------

  /** Adds `pids` (all on `node`) to `group`; returns those that were not members yet, and reports them. */
  add(node: string, group: string, pids: readonly Pid[]): Pid[] {
    const added: Pid[] = []
    for (const pid of pids) {
      if (pid.node !== node) continue
      let all = this.#all.get(group)
      if (all?.has(pid.key) === true) continue
      if (all === undefined) this.#all.set(group, (all = new Map()))
      all.set(pid.key, pid)
      let groups = this.#byNode.get(node)
      if (groups === undefined) this.#byNode.set(node, (groups = new Map()))
      let m = groups.get(group)
      if (m === undefined) groups.set(group, (m = new Map()))
      m.set(pid.key, pid)
      let of = this.#groupsOf.get(pid.key)
      if (of === undefined) this.#groupsOf.set(pid.key, (of = new Set()))
      of.add(group)
      added.push(pid)
    }
    if (added.length > 0) this.#changed(node, group, 'join', added)
    return added
  }

  /** Removes `pids` from `group`; returns those that were members, and reports them. */
  remove(group: string, pids: readonly Pid[]): Pid[] {
    const all = this.#all.get(group)
    if (all === undefined) return []
    const removed: Pid[] = []
    for (const pid of pids) {
      if (!all.delete(pid.key)) continue
      const groups = this.#byNode.get(pid.node)
      const m = groups?.get(group)
      m?.delete(pid.key)
      if (m?.size === 0) groups!.delete(group)
      if (groups?.size === 0) this.#byNode.delete(pid.node)
      const of = this.#groupsOf.get(pid.key)
      of?.delete(group)
      if (of?.size === 0) this.#groupsOf.delete(pid.key)
      removed.push(pid)
    }
    if (all.size === 0) this.#all.delete(group)
    // Removals of one call may span nodes only when a caller passes mixed pids; the local cache is reset either way.
    if (removed.length > 0) this.#changed(undefined, group, 'leave', removed)
    return removed
  }

  /** Removes `pid` from every group; returns the groups it left. */
  removePid(pid: Pid): string[] {
    const groups = [...(this.#groupsOf.get(pid.key) ?? [])]
    for (const group of groups) this.remove(group, [pid])
    return groups
  }

  /** Replaces what `node` holds with `snapshot`, reporting the difference as leaves, then joins. */
  replaceNode(node: string, snapshot: GroupSnapshot): void {
    const incoming = new Map<string, Pid[]>()
    for (const [group, pids] of snapshot) incoming.set(group, pids.filter((p) => p.node === node))
    const held = this.#byNode.get(node)
    if (held !== undefined) {
      for (const [group, m] of [...held]) {
        const keep = new Set((incoming.get(group) ?? []).map((p) => p.key))
        const gone = [...m.values()].filter((p) => !keep.has(p.key))
        if (gone.length > 0) this.remove(group, gone)
      }
    }
    for (const [group, pids] of incoming) if (pids.length > 0) this.add(node, group, pids)
  }

  /** Forgets every member on `node` (it went down, or its scope did). */
  dropNode(node: string): void {
    const held = this.#byNode.get(node)
    if (held === undefined) return
    for (const [group, m] of [...held]) this.remove(group, [...m.values()])
  }

  /** Forgets everything, monitors included, without reporting (the scope stopped). */
  clear(): void {
    this.#watches.clear()
    this.#all.clear()
    this.#byNode.clear()
    this.#groupsOf.clear()
    this.#membersCache.clear()
    this.#localCache.clear()
  }

  // ---- monitors ------------------------------------------------------------------------------------------------

  /** Starts delivering the events of `group` (of every group when undefined) to `target`. */
  watch(ref: Ref, group: string | undefined, target: Pid | GroupListener): void {
    this.#watches.set(ref.key, { ref, group, target })
  }

  /** Stops a monitor; returns false if it was unknown. */
  unwatch(ref: Ref): boolean {
    return this.#watches.delete(ref.key)
  }

  /** Stops every monitor delivering to `pid` (it exited). */
  unwatchPid(pid: Pid): void {
    for (const [key, w] of this.#watches) if (typeof w.target !== 'function' && w.target.equals(pid)) this.#watches.delete(key)
  }

  #changed(node: string | undefined, group: string, type: 'join' | 'leave', pids: Pid[]): void {
    this.#membersCache.delete(group)
    if (node === undefined || node === this.node) this.#localCache.delete(group)
    if (this.#watches.size === 0) return
    for (const w of [...this.#watches.values()]) {
      if (w.group !== undefined && w.group !== group) continue
      const event: GroupEvent = { $cohort: 'groupEvent', type, scope: this.scope, group, pids, ref: w.ref }
      if (typeof w.target !== 'function') {
        this.#send(w.target, event)
        continue
      }
      try {
        w.target(event)
      } catch (error) {
        this.#logger.error({ err: error, scope: this.scope, group }, 'group listener threw')
      }
    }
  }
}
