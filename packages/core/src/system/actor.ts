/**
 * Actor: the runtime side of one actor — its mailbox, links, monitors, timers and exit — and the `ctx` handed to its
 * callbacks. The two styles subclass it: server-actor.ts (behaviour callbacks) and process-actor.ts (receive loop).
 * What an actor asks of its node is `ActorHost`, declared here and implemented by the system from its parts, so this
 * file depends on no part of the system above it.
 *
 * Gotchas: an actor's ctx is the actor itself, so spawning costs one object; the `log` child logger and the ties
 * (links, monitors, watchers, timers, exit trapping: actor-ties.ts) are created the first time they are used, which
 * keeps idle actors small.
 */
import type { Logger } from 'pino'
import type { Address, From, SpawnOptions } from '../actor/ctx.ts'
import type { Behaviour } from '../actor/behaviour.ts'
import type { SupervisorCtx } from '../actor/supervisor-ctx.ts'
import type { Clock } from '../clock.ts'
import { Queue } from '../internal/queue.ts'
import type { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import { Down, Exit } from '../signals.ts'
import type { MonitorTarget } from '../signals.ts'
import type { DeadLetterReason } from '../trace.ts'
import { ActorTies } from './actor-ties.ts'
import type { Definitions } from './definitions.ts'
import { HeldMonitors } from './held-monitors.ts'
import { Intake, MAILBOX_OVERFLOW_REASON, Relief } from './mailbox-pressure.ts'
import type { MailboxLimits } from './mailbox-pressure.ts'
import type { MonitorHolder, Process } from './process.ts'
import type { Runnable, Scheduler } from './scheduler.ts'
import type { Counters, RestartEvent } from './system-stats.ts'
import type { Tracer } from './tracer.ts'
import { Watchers } from './watchers.ts'

/**
 * What an actor asks of its node. Each member is carried out by one part of the system (spawning and exits, routing,
 * links and monitors, calls, timers); the system hands every actor the same host.
 */
export interface ActorHost {
  readonly logger: Logger
  readonly clock: Clock
  readonly scheduler: Scheduler
  readonly tracer: Tracer
  readonly counters: Counters
  readonly definitions: Definitions
  /** Sends `msg` to `to` on behalf of `sender`; never throws for a dead target. */
  route(to: Address, msg: unknown, sender: Actor | undefined): void
  call<R>(to: Address, request: unknown, timeoutMs: number | undefined, from: Actor): Promise<R>
  reply(sender: Actor, from: From, value: unknown): void
  spawn(parent: Actor, behaviour: Behaviour | string, args: unknown, options: SpawnOptions | undefined): Pid
  start(parent: Actor, behaviour: Behaviour | string, args: unknown, options: SpawnOptions | undefined): Promise<Pid>
  spawnOn(node: string, behaviour: string, args: unknown, linkTo: Actor | undefined): Promise<Pid>
  link(actor: Actor, pid: Pid): void
  unlink(actor: Actor, pid: Pid): void
  monitor(actor: Actor, target: MonitorTarget): Ref
  demonitor(actor: Actor, ref: Ref): void
  exit(pid: Pid, reason: unknown, from: Pid): void
  /** Ends `actor` with `reason` now: it leaves the table, its links and monitors fire, its timers stop. */
  die(actor: Actor, reason: unknown): void
  sendAfter(to: Address, msg: unknown, delayMs: number, owner: Actor): Ref
  cancelTimer(ref: Ref): boolean
  /** Exits `pid` with `reason` from `from` and resolves once it has ended; kills it after `timeoutMs` if given. */
  stopProcess(pid: Pid, reason: unknown, timeoutMs: number | undefined, from: Pid): Promise<void>
  /** A supervisor is restarting a child: count it, trace it, tell `monitorRestarts` listeners. */
  noteRestart(event: RestartEvent): void
  /**
   * The mailbox limits of an actor spawned without mailbox options (one shared object). Unbounded: an actor without
   * an `Intake` checks no bound.
   */
  readonly defaultMailboxLimits: MailboxLimits
  /** Counts, traces and logs a message that reached no mailbox. */
  deadLetter(to: unknown, msg: unknown, reason: DeadLetterReason): void
}

/** Thrown by `ctx.exit` to unwind the actor's stack; the runner recognises and swallows it. */
export class ExitToken {
  readonly reason: unknown
  constructor(reason: unknown) {
    this.reason = reason
  }
}

export const ActorStatus = { starting: 0, running: 1, stopping: 2, dead: 3 } as const

/**
 * The bits of an actor's `#bits`: its status (two bits), then whether it is queued, whether it is busy and whether
 * backpressure paused it; the bits above those are its style's own (`styleFlags`).
 */
const STATUS_BITS = 0b11
const QUEUED = 0b100
const BUSY = 0b1000
const PAUSED = 0b10000
const STYLE_SHIFT = 5

/**
 * The promise a paused actor waits for (`drained`), apart from the actor: only an actor whose sends to another node
 * met backpressure has one, and a field would be 8 bytes of every actor.
 */
const pauses = new WeakMap<Actor, Promise<void>>()

/**
 * Each actor's logger, made on its first use, apart from the actor: most actors never log, and a field would be 8
 * bytes of every one.
 */
const actorLogs = new WeakMap<Actor, Logger>()

export abstract class Actor implements Process, MonitorHolder, Runnable, SupervisorCtx {
  readonly pid: Pid
  readonly parent: Pid | undefined
  protected readonly host: ActorHost
  /** The behaviour's name, for reports; a defined behaviour's registered name. */
  abstract readonly behaviourName: string
  /** `status`, `queued`, `busy`, `paused` and the style's flags in one small integer (STATUS_BITS and the rest). */
  #bits: number = ActorStatus.starting
  /**
   * The mailbox's bound, what deliveries from other nodes weighed and the pressure they put on (mailbox-pressure.ts):
   * null while the mailbox is unbounded and no other node sent to it.
   */
  intake: Intake | null = null
  mailbox: Queue<unknown> | null = null
  /**
   * Links, monitors, watchers, timers, exit trapping, the registered name and the start waiter: null until the actor
   * first has one (actor-ties.ts).
   */
  ties: ActorTies | null = null

  constructor(host: ActorHost, pid: Pid, parent: Pid | undefined) {
    this.host = host
    this.pid = pid
    this.parent = parent
  }

  /** The style's own flags (server-actor.ts, process-actor.ts), kept in the actor's bits to spare each a field. */
  protected get styleFlags(): number {
    return this.#bits >>> STYLE_SHIFT
  }

  protected set styleFlags(flags: number) {
    this.#bits = (this.#bits & ((1 << STYLE_SHIFT) - 1)) | (flags << STYLE_SHIFT)
  }

  /** The name the actor is registered under (registry.ts), if any. */
  get name(): string | undefined {
    return this.ties === null ? undefined : this.ties.name
  }

  set name(name: string | undefined) {
    if (name !== undefined || this.ties !== null) this.tied().name = name
  }

  /** Called once with undefined when init succeeded, or with the reason it failed (`start`, `startLink`). */
  get onStarted(): ((failure: unknown) => void) | undefined {
    return this.ties === null ? undefined : this.ties.onStarted
  }

  set onStarted(onStarted: ((failure: unknown) => void) | undefined) {
    if (onStarted !== undefined || this.ties !== null) this.tied().onStarted = onStarted
  }

  /** The mailbox's bound and pressure mark: the system's defaults unless spawned with mailbox options. */
  get limits(): MailboxLimits {
    return this.intake === null ? this.host.defaultMailboxLimits : this.intake.limits
  }

  set limits(limits: MailboxLimits) {
    this.intake = new Intake(limits)
  }

  /** Set while a remote delivery found the mailbox over its pressure mark. */
  get relief(): Relief | null {
    return this.intake === null ? null : this.intake.relief
  }

  /** Starting, running, stopping or dead (ActorStatus). */
  get status(): number {
    return this.#bits & STATUS_BITS
  }

  set status(status: number) {
    this.#bits = (this.#bits & ~STATUS_BITS) | status
  }

  /** In the scheduler's run queue. */
  get queued(): boolean {
    return (this.#bits & QUEUED) !== 0
  }

  set queued(on: boolean) {
    this.#bits = on ? this.#bits | QUEUED : this.#bits & ~QUEUED
  }

  /** An async callback is running; the actor takes no message until it settles. */
  get busy(): boolean {
    return (this.#bits & BUSY) !== 0
  }

  set busy(on: boolean) {
    this.#bits = on ? this.#bits | BUSY : this.#bits & ~BUSY
  }

  /** Paused by backpressure until the connection it sent to drains. */
  get paused(): boolean {
    return (this.#bits & PAUSED) !== 0
  }

  /** Set while paused by backpressure: resolves once the connection it sent to drained and the pause ended. */
  get drained(): Promise<void> | null {
    return (this.#bits & PAUSED) === 0 ? null : (pauses.get(this) ?? null)
  }

  set drained(drained: Promise<void> | null) {
    if (drained === null) {
      this.#bits &= ~PAUSED
      pauses.delete(this)
    } else {
      this.#bits |= PAUSED
      pauses.set(this, drained)
    }
  }

  get links(): Map<string, Pid> | null {
    return this.ties === null ? null : this.ties.links
  }

  get monitors(): HeldMonitors | null {
    return this.ties === null ? null : this.ties.monitors
  }

  get watchers(): Watchers | null {
    return this.ties === null ? null : this.ties.watchers
  }

  get timers(): Set<string> | null {
    return this.ties === null ? null : this.ties.timers
  }

  get trapping(): boolean {
    return this.ties !== null && this.ties.trapping
  }

  private tied(): ActorTies {
    return (this.ties ??= new ActorTies())
  }

  /** Adds a link to `pid` (the other side's half is the host's to make). */
  addLink(pid: Pid): void {
    ;(this.tied().links ??= new Map()).set(pid.key, pid)
  }

  /** Keeps a timer's key, so that the timer is cancelled when the actor dies. */
  addTimer(key: string): void {
    ;(this.tied().timers ??= new Set()).add(key)
  }

  get self(): Pid {
    return this.pid
  }

  /** The scheduler that runs this actor: one per system (LocalMailbox, in pid.ts). */
  get runner(): Scheduler {
    return this.host.scheduler
  }

  get alive(): boolean {
    return this.status !== ActorStatus.dead
  }

  get log(): Logger {
    let log = actorLogs.get(this)
    if (log === undefined) actorLogs.set(this, (log = this.host.logger.child({ pid: String(this.pid) })))
    return log
  }

  get mailboxDepth(): number {
    return this.mailbox === null ? 0 : this.mailbox.length
  }

  abstract runTurn(budget: number): boolean
  /** Ends the actor through its style's path (a server behaviour runs `terminate`). */
  abstract stop(reason: unknown): void

  /** Releases what the style holds (a pending receive, say) when the actor dies. */
  cleanup(): void {}

  /** True when the scheduler should run this actor for the work it has. */
  protected abstract hasWork(): boolean

  protected wake(): void {
    if (!this.queued && !this.busy && !this.paused && this.status !== ActorStatus.dead && this.hasWork()) {
      this.host.scheduler.enqueue(this)
    }
  }

  // ---- Process -------------------------------------------------------------------------------------------------

  /** Queues `msg`; false when it was not queued (the actor is dead, or its bounded mailbox overflowed). */
  deliver(msg: unknown): boolean {
    if (this.status === ActorStatus.dead) return false
    const mailbox = (this.mailbox ??= new Queue())
    // No intake, no bound: the defaults are unbounded (mailbox-pressure.ts).
    const intake = this.intake
    if (intake !== null && mailbox.length >= intake.limits.maxMessages) return this.overflow(msg)
    mailbox.push(msg)
    this.host.counters.messagesDelivered++
    this.wake()
    return true
  }

  /** One status check and one wake for a run of messages, where `deliver` would check and wake per message. */
  deliverMany(msgs: readonly unknown[], start: number, end: number): void {
    if (this.status === ActorStatus.dead) return
    const mailbox = (this.mailbox ??= new Queue())
    const intake = this.intake
    if (intake !== null && mailbox.length + (end - start) > intake.limits.maxMessages) {
      for (let i = start; i < end; i++) this.deliver(msgs[i])
      return
    }
    for (let i = start; i < end; i++) mailbox.push(msgs[i])
    this.host.counters.messagesDelivered += end - start
    this.wake()
  }

  private overflow(msg: unknown): false {
    if (this.limits.overflow === 'exit') this.host.die(this, MAILBOX_OVERFLOW_REASON)
    else this.host.deadLetter(this.pid, msg, 'overflow')
    return false
  }

  /**
   * After a delivery from another node: undefined while the mailbox is under its pressure mark, else the promise
   * that resolves once it has worked down to half the mark (mailbox-pressure.ts).
   */
  pressure(bytesPerMessage = 0): Promise<void> | undefined {
    const intake = (this.intake ??= new Intake(this.host.defaultMailboxLimits))
    if (bytesPerMessage > 0) {
      // An exponential moving average: recent deliveries count most, one odd message does not swing it.
      intake.bytesPerMessage = intake.bytesPerMessage === 0 ? bytesPerMessage : intake.bytesPerMessage * 0.75 + bytesPerMessage * 0.25
    }
    const mailbox = this.mailbox
    if (mailbox === null || this.status === ActorStatus.dead) return undefined
    const limits = intake.limits
    if (mailbox.length < limits.pressureAt && mailbox.length * intake.bytesPerMessage < limits.pressureBytes) return undefined
    return (intake.relief ??= new Relief(Math.floor(limits.pressureAt / 2), limits.pressureBytes / 2)).promise
  }

  /** Called after the actor took messages: ends the pressure once the mailbox is down to half the mark. */
  relieve(): void {
    const intake = this.intake
    if (intake === null) return
    const relief = intake.relief
    if (relief === null) return
    const depth = this.mailbox === null ? 0 : this.mailbox.length
    if (this.status === ActorStatus.dead || (depth <= relief.releaseAt && depth * intake.bytesPerMessage <= relief.releaseBytes)) {
      intake.relief = null
      relief.release()
    }
  }

  exitSignal(from: Pid, reason: unknown, link: boolean): void {
    if (this.status === ActorStatus.dead) return
    if (link) this.links?.delete(from.key)
    if (!link && reason === 'kill') {
      this.host.die(this, 'killed')
    } else if (this.trapping) {
      this.deliver(new Exit(from, reason))
    } else if (reason !== 'normal') {
      this.host.die(this, reason)
    }
  }

  linkedBy(pid: Pid): boolean {
    if (this.status === ActorStatus.dead) return false
    this.addLink(pid)
    return true
  }

  unlinkedBy(pid: Pid): void {
    this.links?.delete(pid.key)
  }

  watchedBy(ref: Ref, watcher: Pid, as: MonitorTarget, byCall = false): boolean {
    if (this.status === ActorStatus.dead) return false
    ;(this.tied().watchers ??= new Watchers()).add(ref, watcher, as, byCall)
    return true
  }

  heldMonitors(): HeldMonitors {
    return (this.tied().monitors ??= new HeldMonitors())
  }

  monitorFailed(ref: Ref, target: MonitorTarget, reason: unknown): void {
    this.down(ref, target, reason)
  }

  monitorReleased(ref: Ref): void {
    this.monitors?.delete(ref)
  }

  unwatchedBy(ref: Ref): void {
    this.watchers?.delete(ref)
  }

  down(ref: Ref, target: MonitorTarget, reason: unknown): void {
    const monitors = this.monitors
    if (monitors === null || !monitors.delete(ref)) return
    this.deliver(new Down(ref, target, reason))
  }

  nodeDown(node: string): void {
    if (this.status === ActorStatus.dead) return
    const { watchers, monitors, links } = this
    if (watchers !== null) {
      for (const w of watchers.list()) if (w.watcher.node === node) watchers.delete(w.ref)
    }
    if (monitors !== null) {
      for (const m of monitors.list()) if (m.node === node) this.down(m.ref, m.target, 'noconnection')
    }
    if (links !== null) {
      for (const pid of [...links.values()]) {
        if (pid.node === node) this.exitSignal(pid, 'noconnection', true)
      }
    }
  }

  // ---- Ctx -----------------------------------------------------------------------------------------------------

  send(to: Address, msg: unknown): void {
    if (this.status !== ActorStatus.dead) this.host.route(to, msg, this)
  }

  drain(): Promise<void> {
    return this.drained ?? Promise.resolve()
  }

  call<R = unknown>(to: Address, request: unknown, timeoutMs?: number): Promise<R> {
    return this.host.call<R>(to, request, timeoutMs, this)
  }

  cast(to: Address, request: unknown): void {
    this.send(to, { $cohort: 'cast', request })
  }

  spawn<A>(behaviour: Behaviour<A> | string, args?: A, options?: SpawnOptions): Pid {
    return this.host.spawn(this, behaviour, args, options)
  }

  spawnLink<A>(behaviour: Behaviour<A> | string, args?: A, options?: SpawnOptions): Pid {
    return this.host.spawn(this, behaviour, args, { ...options, link: true })
  }

  spawnMonitor<A>(behaviour: Behaviour<A> | string, args?: A, options?: SpawnOptions): { pid: Pid; ref: Ref } {
    const pid = this.host.spawn(this, behaviour, args, options)
    return { pid, ref: this.monitor(pid) }
  }

  startLink<A>(behaviour: Behaviour<A> | string, args?: A, options?: SpawnOptions): Promise<Pid> {
    return this.host.start(this, behaviour, args, { ...options, link: true })
  }

  spawnOn(node: string, behaviour: string, args?: unknown, options?: { link?: boolean }): Promise<Pid> {
    return this.host.spawnOn(node, behaviour, args, options?.link === true ? this : undefined)
  }

  link(pid: Pid): void {
    if (this.status !== ActorStatus.dead) this.host.link(this, pid)
  }

  unlink(pid: Pid): void {
    if (this.status !== ActorStatus.dead) this.host.unlink(this, pid)
  }

  monitor(target: Pid | string | { name: string; node: string }): Ref {
    return this.host.monitor(this, target)
  }

  demonitor(ref: Ref, options?: { flush?: boolean }): void {
    this.host.demonitor(this, ref)
    if (options?.flush === true) this.mailbox?.removeWhere((m) => m instanceof Down && m.ref.equals(ref))
  }

  trapExit(on: boolean): void {
    // An actor that never trapped exits needs no ties to say it does not.
    if (on || this.ties !== null) this.tied().trapping = on
  }

  sendAfter(to: Address, msg: unknown, delayMs: number): Ref {
    return this.host.sendAfter(to, msg, delayMs, this)
  }

  cancelTimer(ref: Ref): boolean {
    return this.host.cancelTimer(ref)
  }

  reply(from: From, value: unknown): void {
    if (this.status !== ActorStatus.dead) this.host.reply(this, from, value)
  }

  exit(reason: unknown): never {
    if (this.status !== ActorStatus.dead) this.stop(reason)
    throw new ExitToken(reason)
  }

  exitOther(pid: Pid, reason: unknown): void {
    this.host.exit(pid, reason, this.pid)
  }

  // ---- SupervisorCtx -------------------------------------------------------------------------------------------

  now(): number {
    return this.host.clock.now()
  }

  stopChild(pid: Pid, reason: unknown, timeoutMs: number | undefined): Promise<void> {
    return this.host.stopProcess(pid, reason, timeoutMs, this.pid)
  }

  noteRestart(child: string, reason: unknown): void {
    this.host.noteRestart({ supervisor: this.pid, child, reason })
  }
}
