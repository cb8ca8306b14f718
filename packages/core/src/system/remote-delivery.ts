/**
 * RemoteDelivery: the one inbound path from other nodes to this system, the `DistributionEndpoint` a distribution is
 * given. Each control message, or for the commonest ones (a run of sends, a call, a reply) just their fields, is
 * applied here to the process table, through the same parts a local signal uses: links and monitors, routing, remote
 * spawns, node membership. Errors are isolated here, once for every distribution: whatever the system throws while
 * handling what arrived is logged, and the distribution carries on with its next message.
 *
 * Hot path: `deliverSends`, `deliverCall` and `deliverReply` (every remote message and call).
 */
import type { Logger } from 'pino'
import type { ControlMessage } from '../distribution/control-message.ts'
import type { DistributionEndpoint, NodeDownReason } from '../distribution/distribution.ts'
import { Pid } from '../pid.ts'
import { Ref } from '../ref.ts'
import type { MonitorTarget } from '../signals.ts'
import { callReply, callRequest } from './call-messages.ts'
import type { LinksAndMonitors } from './links-and-monitors.ts'
import type { NodeMembership } from './node-membership.ts'
import type { Process } from './process.ts'
import type { ProcessTable } from './process-table.ts'
import type { Registry } from './registry.ts'
import type { RemoteSpawn } from './remote-spawn.ts'

/** The parts what arrives is applied to. */
export interface RemoteDeliveryParts {
  readonly table: ProcessTable
  readonly registry: Registry
  readonly signals: LinksAndMonitors
  readonly remoteSpawn: RemoteSpawn
  readonly membership: NodeMembership
  readonly logger: Logger
}

/** How many times each inbound path was taken: for the Distribution contract suite, which proves that every distribution hands the system the commonest messages by their fast paths. */
export interface InboundCounts {
  /** `deliverSends` calls (runs of messages), and the messages in them. */
  sendRuns: number
  sends: number
  calls: number
  replies: number
  /** `deliver` calls: every other control message. */
  controls: number
}

export class RemoteDelivery implements DistributionEndpoint {
  readonly counts: InboundCounts = { sendRuns: 0, sends: 0, calls: 0, replies: 0, controls: 0 }
  readonly #table: ProcessTable
  readonly #registry: Registry
  readonly #signals: LinksAndMonitors
  readonly #remoteSpawn: RemoteSpawn
  readonly #membership: NodeMembership
  readonly #logger: Logger

  constructor(parts: RemoteDeliveryParts) {
    this.#table = parts.table
    this.#registry = parts.registry
    this.#signals = parts.signals
    this.#remoteSpawn = parts.remoteSpawn
    this.#membership = parts.membership
    this.#logger = parts.logger
  }

  /** Messages `msgs[start..end)` for `to`, in order (a run from one sender). */
  deliverSends(to: Pid, msgs: readonly unknown[], start: number, end: number, bytes = 0): Promise<void> | undefined {
    this.counts.sendRuns++
    this.counts.sends += end - start
    try {
      const table = this.#table
      const proc = table.lookup(to)
      if (proc !== undefined) {
        proc.deliverMany(msgs, start, end)
        return proc.pressure(bytes / (end - start))
      }
      for (let i = start; i < end; i++) table.deadLetter(to, msgs[i], 'noproc')
    } catch (error) {
      this.#failed(error, to.node)
    }
    return undefined
  }

  /** A call from `fromNode`, as ids (`DistributionEndpoint.deliverCall`); returns the callee's pressure, as a send does. */
  deliverCall(fromNode: string, to: number | string, toCreation: number | null, portId: number, refId: number, creation: number, request: unknown, bytes = 0): Promise<void> | undefined {
    this.counts.calls++
    try {
      const table = this.#table
      const port = new Pid(fromNode, portId, creation)
      const ref = new Ref(fromNode, refId, creation)
      if (typeof to === 'string') {
        const named = this.#registry.get(to)
        this.#call(fromNode, to, named, port, ref, request)
        return named?.pressure(bytes)
      }
      const proc = toCreation === table.creation ? table.actorById(to) : undefined
      // The actor's own pid stands for the one the caller named: no pid is built for a call that finds its callee.
      this.#call(fromNode, proc?.pid ?? new Pid(table.node, to, toCreation ?? -1), proc, port, ref, request)
      return proc?.pressure(bytes)
    } catch (error) {
      this.#failed(error, fromNode)
    }
    return undefined
  }

  /** A call's reply, as ids (`DistributionEndpoint.deliverReply`): a waiting call gets the value as it is. */
  deliverReply(toId: number, refId: number, creation: number, value: unknown, released: boolean): void {
    this.counts.replies++
    try {
      const table = this.#table
      const waiting = creation === table.creation ? table.callbackById(toId) : undefined
      if (waiting !== undefined) waiting.deliverReply(refId, value, released)
      else this.#reply(new Pid(table.node, toId, creation), new Ref(table.node, refId, creation), value, released)
    } catch (error) {
      this.#failed(error, undefined)
    }
  }

  /** A control message arrived from `fromNode`. */
  deliver(fromNode: string, c: ControlMessage, bytes = 0): Promise<void> | undefined {
    this.counts.controls++
    try {
      return this.#apply(fromNode, c, bytes)
    } catch (error) {
      this.#failed(error, fromNode)
    }
    return undefined
  }

  nodeUp(node: string, info?: { hidden?: boolean }): void {
    try {
      this.#membership.nodeUp(node, info?.hidden === true)
    } catch (error) {
      this.#failed(error, node)
    }
  }

  nodeDown(node: string, reason: NodeDownReason): void {
    try {
      this.#signals.nodeDown(node)
      this.#remoteSpawn.nodeDown(node)
      this.#membership.nodeDown(node, reason)
    } catch (error) {
      this.#failed(error, node)
    }
  }

  /** Applies `c`; for a message to an actor, returns that actor's pressure (see `DistributionEndpoint.deliver`). */
  #apply(fromNode: string, c: ControlMessage, bytes: number): Promise<void> | undefined {
    const signals = this.#signals
    switch (c.type) {
      case 'send': {
        const proc = this.#table.lookup(c.to)
        if (proc === undefined) this.#table.deadLetter(c.to, c.msg, 'noproc')
        else {
          proc.deliver(c.msg)
          return proc.pressure(bytes)
        }
        return
      }
      case 'sendName': {
        const actor = this.#registry.get(c.name)
        if (actor === undefined) this.#table.deadLetter({ name: c.name, node: this.#table.node }, c.msg, 'noproc')
        else {
          actor.deliver(c.msg)
          return actor.pressure(bytes)
        }
        return
      }
      case 'link':
        signals.linkFrom(fromNode, c.from, c.to)
        return
      case 'unlink':
        signals.unlinkFrom(c.from, c.to)
        return
      case 'exit':
        signals.exitFrom(c.from, c.to, c.reason, c.link)
        return
      case 'monitor':
        signals.monitorFrom(fromNode, c.from, c.to, c.ref)
        return
      case 'demonitor':
        signals.demonitorFrom(c.to, c.ref)
        return
      case 'down':
        signals.downFrom(fromNode, c.from, c.to, c.ref, c.reason)
        return
      case 'call': {
        const callee = typeof c.to === 'string' ? this.#registry.get(c.to) : this.#table.lookup(c.to)
        this.#call(fromNode, c.to, callee, c.port, c.ref, c.request)
        return callee?.pressure(bytes)
      }
      case 'reply':
        this.#reply(c.to, c.ref, c.value, c.released)
        return
      case 'spawnRequest':
        this.#remoteSpawn.answer(fromNode, c)
        return
      case 'spawnReply':
        this.#remoteSpawn.replied(c)
        return
    }
  }

  /** A call arrived from `fromNode` for `to` (a pid, or a name registered here), which is `proc` if it exists. */
  #call(fromNode: string, to: Pid | string, proc: Process | undefined, port: Pid, ref: Ref, request: unknown): void {
    const msg = callRequest(port, ref, request)
    if (!this.#signals.monitorFrom(fromNode, port, to, ref, true, proc)) {
      const as: MonitorTarget = typeof to === 'string' ? { name: to, node: this.#table.node } : to
      this.#table.deadLetter(as, msg, 'noproc')
      return
    }
    ;(proc as Process).deliver(msg)
  }

  /** A reply for `to`, a callback process or an actor of this node; `released`: the callee dropped the call's monitor. */
  #reply(to: Pid, ref: Ref, value: unknown, released: boolean): void {
    const proc = this.#table.lookup(to)
    const msg = callReply(ref, value)
    if (proc === undefined) {
      this.#table.deadLetter(to, msg, 'noproc')
      return
    }
    if (released) proc.monitorReleased(ref)
    proc.deliver(msg)
  }

  /** The one place an error in handling what arrived ends: logged, never thrown back into the distribution. */
  #failed(error: unknown, peer: string | undefined): void {
    this.#logger.error({ err: error, peer }, 'system failed to handle a control message')
  }
}
