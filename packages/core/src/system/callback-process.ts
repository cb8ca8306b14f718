/**
 * CallbackProcess: a process with a pid but no mailbox or behaviour, whose deliveries call back into code outside
 * actors: it waits for one call's reply, or watches an actor for `system.monitor`. A late reply to a call that timed
 * out finds no callback process and is dropped, so it can never turn up as a stray message in an actor's mailbox.
 * (Erlang has no such process; its calls use an alias and a monitor. This is the same idea with a pid.)
 */
import type { Pid } from '../pid.ts'
import { Ref } from '../ref.ts'
import type { MonitorTarget } from '../signals.ts'
import { callReply } from './call-messages.ts'
import { HeldMonitors } from './held-monitors.ts'
import type { MonitorHolder, Process } from './process.ts'

/** What a callback process does with what reaches it. */
export interface CallbackHandlers {
  message(msg: unknown): void
  down(ref: Ref, target: MonitorTarget, reason: unknown): void
  /** A call's reply tagged with this node's ref `refId` (`deliverReply`); without it, `message` gets the envelope. */
  reply?(refId: number, value: unknown): void
}

export class CallbackProcess implements Process, MonitorHolder {
  readonly pid: Pid
  alive = true
  readonly #handlers: CallbackHandlers
  /** The monitors this process holds (one, in practice). */
  readonly monitors = new HeldMonitors()

  constructor(pid: Pid, handlers: CallbackHandlers) {
    this.pid = pid
    this.#handlers = handlers
  }

  deliver(msg: unknown): void {
    if (this.alive) this.#handlers.message(msg)
  }

  /** A port holds at most a reply or two: never under pressure. */
  pressure(): undefined {
    return undefined
  }

  deliverMany(msgs: readonly unknown[], start: number, end: number): void {
    for (let i = start; i < end; i++) this.deliver(msgs[i])
  }

  exitSignal(): void {}

  linkedBy(): boolean {
    return false
  }

  unlinkedBy(): void {}

  watchedBy(): boolean {
    return false
  }

  unwatchedBy(): void {}

  down(ref: Ref, target: MonitorTarget, reason: unknown): void {
    if (!this.alive || !this.monitors.delete(ref)) return
    this.#handlers.down(ref, target, reason)
  }

  /**
   * The reply to a call tagged with this node's ref `refId`, of this process's incarnation (the distribution's fast
   * path); `released`: the callee's node dropped the call's monitor, whose ref is that same one.
   */
  deliverReply(refId: number, value: unknown, released: boolean): void {
    if (!this.alive) return
    if (released) this.monitors.deleteOwn(refId)
    const handlers = this.#handlers
    if (handlers.reply !== undefined) handlers.reply(refId, value)
    else handlers.message(callReply(new Ref(this.pid.node, refId, this.pid.creation), value))
  }

  heldMonitors(): HeldMonitors {
    return this.monitors
  }

  monitorFailed(ref: Ref, target: MonitorTarget, reason: unknown): void {
    queueMicrotask(() => this.down(ref, target, reason))
  }

  monitorReleased(ref: Ref): void {
    this.monitors.delete(ref)
  }

  nodeDown(node: string): void {
    for (const m of this.monitors.list()) if (m.node === node) this.down(m.ref, m.target, 'noconnection')
  }
}
