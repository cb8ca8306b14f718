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
  /** Ports of pending calls, with the function that fails each. */
  readonly #ports = new Map<Port, (error: Error) => void>()
  readonly #watches = new Map<string, Port>()
  readonly #spawns = new Map<string, PendingSpawn>()

  constructor(rt: Runtime) {
    this.#rt = rt
  }

  call<R>(to: Address, request: unknown, timeoutMs: number, from: Actor | undefined): Promise<R> {
    const rt = this.#rt
    if (timeoutMs !== Infinity && !(typeof timeoutMs === 'number' && timeoutMs > 0 && timeoutMs <= 2 ** 31 - 1)) {
      return Promise.reject(new InvalidOptionError('timeoutMs', timeoutMs, 'a positive number of milliseconds up to 2^31 - 1, or Infinity'))
    }
    return new Promise<R>((resolve, reject) => {
      let target: MonitorTarget
      if (typeof to === 'object' && to !== null && 'global' in to) {
        const pid = rt.resolveGlobal(to.global)
        if (pid === undefined) {
          reject(new NoProcError(`{ global: ${JSON.stringify(to.global)} }`))
          return
        }
        target = pid
      } else {
        target = to as MonitorTarget
      }
      let settled = false
      const ref = rt.makeRef()
      const finish = (): void => {
        settled = true
        if (timer !== undefined) rt.clock.clearTimeout(timer)
        rt.demonitor(port, monitorRef)
        rt.removePort(port)
        this.#ports.delete(port)
      }
      const port = new Port(rt.makePid(), {
        message: (msg) => {
          const reply = msg as { $cohort?: unknown; ref?: Ref; value?: unknown } | null
          if (settled || typeof reply !== 'object' || reply === null || reply.$cohort !== 'reply' || !ref.equals(reply.ref)) return
          finish()
          resolve(reply.value as R)
        },
        down: (_ref, _target, reason) => {
          if (settled) return
          finish()
          reject(callFailure(describeAddress(to), target, reason))
        },
      })
      rt.addPort(port)
      this.#ports.set(port, (error) => {
        if (settled) return
        finish()
        reject(error)
      })
      // Infinity means no timer at all (Node would fire a timer of more than 2^31 - 1 ms at once).
      const timer =
        timeoutMs === Infinity
          ? undefined
          : rt.clock.setTimeout(() => {
              if (settled) return
              finish()
              reject(new CallTimeoutError(describeAddress(to), timeoutMs))
            }, timeoutMs)
      const monitorRef = rt.monitorFrom(port, target)
      if (settled) return
      try {
        rt.route(target as Address, { $cohort: 'call', from: { pid: port.pid, ref }, request }, from)
      } catch (error) {
        finish()
        reject(error as Error)
      }
    })
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
    if (port.monitors.has(ref.key)) this.#watches.set(ref.key, port)
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
    for (const fail of [...this.#ports.values()]) {
      fail(new CohortError('COHORT_ERR_SYSTEM_STOPPED', 'the system shut down during the call'))
    }
    for (const key of [...this.#spawns.keys()]) {
      this.#failSpawn(key, new CohortError('COHORT_ERR_SYSTEM_STOPPED', 'the system shut down during a remote spawn'))
    }
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
