/**
 * Calls: the request–reply machinery built on ports. A call gets its own port (a pid that receives only the reply)
 * and a monitor on the callee, so it settles exactly once: with the reply, with the callee's exit (NoProcError,
 * NoConnectionError, CalleeExitedError), or with CallTimeoutError. Remote spawns and `system.monitor` use the same
 * ports.
 */
import type { Address } from '../actor/ctx.ts'
import type { SpawnReplyControl, SpawnRequestControl } from '../distribution/control-message.ts'
import { InvalidOptionError, CallTimeoutError, CalleeExitedError, CohortError, NoConnectionError, NoProcError } from '../errors.ts'
import { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import { Down } from '../signals.ts'
import type { MonitorTarget } from '../signals.ts'
import type { Actor } from './actor.ts'
import { Port } from './port.ts'
import type { PortHandlers } from './port.ts'
import { callRequest, isReplyTo } from './call-messages.ts'
import { Deadlines, Expiring } from './deadlines.ts'
import type { Runtime } from './runtime.ts'

interface PendingSpawn {
  node: string
  port: Port
  resolve: (pid: Pid) => void
  reject: (error: Error) => void
  linkTo: Actor | undefined
}

export class Calls {
  readonly #rt: Runtime
  /** Calls waiting for their reply, by deadline. */
  readonly #pending: Deadlines
  readonly #watches = new Map<string, Port>()
  readonly #spawns = new Map<string, PendingSpawn>()

  constructor(rt: Runtime) {
    this.#rt = rt
    this.#pending = new Deadlines(rt.clock)
  }

  call<R>(to: Address, request: unknown, timeoutMs: number, from: Actor | undefined): Promise<R> {
    const rt = this.#rt
    if (timeoutMs !== Infinity && !(typeof timeoutMs === 'number' && timeoutMs > 0 && timeoutMs <= 2 ** 31 - 1)) {
      return Promise.reject(new InvalidOptionError('timeoutMs', timeoutMs, 'a positive number of milliseconds up to 2^31 - 1, or Infinity'))
    }
    let target: MonitorTarget
    if (typeof to === 'object' && to !== null && 'global' in to) {
      const pid = rt.resolveGlobal(to.global)
      if (pid === undefined) return Promise.reject(new NoProcError(`{ global: ${JSON.stringify(to.global)} }`))
      target = pid
    } else {
      target = to as MonitorTarget
    }
    const promise = new Promise<R>(captureSettlers)
    const call = new PendingCall(rt, this.#pending, to, target, settlers.resolve, settlers.reject)
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
    const rt = this.#rt
    const port: Port = new Port(rt.makePid(), {
      message: () => {},
      down: (ref, t, reason) => {
        this.#watches.delete(ref.key)
        rt.removePort(port)
        onDown(new Down(ref, t, reason))
      },
    })
    rt.addPort(port)
    const ref = rt.monitorFrom(port, target)
    if (port.monitors.get(ref) !== undefined) this.#watches.set(ref.key, port)
    return ref
  }

  unwatch(ref: Ref): void {
    const port = this.#watches.get(ref.key)
    if (port === undefined) return
    this.#watches.delete(ref.key)
    this.#rt.demonitor(port, ref)
    this.#rt.removePort(port)
  }

  spawnRemote(node: string, behaviour: string, args: unknown, linkTo: Actor | undefined): Promise<Pid> {
    const rt = this.#rt
    return new Promise<Pid>((resolve, reject) => {
      const ref = rt.makeRef()
      const port = new Port(rt.makePid(), { message: () => {}, down: () => {} })
      rt.addPort(port)
      const pending: PendingSpawn = { node, port, resolve, reject, linkTo }
      this.#spawns.set(ref.key, pending)
      const sent = rt.control(node, { type: 'spawnRequest', from: linkTo?.pid ?? port.pid, ref, behaviour, args, link: linkTo !== undefined })
      if (!sent) this.#failSpawn(ref.key, new NoConnectionError(`spawn of ${behaviour}`, node))
    })
  }

  #failSpawn(key: string, error: Error): void {
    const pending = this.#spawns.get(key)
    if (pending === undefined) return
    this.#spawns.delete(key)
    this.#rt.removePort(pending.port)
    pending.reject(error)
  }

  answerSpawn(fromNode: string, c: SpawnRequestControl): void {
    const rt = this.#rt
    const reply = (pid: Pid | undefined, error: string | undefined): void => {
      rt.control(fromNode, { type: 'spawnReply', to: c.from, ref: c.ref, pid, error })
    }
    let pid: Pid
    try {
      pid = rt.spawn(c.behaviour, c.args)
    } catch (error) {
      reply(undefined, (error as Error).message)
      return
    }
    if (c.link) {
      const actor = rt.lookup(pid)
      actor?.linkedBy(c.from)
    }
    reply(pid, undefined)
  }

  spawnReplied(c: SpawnReplyControl): void {
    const pending = this.#spawns.get(c.ref.key)
    if (pending === undefined) {
      // The requester is gone: do not leave a linked orphan behind.
      if (c.pid !== undefined) this.#rt.exit(c.pid, 'noproc')
      return
    }
    this.#spawns.delete(c.ref.key)
    this.#rt.removePort(pending.port)
    if (c.pid === undefined || !(c.pid instanceof Pid)) {
      pending.reject(new CohortError('COHORT_ERR_UNKNOWN_BEHAVIOUR', `remote spawn on ${pending.node} failed: ${c.error ?? 'no pid'}`))
      return
    }
    if (pending.linkTo !== undefined) {
      if (pending.linkTo.alive) (pending.linkTo.links ??= new Map()).set(c.pid.key, c.pid)
      else this.#rt.exit(c.pid, 'noproc')
    }
    pending.resolve(c.pid)
  }

  nodeDown(node: string): void {
    for (const [key, pending] of [...this.#spawns]) {
      if (pending.node === node) this.#failSpawn(key, new NoConnectionError('a remote spawn', node))
    }
  }

  /** Rejects every pending call and remote spawn: the system stopped. */
  stopAll(): void {
    for (const call of this.#pending.list() as PendingCall[]) {
      call.fail(new CohortError('COHORT_ERR_SYSTEM_STOPPED', 'the system shut down during the call'))
    }
    for (const key of [...this.#spawns.keys()]) {
      this.#failSpawn(key, new CohortError('COHORT_ERR_SYSTEM_STOPPED', 'the system shut down during a remote spawn'))
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
class PendingCall extends Expiring implements PortHandlers {
  readonly port: Port
  /** The call's ref: the reply must carry it. */
  readonly ref: Ref
  settled = false
  readonly #rt: Runtime
  readonly #pending: Deadlines
  readonly #to: Address
  readonly #target: MonitorTarget
  readonly #resolve: (value: unknown) => void
  readonly #reject: (error: Error) => void
  #monitorRef: Ref | undefined
  #timeoutMs = 0

  constructor(rt: Runtime, pending: Deadlines, to: Address, target: MonitorTarget, resolve: (value: unknown) => void, reject: (error: Error) => void) {
    super()
    this.#rt = rt
    this.#pending = pending
    this.#to = to
    this.#target = target
    this.#resolve = resolve
    this.#reject = reject
    this.ref = rt.makeRef()
    this.port = new Port(rt.makePid(), this)
  }

  /**
   * Registers the port and its deadline, monitors the callee (which may settle the call at once: noproc) and sends the
   * request; to another node, as one message when the distribution can (the call's ref is then the monitor's too,
   * as in Erlang).
   */
  start(timeoutMs: number, request: unknown, from: Actor | undefined): void {
    const rt = this.#rt
    rt.addPort(this.port)
    // Infinity means no deadline at all (Node would fire a timer of more than 2^31 - 1 ms at once).
    this.#timeoutMs = timeoutMs
    this.#pending.add(this, timeoutMs)
    if (rt.callRemote(this.port, this.#target, this.ref, request, from)) {
      this.#monitorRef = this.ref
      return
    }
    this.#monitorRef = rt.monitorFrom(this.port, this.#target)
    if (this.settled) return
    rt.route(this.#target as Address, callRequest(this.port.pid, this.ref, request), from)
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
    const rt = this.#rt
    // Undefined when the monitor settled the call while it was being set up (the callee was already gone).
    if (this.#monitorRef !== undefined) rt.demonitor(this.port, this.#monitorRef)
    rt.removePort(this.port)
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
