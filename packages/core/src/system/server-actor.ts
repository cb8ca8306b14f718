/**
 * ServerActor: the runner of a server behaviour (actor/server-behaviour.ts has the contract). Runs `init` as its
 * first turn, then one callback per message; a synchronous callback costs no promise, an async one makes the actor
 * busy until it settles. Applies `codeChange` when its defined behaviour was upgraded.
 *
 * Hot path: `runTurn` and `handle` for every message to a server behaviour.
 */
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import type { From } from '../actor/ctx.ts'
import { isExpectedExit } from '../exit-reason.ts'
import type { Pid } from '../pid.ts'
import { Exit } from '../signals.ts'
import { Actor, ActorStatus, ExitToken } from './actor.ts'
import type { ActorHost } from './actor.ts'

type Kind = 0 | 1 | 2 // call, cast, info

/**
 * The server's own flags, in the actor's bits (`styleFlags`): whether `init` is still due (its arguments wait in
 * `state` until then), whether the actor runs a defined behaviour (its name and version are in `definedAs`), and the
 * kind of the last message it took, for the crash report. Each would otherwise be a field: 8 bytes of every spawn,
 * which the collector copies and the kernel pages in (bench/RESULTS.md, change 72).
 */
const INIT_DUE = 0b1
const DEFINED = 0b10
const LAST_KIND_SHIFT = 2
const LAST_KIND_BITS = 0b1100
/** Indexed by the last-kind bits: nothing taken yet (init), then Kind + 1. */
const MSG_TYPES = ['init', 'call', 'cast', 'info'] as const

/**
 * The version whose codeChange threw, per actor, so it is not tried again at every message. Apart from the actor:
 * upgrades are rare, and a field would be 8 bytes of every server actor.
 */
const failedVersions = new WeakMap<ServerActor, number>()

/** The name and version of the defined behaviour an actor runs; only actors of defined behaviours have one. */
const definedAs = new WeakMap<ServerActor, { readonly name: string; version: number }>()

export class ServerActor extends Actor {
  behaviour: ServerBehaviour
  /** The behaviour's state; the arguments for `init` until it has run (INIT_DUE). */
  state: unknown

  /**
   * `name` and `version` are the definition's (`system.define`); version 0 when the behaviour was not defined, and
   * then `name` is not kept: the actor reads it from the behaviour (serverBehaviourName).
   */
  constructor(host: ActorHost, pid: Pid, parent: Pid | undefined, behaviour: ServerBehaviour, args: unknown, name: string, version: number) {
    super(host, pid, parent)
    this.behaviour = behaviour
    this.state = args
    if (version === 0) {
      this.styleFlags = INIT_DUE
    } else {
      this.styleFlags = INIT_DUE | DEFINED
      definedAs.set(this, { name, version })
    }
  }

  /** The defined name, else the behaviour's own (read from it: a field would be 8 bytes of every actor). */
  get behaviourName(): string {
    return (this.styleFlags & DEFINED) === 0 ? serverBehaviourName(this.behaviour) : definedAs.get(this)!.name
  }

  /** The version of the defined behaviour this actor runs (0 when not defined). */
  get version(): number {
    return (this.styleFlags & DEFINED) === 0 ? 0 : definedAs.get(this)!.version
  }

  protected hasWork(): boolean {
    return (this.styleFlags & INIT_DUE) !== 0 || (this.mailbox !== null && this.mailbox.length > 0)
  }

  /** Notes the kind of message being handled, for a crash report. */
  private took(kind: Kind): void {
    this.styleFlags = (this.styleFlags & ~LAST_KIND_BITS) | ((kind + 1) << LAST_KIND_SHIFT)
  }

  start(): void {
    this.host.scheduler.enqueue(this)
  }

  runTurn(budget: number): boolean {
    if ((this.styleFlags & INIT_DUE) !== 0) {
      this.init()
      return false
    }
    const mailbox = this.mailbox
    if (mailbox === null) return false
    const scheduler = this.host.scheduler
    scheduler.reductions = 0
    while (scheduler.reductions < budget) {
      scheduler.reductions++
      if (this.busy || this.paused || this.status === ActorStatus.dead) return false
      if (mailbox.length === 0) return false
      const msg = mailbox.shift()
      if (this.host.tracer.tracing) this.host.tracer.emit({ type: 'receive', pid: this.pid, msg })
      if ((this.styleFlags & DEFINED) !== 0) {
        const current = this.host.definitions.get(this.behaviourName)?.version ?? 0
        const version = this.version
        if (current !== version && current !== failedVersions.get(this)) this.codeChange()
      }
      this.handle(msg)
    }
    return !this.busy && !this.paused && this.status !== ActorStatus.dead && mailbox.length > 0
  }

  private init(): void {
    const args = this.state
    this.state = undefined
    this.styleFlags &= ~INIT_DUE
    let result: unknown
    try {
      result = this.behaviour.init(args, this)
    } catch (error) {
      this.initFailed(error)
      return
    }
    if (isThenable(result)) {
      this.busy = true
      result.then(
        (value) => this.initDone(value),
        (error: unknown) => this.initFailed(error),
      )
    } else {
      this.initDone(result)
    }
  }

  private initDone(result: unknown): void {
    this.busy = false
    if (this.status === ActorStatus.dead) return
    if (isDirective(result) && 'stop' in result) {
      this.initFailed(result.stop)
      return
    }
    this.state = result
    this.status = ActorStatus.running
    const started = this.onStarted
    this.onStarted = undefined
    started?.(undefined)
    this.wake()
  }

  private initFailed(error: unknown): void {
    this.busy = false
    if (error instanceof ExitToken || this.status === ActorStatus.dead) return
    const started = this.onStarted
    this.onStarted = undefined
    started?.(error)
    this.host.die(this, error)
  }

  private handle(msg: unknown): void {
    // The commonest message, a plain one to `handleInfo` with a synchronous result, in a function small enough for
    // V8 to inline into the turn's loop: calls, casts, any message to an actor that traps exits and a behaviour
    // without `handleInfo` take `handleAny`, and a promise or a directive for a result the general `settle`/`apply`.
    // The tag is read once, and never on bytes: on a Buffer (a common message) the lookup walks four prototypes to
    // find nothing, a quarter of delivering one.
    const tag = typeof msg === 'object' && msg !== null && !ArrayBuffer.isView(msg) ? (msg as { $cohort?: unknown }).$cohort : undefined
    const b = this.behaviour
    if (tag !== undefined || this.trapping || b.handleInfo === undefined) {
      this.handleAny(msg, tag)
      return
    }
    this.took(2)
    let result: unknown
    try {
      result = b.handleInfo(msg, this.state, this)
    } catch (error) {
      this.crash(error)
      return
    }
    if (isThenable(result)) this.settle(2, msg, result)
    else if (this.status === ActorStatus.running && !mayBeDirective(result)) this.state = result
    else this.apply(2, msg, result)
  }

  private handleAny(msg: unknown, tag: unknown): void {
    let kind: Kind
    let result: unknown
    const b = this.behaviour
    try {
      const envelope = msg as { request?: unknown; from?: From }
      if (tag === 'call') {
        kind = 0
        this.took(kind)
        if (b.handleCall === undefined) throw new Error(`${this.behaviourName} has no handleCall`)
        result = b.handleCall(envelope!.request, envelope!.from as From, this.state, this)
      } else if (tag === 'cast') {
        kind = 1
        this.took(kind)
        if (b.handleCast === undefined) throw new Error(`${this.behaviourName} has no handleCast`)
        result = b.handleCast(envelope!.request, this.state, this)
      } else if (this.trapping && msg instanceof Exit && this.parent !== undefined && msg.from.equals(this.parent)) {
        // As gen_server: an exit signal from the parent, trapped, means "stop now" (a supervisor's shutdown).
        // `trapping` is tested first: few actors trap exits, and `instanceof` on every other message (a Buffer walks
        // four prototypes) was half of this function's time on a receiving node.
        this.stop(msg.reason)
        return
      } else {
        kind = 2
        this.took(kind)
        if (b.handleInfo === undefined) {
          this.log.warn({ msgType: typeof msg }, 'unhandled message dropped (no handleInfo)')
          return
        }
        result = b.handleInfo(msg, this.state, this)
      }
    } catch (error) {
      this.crash(error)
      return
    }
    if (isThenable(result)) this.settle(kind, msg, result)
    else this.apply(kind, msg, result)
  }

  /** An async callback's result: the actor takes no message until it settles. */
  private settle(kind: Kind, msg: unknown, result: PromiseLike<unknown>): void {
    this.busy = true
    result.then(
      (value) => {
        this.busy = false
        if (this.status === ActorStatus.dead) return
        this.apply(kind, msg, value)
        this.wake()
      },
      (error: unknown) => {
        this.busy = false
        this.crash(error)
      },
    )
  }

  /**
   * Sends a handler's reply; false when it could not be sent (a reply to another node that cannot cross the wire):
   * the actor then ends with that error, as if the handler had thrown it, instead of the error escaping the turn.
   */
  private replied(from: From, value: unknown): boolean {
    try {
      this.reply(from, value)
      return true
    } catch (error) {
      this.crash(error)
      return false
    }
  }

  private apply(kind: Kind, msg: unknown, result: unknown): void {
    if (this.status !== ActorStatus.running) return
    if (kind === 0) {
      const from = (msg as { from: From }).from
      if (typeof result === 'object' && result !== null) {
        const r = result as { reply?: unknown; state?: unknown; noreply?: unknown; stop?: unknown }
        if ('stop' in r) {
          if ('reply' in r && !this.replied(from, r.reply)) return
          if ('state' in r) this.state = r.state
          this.stop(r.stop)
          return
        }
        if ('reply' in r && 'state' in r) {
          this.state = r.state
          this.replied(from, r.reply)
          return
        }
        if ('noreply' in r) {
          this.state = r.noreply
          return
        }
      }
      this.crash(new Error(`${this.behaviourName}.handleCall must return { reply, state }, { noreply } or { stop }`))
      return
    }
    if (isDirective(result)) {
      if ('stop' in result) {
        if ('state' in result) this.state = result.state
        this.stop(result.stop)
      } else {
        this.state = result.noreply
      }
      return
    }
    this.state = result
  }

  private crash(error: unknown): void {
    if (error instanceof ExitToken || this.status === ActorStatus.dead) return
    this.stop(error)
  }

  stop(reason: unknown): void {
    if (this.status === ActorStatus.dead || this.status === ActorStatus.stopping) return
    const wasRunning = this.status === ActorStatus.running
    this.status = ActorStatus.stopping
    if (!isExpectedExit(reason)) this.crashReport(reason)
    const terminate = this.behaviour.terminate
    if (!wasRunning || terminate === undefined) {
      this.host.die(this, reason)
      return
    }
    let result: unknown
    try {
      result = terminate.call(this.behaviour, reason, this.state, this)
    } catch (error) {
      this.terminateFailed(error)
      this.host.die(this, reason)
      return
    }
    if (isThenable(result)) {
      this.busy = true
      result.then(
        () => this.host.die(this, reason),
        (error: unknown) => {
          this.terminateFailed(error)
          this.host.die(this, reason)
        },
      )
    } else {
      this.host.die(this, reason)
    }
  }

  private terminateFailed(error: unknown): void {
    if (error instanceof ExitToken) return
    this.log.error({ err: error, sup: undefined }, 'terminate threw; the exit goes on')
  }

  private crashReport(reason: unknown): void {
    const log = this.host.logger
    if (!log.isLevelEnabled('error')) return
    let status: unknown = this.state
    try {
      if (this.behaviour.formatStatus !== undefined) status = this.behaviour.formatStatus(this.state)
    } catch {
      status = '<formatStatus threw>'
    }
    log.error(
      { pid: String(this.pid), behaviour: this.behaviourName, msgType: MSG_TYPES[(this.styleFlags & LAST_KIND_BITS) >> LAST_KIND_SHIFT], reason: String(reason), err: reason instanceof Error ? reason : undefined, state: status },
      'actor crashed',
    )
  }

  private codeChange(): void {
    const next = this.host.definitions.get(this.behaviourName)
    if (next === undefined || next.kind !== 'server') return
    const from = this.version
    try {
      const migrated = next.behaviour.codeChange === undefined ? this.state : next.behaviour.codeChange(from, this.state, next.extra)
      if (isThenable(migrated)) throw new Error('codeChange must be synchronous')
      this.state = migrated
      this.behaviour = next.behaviour
      definedAs.get(this)!.version = next.version
      this.traceCodeChange(from, next.version, undefined)
    } catch (error) {
      // Stay on the old version, and do not retry this version at every message.
      this.traceCodeChange(from, next.version, error)
      failedVersions.set(this, next.version)
      this.log.error({ err: error }, 'codeChange failed; the actor stays on its old behaviour')
    }
  }

  private traceCodeChange(fromVersion: number, toVersion: number, error: unknown): void {
    const tracer = this.host.tracer
    if (tracer.tracing) tracer.emit({ type: 'codeChange', pid: this.pid, behaviour: this.behaviourName, fromVersion, toVersion, error })
  }
}

/** What reports call a server behaviour that was not defined under a name: its own `name`, else 'server'. */
export function serverBehaviourName(behaviour: ServerBehaviour): string {
  return behaviour.name ?? 'server'
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

type Directive = { noreply: unknown } | { stop: unknown; state?: unknown }

/** False for most states: not an object with a `noreply` or `stop` key, so surely not a directive. */
function mayBeDirective(value: unknown): value is object {
  return typeof value === 'object' && value !== null && ('noreply' in value || 'stop' in value)
}

/** A result whose own keys are exactly `noreply`, or `stop` with optional `state`/`reply`. */
function isDirective(value: unknown): value is Directive {
  // Hot path: most results are states without these keys; decide that before building a key list.
  if (!mayBeDirective(value)) return false
  if (Object.getPrototypeOf(value) !== Object.prototype) return false
  const keys = Object.keys(value)
  if (keys.length === 1 && keys[0] === 'noreply') return true
  return 'stop' in value && keys.every((k) => k === 'stop' || k === 'state' || k === 'reply')
}
