/**
 * RemoteDelivery: what arrives from other nodes, carried out here. The distribution hands the endpoint each control
 * message, or for the commonest ones (a run of sends, a call, a reply) just their fields, and this applies them to
 * the process table: messages, links, monitors, exits, downs, calls and their replies, remote spawns.
 *
 * Hot path: `deliverSends`, `deliverCall` and `deliverReply` (every remote message and call).
 */
import type { ControlMessage } from '../distribution/control-message.ts'
import { Pid } from '../pid.ts'
import { Ref } from '../ref.ts'
import type { MonitorTarget } from '../signals.ts'
import { callReply, callRequest } from './call-messages.ts'
import type { Process } from './process.ts'
import type { Runtime } from './runtime.ts'

export class RemoteDelivery {
  readonly #rt: Runtime

  constructor(rt: Runtime) {
    this.#rt = rt
  }

  /** Messages `msgs[start..end)` for `to`, in order (a run from one sender). */
  deliverSends(to: Pid, msgs: readonly unknown[], start: number, end: number, bytes = 0): Promise<void> | undefined {
    const rt = this.#rt
    const proc = rt.lookup(to)
    if (proc !== undefined) {
      proc.deliverMany(msgs, start, end)
      return proc.pressure(bytes / (end - start))
    }
    for (let i = start; i < end; i++) rt.deadLetter(to, msgs[i], 'noproc')
    return undefined
  }

  /** A call from `fromNode`, as ids (`DistributionEndpoint.deliverCall`). */
  deliverCall(fromNode: string, to: number | string, toCreation: number | null, portId: number, refId: number, creation: number, request: unknown, bytes = 0): Promise<void> | undefined {
    const rt = this.#rt
    const port = new Pid(fromNode, portId, creation)
    const ref = new Ref(fromNode, refId, creation)
    if (typeof to === 'string') {
      const named = rt.registry.get(to)
      this.#call(fromNode, to, named, port, ref, request)
      return named?.pressure(bytes)
    }
    const proc = toCreation === rt.creation ? rt.actorById(to) : undefined
    // The actor's own pid stands for the one the caller named: no pid is built for a call that finds its callee.
    this.#call(fromNode, proc?.pid ?? new Pid(rt.node, to, toCreation ?? -1), proc, port, ref, request)
    return proc?.pressure(bytes)
  }

  /** A call's reply, as ids (`DistributionEndpoint.deliverReply`): a waiting port gets the value as it is. */
  deliverReply(toId: number, refId: number, creation: number, value: unknown, released: boolean): void {
    const rt = this.#rt
    const port = creation === rt.creation ? rt.portById(toId) : undefined
    if (port !== undefined) port.deliverReply(refId, value, released)
    else this.#reply(new Pid(rt.node, toId, creation), new Ref(rt.node, refId, creation), value, released)
  }

  /** A control message arrived from `fromNode`. */
  deliver(fromNode: string, c: ControlMessage, bytes = 0): Promise<void> | undefined {
    const rt = this.#rt
    switch (c.type) {
      case 'send': {
        const proc = rt.lookup(c.to)
        if (proc === undefined) rt.deadLetter(c.to, c.msg, 'noproc')
        else {
          proc.deliver(c.msg)
          return proc.pressure(bytes)
        }
        return
      }
      case 'sendName': {
        const actor = rt.registry.get(c.name)
        if (actor === undefined) rt.deadLetter({ name: c.name, node: rt.node }, c.msg, 'noproc')
        else {
          actor.deliver(c.msg)
          return actor.pressure(bytes)
        }
        return
      }
      case 'link': {
        const proc = rt.lookup(c.to)
        if (proc === undefined || !proc.linkedBy(c.from)) {
          rt.control(fromNode, { type: 'exit', from: c.to, to: c.from, reason: 'noproc', link: true })
        }
        return
      }
      case 'unlink':
        rt.lookup(c.to)?.unlinkedBy(c.from)
        return
      case 'exit':
        rt.lookup(c.to)?.exitSignal(c.from, c.reason, c.link)
        return
      case 'monitor': {
        const proc = typeof c.to === 'string' ? rt.registry.get(c.to) : rt.lookup(c.to)
        const as: MonitorTarget = typeof c.to === 'string' ? { name: c.to, node: rt.node } : c.to
        if (proc === undefined || !proc.watchedBy(c.ref, c.from, as)) {
          rt.control(fromNode, { type: 'down', from: c.to, to: c.from, ref: c.ref, reason: 'noproc' })
        }
        return
      }
      case 'demonitor': {
        const proc = typeof c.to === 'string' ? rt.registry.get(c.to) : rt.lookup(c.to)
        proc?.unwatchedBy(c.ref)
        return
      }
      case 'down': {
        const target: MonitorTarget = typeof c.from === 'string' ? { name: c.from, node: fromNode } : c.from
        rt.lookup(c.to)?.down(c.ref, target, c.reason)
        return
      }
      case 'call': {
        const callee = typeof c.to === 'string' ? rt.registry.get(c.to) : rt.lookup(c.to)
        this.#call(fromNode, c.to, callee, c.port, c.ref, c.request)
        return callee?.pressure(bytes)
      }
      case 'reply':
        this.#reply(c.to, c.ref, c.value, c.released)
        return
      case 'spawnRequest':
        rt.calls.answerSpawn(fromNode, c)
        return
      case 'spawnReply':
        rt.calls.spawnReplied(c)
        return
    }
  }

  /** A call arrived from `fromNode` for `to` (a pid, or a name registered here), which is `proc` if it exists. */
  #call(fromNode: string, to: Pid | string, proc: Process | undefined, port: Pid, ref: Ref, request: unknown): void {
    const rt = this.#rt
    const as: MonitorTarget = typeof to === 'string' ? { name: to, node: rt.node } : to
    const msg = callRequest(port, ref, request)
    if (proc === undefined || !proc.watchedBy(ref, port, as, true)) {
      rt.control(fromNode, { type: 'down', from: to, to: port, ref, reason: 'noproc' })
      rt.deadLetter(as, msg, 'noproc')
      return
    }
    proc.deliver(msg)
  }

  /** A reply for `to`, a port or an actor of this node; `released`: the callee dropped the call's monitor. */
  #reply(to: Pid, ref: Ref, value: unknown, released: boolean): void {
    const rt = this.#rt
    const proc = rt.lookup(to)
    const msg = callReply(ref, value)
    if (proc === undefined) {
      rt.deadLetter(to, msg, 'noproc')
      return
    }
    if (released) proc.monitorReleased(ref)
    proc.deliver(msg)
  }
}
