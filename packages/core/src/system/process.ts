/**
 * Process: anything in a node's process table that has a pid — actors, and the callback processes that wait for a
 * call's reply or watch an actor for code outside actors. Routing, links and monitors reach them through these
 * methods only.
 */
import type { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import type { MonitorTarget } from '../signals.ts'
import type { HeldMonitors } from './held-monitors.ts'

export interface Process {
  readonly pid: Pid
  readonly alive: boolean
  /** A message arrived. */
  deliver(msg: unknown): void
  /** Messages `msgs[start..end)` arrived, in that order (a run from one sender, as the transport reads them). */
  deliverMany(msgs: readonly unknown[], start: number, end: number): void
  /** After a remote delivery: a promise while the mailbox is over its pressure mark (mailbox-pressure.ts). */
  pressure(bytesPerMessage?: number): Promise<void> | undefined
  /** An exit signal arrived; `link` when it is a linked process's end. */
  exitSignal(from: Pid, reason: unknown, link: boolean): void
  /** `pid` linked to this process; false if this process is gone. */
  linkedBy(pid: Pid): boolean
  unlinkedBy(pid: Pid): void
  /**
   * `watcher` monitors this process as `as`; false if this process is gone. `byCall` marks the monitor of a remote
   * call (a `call` control message), which this process's reply to `watcher` removes.
   */
  watchedBy(ref: Ref, watcher: Pid, as: MonitorTarget, byCall?: boolean): boolean
  unwatchedBy(ref: Ref): void
  /** A monitor this process holds fired. */
  down(ref: Ref, target: MonitorTarget, reason: unknown): void
  /** The monitor `ref` this process holds was removed at its target (a call's reply released it): forget it. */
  monitorReleased(ref: Ref): void
  /** The connection to `node` was lost: fire links and monitors across it. */
  nodeDown(node: string): void
}

/** A process that holds monitors: an actor, or a callback process (a call's reply, `system.monitor`). */
export interface MonitorHolder {
  readonly pid: Pid
  /** The monitors held; null while an actor has never held one. */
  readonly monitors: HeldMonitors | null
  /** The monitors held, made on first use. */
  heldMonitors(): HeldMonitors
  /**
   * A monitor this process just asked for could not be set up (its target is gone, or its node unreachable): its
   * Down arrives now for an actor (as a message), and in a microtask for a callback process, so that no callback runs
   * on the stack of the code that asked.
   */
  monitorFailed(ref: Ref, target: MonitorTarget, reason: unknown): void
}
