/**
 * Calls: the request–reply machinery built on callback processes. A call gets its own (a pid that receives only the
 * reply)
 * and a monitor on the callee, so it settles exactly once: with the reply, with the callee's exit (NoProcError,
 * NoConnectionError, CalleeExitedError), or with CallTimeoutError. `system.monitor` uses the same callback
 * processes.
 */
import type { Address } from '../actor/ctx.ts'
import type { Clock } from '../clock.ts'
import { InvalidOptionError, CallTimeoutError, CalleeExitedError, CallingSelfError, CohortError, NoConnectionError, NoProcError } from '../errors.ts'
import { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import { Down } from '../signals.ts'
import type { MonitorTarget } from '../signals.ts'
import type { Actor } from './actor.ts'
import { CallbackProcess } from './callback-process.ts'
import type { CallbackHandlers } from './callback-process.ts'
import { callRequest, isReplyTo } from './call-messages.ts'
import { Deadlines, Expiring } from './deadlines.ts'
import type { LinksAndMonitors } from './links-and-monitors.ts'
import type { ProcessTable } from './process-table.ts'
import type { Router } from './router.ts'

/** The parts a call goes through. */
interface CallParts {
  readonly table: ProcessTable
  readonly router: Router
  readonly signals: LinksAndMonitors
}

export class Calls {
  readonly #parts: CallParts
  /** Calls waiting for their reply, by deadline. */
  readonly #pending: Deadlines
  readonly #watches = new Map<string, CallbackProcess>()

  constructor(table: ProcessTable, router: Router, signals: LinksAndMonitors, clock: Clock) {
    this.#parts = { table, router, signals }
    this.#pending = new Deadlines(clock)
  }

  call<R>(to: Address, request: unknown, timeoutMs: number, from: Actor | undefined): Promise<R> {
    // Any finite length: the clock chains a timer past Node's 2^31 - 1 ms.
    if (timeoutMs !== Infinity && !(typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
      return Promise.reject(new InvalidOptionError('timeoutMs', timeoutMs, 'a positive number of milliseconds, or Infinity'))
    }
    // An actor takes one message at a time, so a call to itself could only be answered after it gave up waiting.
    if (from !== undefined && this.#parts.router.isSelf(to, from)) return Promise.reject(new CallingSelfError(from.pid.toString()))
    let target: MonitorTarget
    if (typeof to === 'object' && to !== null && 'global' in to) {
      const pid = this.#parts.router.resolveGlobal(to.global)
      if (pid === undefined) return Promise.reject(new NoProcError(`{ global: ${JSON.stringify(to.global)} }`))
      target = pid
    } else {
      target = to as MonitorTarget
    }
    const promise = new Promise<R>(captureSettlers)
    const call = new PendingCall(this.#parts, this.#pending, to, target, settlers.resolve, settlers.reject)
    settlers.resolve = settlers.reject = ignore
    try {
      call.start(timeoutMs, request, from)
    } catch (error) {
      call.fail(error as Error)
    }
    return promise
  }

  /** Calls `onDown` once when `target` ends. */
  watch(target: MonitorTarget, onDown: (down: Down) => void): Ref {
    const { table, signals } = this.#parts
    const watcher: CallbackProcess = new CallbackProcess(table.makePid(), {
      message: () => {},
      down: (ref, t, reason) => {
        this.#watches.delete(ref.key)
        table.removeCallback(watcher)
        onDown(new Down(ref, t, reason))
      },
    })
    table.addCallback(watcher)
    const ref = signals.monitor(watcher, target)
    if (watcher.monitors.get(ref) !== undefined) this.#watches.set(ref.key, watcher)
    return ref
  }

  unwatch(ref: Ref): void {
    const watcher = this.#watches.get(ref.key)
    if (watcher === undefined) return
    this.#watches.delete(ref.key)
    this.#parts.signals.demonitor(watcher, ref)
    this.#parts.table.removeCallback(watcher)
  }

  /** Rejects every pending call: the system stopped. */
  stopAll(): void {
    for (const call of this.#pending.list() as PendingCall[]) {
      call.fail(new CohortError('COHORT_ERR_SYSTEM_STOPPED', 'the system shut down during the call'))
    }
  }
}

const ignore = (): void => {}

/**
 * The settle functions of the promise being made: `new Promise(captureSettlers)` runs it at once, and the call reads
 * them next. One executor serves every call, where a closure over each call's arguments cost an object and its
 * context per call.
 */
const settlers: { resolve: (value: unknown) => void; reject: (error: Error) => void } = { resolve: ignore, reject: ignore }
function captureSettlers(resolve: (value: never) => void, reject: (error: Error) => void): void {
  settlers.resolve = resolve as (value: unknown) => void
  settlers.reject = reject
}

/**
 * One call waiting for its reply: the port that receives only the reply (its handlers are this object), the monitor
 * on the callee and the timer. It settles exactly once, with the reply, the callee's exit or the timeout; one object
 * per call rather than a closure for each of those.
 */
class PendingCall extends Expiring implements CallbackHandlers {
  readonly port: CallbackProcess
  /** The call's ref: the reply must carry it. */
  readonly ref: Ref
  settled = false
  readonly #parts: CallParts
  readonly #pending: Deadlines
  readonly #to: Address
  readonly #target: MonitorTarget
  readonly #resolve: (value: unknown) => void
  readonly #reject: (error: Error) => void
  #monitorRef: Ref | undefined
  #timeoutMs = 0

  constructor(parts: CallParts, pending: Deadlines, to: Address, target: MonitorTarget, resolve: (value: unknown) => void, reject: (error: Error) => void) {
    super()
    this.#parts = parts
    this.#pending = pending
    this.#to = to
    this.#target = target
    this.#resolve = resolve
    this.#reject = reject
    this.ref = parts.table.makeRef()
    this.port = new CallbackProcess(parts.table.makePid(), this)
  }

  /**
   * Registers the port and its deadline, monitors the callee (which may settle the call at once: noproc) and sends the
   * request; to another node, as one message when the distribution can (the call's ref is then the monitor's too,
   * as in Erlang).
   */
  start(timeoutMs: number, request: unknown, from: Actor | undefined): void {
    const { table, router, signals } = this.#parts
    table.addCallback(this.port)
    // Infinity means no deadline at all.
    this.#timeoutMs = timeoutMs
    this.#pending.add(this, timeoutMs)
    if (router.callRemote(this.port, this.#target, this.ref, request, from)) {
      this.#monitorRef = this.ref
      return
    }
    this.#monitorRef = signals.monitor(this.port, this.#target)
    if (this.settled) return
    router.route(this.#target as Address, callRequest(this.port.pid, this.ref, request), from)
  }

  reply(refId: number, value: unknown): void {
    // The port's node checked the reply's incarnation, so the id is enough.
    if (this.settled || this.ref.id !== refId) return
    this.#finish()
    this.#resolve(value)
  }

  message(msg: unknown): void {
    if (this.settled || !isReplyTo(msg, this.ref)) return
    this.#finish()
    this.#resolve(msg.value)
  }

  down(_ref: Ref, _target: MonitorTarget, reason: unknown): void {
    if (this.settled) return
    this.#finish()
    this.#reject(callFailure(describeAddress(this.#to), this.#target, reason))
  }

  fail(error: Error): void {
    if (this.settled) return
    this.#finish()
    this.#reject(error)
  }

  expire(): void {
    this.fail(new CallTimeoutError(describeAddress(this.#to), this.#timeoutMs))
  }

  #finish(): void {
    this.settled = true
    const { table, signals } = this.#parts
    // Undefined when the monitor settled the call while it was being set up (the callee was already gone).
    if (this.#monitorRef !== undefined) signals.demonitor(this.port, this.#monitorRef)
    table.removeCallback(this.port)
    this.#pending.remove(this)
  }
}

function callFailure(label: string, target: MonitorTarget, reason: unknown): Error {
  if (reason === 'noproc') return new NoProcError(label)
  if (reason === 'noconnection') {
    const node = target instanceof Pid ? target.node : typeof target === 'object' ? target.node : 'unknown'
    return new NoConnectionError(label, node)
  }
  return new CalleeExitedError(label, reason)
}

/** How errors name the callee: built only when a call fails, not as a string per call. */
function describeAddress(to: Address): string {
  if (to instanceof Pid) return String(to)
  if (typeof to === 'string') return to
  if (typeof to === 'object' && to !== null) {
    if ('global' in to) return `{ global: ${JSON.stringify(to.global)} }`
    return `{ name: ${JSON.stringify(to.name)}, node: ${JSON.stringify(to.node)} }`
  }
  return String(to)
}
