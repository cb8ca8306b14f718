/**
 * Links and monitors: the one path every signal takes, whether it starts here or arrives from another node. A link or
 * monitor to a local process is set up on that process; to a remote one it becomes a control message, and the
 * control messages that arrive from other nodes are applied by the same methods a local signal uses. When an actor
 * ends, its links get exit signals and its watchers Downs (`actorEnded`); when a node is lost, every link and monitor
 * across it fires with `'noconnection'` (`nodeDown`).
 */
import { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import type { MonitorTarget } from '../signals.ts'
import type { Actor } from './actor.ts'
import type { MonitorHolder, Process } from './process.ts'
import type { ProcessTable } from './process-table.ts'
import type { Registry } from './registry.ts'
import type { Router } from './router.ts'
import type { Tracer } from './tracer.ts'

export class LinksAndMonitors {
  readonly #table: ProcessTable
  readonly #registry: Registry
  readonly #router: Router
  readonly #tracer: Tracer

  constructor(table: ProcessTable, registry: Registry, router: Router, tracer: Tracer) {
    this.#table = table
    this.#registry = registry
    this.#router = router
    this.#tracer = tracer
  }

  // ---- links ---------------------------------------------------------------------------------------------------

  link(actor: Actor, pid: Pid): void {
    if (pid.equals(actor.pid)) return
    if (this.#tracer.tracing) this.#tracer.emit({ type: 'link', from: actor.pid, to: pid })
    if (this.#table.isLocal(pid)) {
      if (!this.#linkedBy(pid, actor.pid)) {
        actor.exitSignal(pid, 'noproc', true)
        return
      }
      actor.addLink(pid)
      return
    }
    actor.addLink(pid)
    if (!this.#router.control(pid.node, { type: 'link', from: actor.pid, to: pid })) actor.exitSignal(pid, 'noconnection', true)
  }

  /** A process of `fromNode` linked to our `to`: if `to` is gone, the link fires back at once with `'noproc'`. */
  linkFrom(fromNode: string, from: Pid, to: Pid): void {
    if (!this.#linkedBy(to, from)) this.#router.control(fromNode, { type: 'exit', from: to, to: from, reason: 'noproc', link: true })
  }

  /** The local process `target` records the link from `from`; false if it is gone. */
  #linkedBy(target: Pid, from: Pid): boolean {
    const proc = this.#table.lookup(target)
    return proc !== undefined && proc.linkedBy(from)
  }

  unlink(actor: Actor, pid: Pid): void {
    if (actor.links === null || !actor.links.delete(pid.key)) return
    if (this.#tracer.tracing) this.#tracer.emit({ type: 'unlink', from: actor.pid, to: pid })
    if (this.#table.isLocal(pid)) this.unlinkFrom(actor.pid, pid)
    else this.#router.control(pid.node, { type: 'unlink', from: actor.pid, to: pid })
  }

  /** `from` (of any node) removed its link to our `to`. */
  unlinkFrom(from: Pid, to: Pid): void {
    this.#table.lookup(to)?.unlinkedBy(from)
  }

  // ---- exit signals --------------------------------------------------------------------------------------------

  /** Sends `pid` an exit signal with `reason` from `from` (`link`: it is a linked process's end). */
  exit(pid: Pid, reason: unknown, from: Pid, link = false): void {
    if (this.#table.isLocal(pid)) this.exitFrom(from, pid, reason, link)
    else this.#router.control(pid.node, { type: 'exit', from, to: pid, reason, link })
  }

  /**
   * An exit signal from `from` (of any node) reached our `to`. Never forwarded: a peer can signal only this node's
   * processes.
   */
  exitFrom(from: Pid, to: Pid, reason: unknown, link: boolean): void {
    this.#table.lookup(to)?.exitSignal(from, reason, link)
  }

  // ---- monitors ------------------------------------------------------------------------------------------------

  /** `watcher` monitors `target`; a Down reaches it when `target` ends (at once, with `'noproc'`, if it is gone). */
  monitor(watcher: MonitorHolder, target: MonitorTarget): Ref {
    const table = this.#table
    const ref = table.makeRef()
    let node: string
    let local: Process | undefined
    let remoteTo: Pid | string | undefined
    if (target instanceof Pid) {
      node = target.node
      if (node === table.node) local = table.lookup(target)
      else remoteTo = target
    } else if (typeof target === 'string') {
      node = table.node
      local = this.#registry.get(target)
    } else {
      node = target.node
      if (node === table.node) local = this.#registry.get(target.name)
      else remoteTo = target.name
    }
    watcher.heldMonitors().add({ ref, target, node, pid: local?.pid })
    if (remoteTo !== undefined) {
      if (!this.#router.control(node, { type: 'monitor', from: watcher.pid, to: remoteTo, ref })) {
        watcher.monitorFailed(ref, target, 'noconnection')
      }
    } else if (local === undefined || !local.watchedBy(ref, watcher.pid, target)) {
      watcher.monitorFailed(ref, target, 'noproc')
    }
    return ref
  }

  /**
   * `watcher`, a process of `fromNode`, monitors our `to` (a pid, or a name registered here); `byCall` marks the
   * monitor of a call, whose receiver has looked `to` up already (`proc`). False when `to` is gone: a Down with
   * `'noproc'` has been sent back.
   */
  monitorFrom(fromNode: string, watcher: Pid, to: Pid | string, ref: Ref, byCall = false, proc: Process | undefined = this.#resolve(to)): boolean {
    const as: MonitorTarget = typeof to === 'string' ? { name: to, node: this.#table.node } : to
    if (proc !== undefined && proc.watchedBy(ref, watcher, as, byCall)) return true
    this.#router.control(fromNode, { type: 'down', from: to, to: watcher, ref, reason: 'noproc' })
    return false
  }

  demonitor(watcher: MonitorHolder, ref: Ref): void {
    const monitors = watcher.monitors
    const held = monitors?.get(ref)
    if (held === undefined) return
    monitors!.delete(ref)
    if (held.node === this.#table.node) {
      if (held.pid !== undefined) this.#table.lookup(held.pid)?.unwatchedBy(held.ref)
    } else {
      const to = held.target instanceof Pid ? held.target : typeof held.target === 'object' ? held.target.name : held.target
      this.#router.control(held.node, { type: 'demonitor', from: watcher.pid, to, ref: held.ref })
    }
  }

  /** A process of another node cancelled its monitor `ref` of our `to`. */
  demonitorFrom(to: Pid | string, ref: Ref): void {
    this.#resolve(to)?.unwatchedBy(ref)
  }

  /** A monitor held by our `to` fired on `fromNode`: `from` ended with `reason`. */
  downFrom(fromNode: string, from: Pid | string, to: Pid, ref: Ref, reason: unknown): void {
    const target: MonitorTarget = typeof from === 'string' ? { name: from, node: fromNode } : from
    this.#table.lookup(to)?.down(ref, target, reason)
  }

  // ---- an actor's end, a node's loss ---------------------------------------------------------------------------

  /** `actor` ended with `reason` (already `'killed'` for a kill): its links, watchers and monitors fire. */
  actorEnded(actor: Actor, reason: unknown): void {
    if (actor.links !== null) {
      for (const pid of actor.links.values()) this.exit(pid, reason, actor.pid, true)
    }
    if (actor.watchers !== null) {
      for (const w of actor.watchers.list()) this.#sendDown(actor.pid, w.watcher, w.ref, w.as, reason)
    }
    if (actor.monitors !== null) {
      for (const held of actor.monitors.list()) this.demonitor(actor, held.ref)
    }
  }

  /** The connection to `node` was lost: every link and monitor across it fires with `'noconnection'`. */
  nodeDown(node: string): void {
    for (const actor of this.#table.actors()) actor.nodeDown(node)
    for (const callback of this.#table.callbacks()) callback.nodeDown(node)
  }

  /** The Down of `dying` for one watcher; to another node it follows `dying`'s last messages even when monitored by name. */
  #sendDown(dying: Pid, watcher: Pid, ref: Ref, as: MonitorTarget, reason: unknown): void {
    if (this.#tracer.tracing) this.#tracer.emit({ type: 'down', watcher, target: as, reason })
    if (this.#table.isLocal(watcher)) this.#table.lookup(watcher)?.down(ref, as, reason)
    else this.#router.control(watcher.node, { type: 'down', from: as instanceof Pid ? as : typeof as === 'string' ? as : as.name, to: watcher, ref, reason }, dying)
  }

  /** Our process `to`: a pid, or a name registered here. */
  #resolve(to: Pid | string): Process | undefined {
    return typeof to === 'string' ? this.#registry.get(to) : this.#table.lookup(to)
  }
}
