/**
 * Router: where every message and signal goes. A message to a local pid or name is put in that mailbox; one for
 * another node goes through the Distribution (the commonest, a send to a pid, by its `sendMessage` fast path; a call
 * and its reply as one control message each when the distribution carries them). What the distribution says back is
 * acted on here too: `'busy'` pauses the sending actor until the connection drains (backpressure), `'unreachable'`
 * makes a dead letter.
 *
 * Hot path: `route` (every send), `callRemote` and `reply` (every remote call).
 */
import type { Address, From } from '../actor/ctx.ts'
import { assertSerializable } from '../codec.ts'
import type { MessageCodec } from '../codec.ts'
import type { ControlMessage } from '../distribution/control-message.ts'
import type { Distribution, DistributionSendResult } from '../distribution/distribution.ts'
import { localOf, Pid } from '../pid.ts'
import { Ref } from '../ref.ts'
import type { MonitorTarget } from '../signals.ts'
import type { Actor } from './actor.ts'
import { ActorStatus } from './actor.ts'
import type { CallbackProcess } from './callback-process.ts'
import { callReply } from './call-messages.ts'
import type { ProcessTable } from './process-table.ts'
import type { Registry } from './registry.ts'
import type { Scheduler } from './scheduler.ts'
import type { Tracer } from './tracer.ts'

/** Resolves `{ global: name }` addresses; installed by the `global` cluster service. */
export type GlobalResolver = (name: string) => Pid | undefined

export class Router {
  readonly #table: ProcessTable
  readonly #registry: Registry
  readonly #tracer: Tracer
  readonly #scheduler: Scheduler
  /** Set with `strictMessages`: every message goes through the codec, as if it crossed the wire. */
  readonly #strictCodec: MessageCodec | undefined
  #distribution: Distribution | undefined = undefined
  #globalResolver: GlobalResolver | undefined = undefined

  constructor(table: ProcessTable, registry: Registry, tracer: Tracer, scheduler: Scheduler, strictCodec: MessageCodec | undefined) {
    this.#table = table
    this.#registry = registry
    this.#tracer = tracer
    this.#scheduler = scheduler
    this.#strictCodec = strictCodec
  }

  get distribution(): Distribution | undefined {
    return this.#distribution
  }

  set distribution(distribution: Distribution) {
    this.#distribution = distribution
  }

  set globalResolver(resolver: GlobalResolver) {
    this.#globalResolver = resolver
  }

  resolveGlobal(name: string): Pid | undefined {
    return this.#globalResolver?.(name)
  }

  /** True when `to` names `actor` itself on this node: its pid, its registered name, or a global name it holds. */
  isSelf(to: Address, actor: Actor): boolean {
    if (to instanceof Pid) return to.node === this.#table.node && to.id === actor.pid.id && to.creation === actor.pid.creation
    if (typeof to === 'string') return this.#registry.get(to) === actor
    if (typeof to !== 'object' || to === null) return false
    if ('global' in to) {
      const pid = this.#globalResolver?.(to.global)
      return pid !== undefined && this.isSelf(pid, actor)
    }
    return to.node === this.#table.node && this.#registry.get(to.name) === actor
  }

  /** Sends `msg` to `to` on behalf of `sender` (undefined outside actors). Never throws for a dead target. */
  route(to: Address, msg: unknown, sender: Actor | undefined): void {
    // The commonest send, to a live local actor through the pid it was spawned with, in a function small enough for
    // V8 to inline into the sender's loop; everything else takes `#routeAny`. A bound actor is this node's when this
    // system's scheduler runs it: another system in the same process (tests run several, a node restarted within a
    // process keeps its name) has a scheduler of its own.
    if (to instanceof Pid && this.#strictCodec === undefined && !this.#tracer.tracing) {
      const local = localOf(to)
      if (local !== undefined && local.runner === this.#scheduler) {
        if (sender !== undefined) this.#scheduler.reductions++
        local.deliver(msg)
        return
      }
    }
    this.#routeAny(to, msg, sender)
  }

  #routeAny(to: Address, msg: unknown, sender: Actor | undefined): void {
    const table = this.#table
    if (this.#strictCodec !== undefined) {
      assertSerializable(msg)
      msg = this.#strictCodec.decode(this.#strictCodec.encode(msg))
    }
    if (this.#tracer.tracing) this.#tracer.emit({ type: 'send', from: sender?.pid, to, msg })
    if (sender !== undefined) this.#scheduler.reductions++
    if (to instanceof Pid) {
      if (to.node === table.node) {
        // The pid object an actor was spawned with knows its actor while it lives, so most local sends skip the
        // table (as in `route`).
        const local = localOf(to)
        if (local !== undefined && local.runner === this.#scheduler) {
          local.deliver(msg)
          return
        }
        const proc = table.lookup(to)
        if (proc === undefined) table.deadLetter(to, msg, 'noproc')
        else proc.deliver(msg)
      } else {
        const dist = this.#distribution
        const result = dist === undefined ? 'unreachable' : dist.sendMessage(to, sender?.pid, msg)
        this.#sent(result, to.node, sender, to, msg)
      }
      return
    }
    if (typeof to === 'string') {
      const actor = this.#registry.get(to)
      if (actor === undefined) table.deadLetter(to, msg, 'noproc')
      else actor.deliver(msg)
      return
    }
    if (typeof to === 'object' && to !== null) {
      if ('global' in to) {
        const pid = this.#globalResolver?.(to.global)
        if (pid === undefined) table.deadLetter(to, msg, 'noproc')
        else this.route(pid, msg, sender)
        return
      }
      if (to.node === table.node) {
        this.route(to.name, msg, sender)
        return
      }
      const dist = this.#distribution
      const result = dist === undefined ? 'unreachable' : dist.send(to.node, { type: 'sendName', name: to.name, from: sender?.pid, msg })
      this.#sent(result, to.node, sender, to, msg)
      return
    }
    table.deadLetter(to, msg, 'noproc')
  }

  /**
   * Sends a call to a remote `target` as one `call` control message, when the distribution carries them
   * (`compactCalls`) and no tracer needs to see the request as a message of its own; false when it did not.
   * `caller` then holds the monitor `ref`, as a monitor set up by links-and-monitors.ts would be.
   */
  callRemote(caller: CallbackProcess, target: MonitorTarget, ref: Ref, request: unknown, sender: Actor | undefined): boolean {
    const dist = this.#compactCalls()
    if (dist === undefined || typeof target !== 'object') return false
    const node = target.node
    if (node === this.#table.node) return false
    if (this.#strictCodec !== undefined) assertSerializable(request)
    const to = target instanceof Pid ? target : target.name
    caller.monitors.add({ ref, target, node, pid: undefined })
    if (sender !== undefined) this.#scheduler.reductions++
    let result: DistributionSendResult
    try {
      result =
        dist.sendCall !== undefined
          ? dist.sendCall(node, to, caller.pid, ref, request, sender?.pid)
          : dist.send(node, { type: 'call', to, port: caller.pid, ref, request, from: sender?.pid })
    } catch (error) {
      caller.monitors.delete(ref) // nothing was sent: there is no monitor to cancel
      throw error
    }
    if (result === 'unreachable') caller.monitorFailed(ref, target, 'noconnection')
    this.#sent(result, node, sender, target, request)
    return true
  }

  /**
   * `sender` replies `value` to the call `from`. To another node over a distribution with `compactCalls`, the reply
   * also removes the call's monitor of `sender` (when `sender` is the actor the call monitored), so the caller need
   * not send a `demonitor`.
   */
  reply(sender: Actor, from: From, value: unknown): void {
    const to = from.pid
    const dist = this.#compactCalls()
    if (dist !== undefined && to instanceof Pid && to.node !== this.#table.node && from.ref instanceof Ref) {
      if (this.#strictCodec !== undefined) assertSerializable(value)
      const ref = from.ref
      const watcher = sender.watchers?.get(ref)
      const released = watcher !== undefined && watcher.byCall && watcher.watcher.equals(to)
      this.#scheduler.reductions++
      const result = dist.send(to.node, { type: 'reply', to, ref, value, released, from: sender.pid })
      if (released) sender.watchers?.delete(ref)
      this.#sent(result, to.node, sender, to, value)
      return
    }
    this.route(to, callReply(from.ref, value), sender)
  }

  /**
   * Sends a control message for a signal (link, monitor, exit...), in order after what `sender` sent before (see
   * `Distribution.send`). Returns false if the node is unreachable.
   */
  control(node: string, control: ControlMessage, sender?: Pid): boolean {
    const dist = this.#distribution
    if (dist === undefined) return false
    return (sender === undefined ? dist.send(node, control) : dist.send(node, control, sender)) !== 'unreachable'
  }

  /** The connected nodes, as the distribution knows them. */
  nodes(): string[] {
    return this.#distribution?.nodes() ?? []
  }

  /** The distribution, when calls and replies may go as `call` and `reply` messages: it carries them, and no tracer
   * needs to see a call's request and reply as sends of their own. */
  #compactCalls(): Distribution | undefined {
    const dist = this.#distribution
    return dist?.compactCalls === true && !this.#tracer.tracing ? dist : undefined
  }

  /** Acts on what the distribution did with a message to `node`: pauses a sender on 'busy', drops on 'unreachable'. */
  #sent(result: DistributionSendResult, node: string, sender: Actor | undefined, to: unknown, msg: unknown): void {
    if (result === 'busy') {
      // Once paused, the actor's later sends in the same turn are busy too: asking for another drain promise for each
      // of them (one waiter each, woken together) was garbage that only the first one's pause needed.
      if (sender !== undefined && !sender.paused && this.#distribution !== undefined) this.#pause(sender, this.#distribution.drain(node))
    } else if (result === 'unreachable') {
      this.#table.deadLetter(to, msg, 'unreachable')
    }
  }

  /**
   * Backpressure: `actor`, not paused yet, takes no message until `drained` resolves (and `ctx.drain()` waits for it).
   */
  #pause(actor: Actor, drained: Promise<void>): void {
    const resume = (): void => {
      actor.drained = null
      if (actor.status !== ActorStatus.dead && actor.mailboxDepth > 0) this.#scheduler.enqueue(actor)
    }
    actor.drained = drained.then(resume, resume)
  }
}
