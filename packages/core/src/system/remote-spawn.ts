/**
 * RemoteSpawn: `spawnOn` across nodes. The requester sends `spawnRequest` from a callback process (or from the actor
 * that links to the new one) and waits for `spawnReply`; the other node spawns the defined behaviour and answers with
 * its pid or why it failed. A lost connection rejects what is waiting with NoConnectionError.
 */
import type { SpawnReplyControl, SpawnRequestControl } from '../distribution/control-message.ts'
import { CohortError, NoConnectionError } from '../errors.ts'
import { Pid } from '../pid.ts'
import type { Actor } from './actor.ts'
import { CallbackProcess } from './callback-process.ts'
import type { LinksAndMonitors } from './links-and-monitors.ts'
import type { ProcessTable } from './process-table.ts'
import type { Router } from './router.ts'

interface PendingSpawn {
  node: string
  waiter: CallbackProcess
  resolve: (pid: Pid) => void
  reject: (error: Error) => void
  linkTo: Actor | undefined
}

/** Spawns the defined behaviour `behaviour` on this node for a requester on another (lifecycle.ts does it). */
export type SpawnDefined = (behaviour: string, args: unknown) => Pid

export class RemoteSpawn {
  readonly #table: ProcessTable
  readonly #router: Router
  readonly #signals: LinksAndMonitors
  readonly #spawn: SpawnDefined
  readonly #pending = new Map<string, PendingSpawn>()

  constructor(table: ProcessTable, router: Router, signals: LinksAndMonitors, spawn: SpawnDefined) {
    this.#table = table
    this.#router = router
    this.#signals = signals
    this.#spawn = spawn
  }

  /** Spawns `behaviour` on `node` (this node too), linked to `linkTo` if given. */
  spawnOn(node: string, behaviour: string, args: unknown, linkTo: Actor | undefined): Promise<Pid> {
    const table = this.#table
    if (node === table.node) {
      // Here: no request, no reply; the same spawn a remote requester gets, or the linking actor's own spawnLink.
      return Promise.resolve(linkTo !== undefined ? linkTo.spawnLink(behaviour, args) : this.#spawn(behaviour, args))
    }
    return new Promise<Pid>((resolve, reject) => {
      const ref = table.makeRef()
      const waiter = new CallbackProcess(table.makePid(), { message: () => {}, down: () => {} })
      table.addCallback(waiter)
      this.#pending.set(ref.key, { node, waiter, resolve, reject, linkTo })
      const sent = this.#router.control(node, { type: 'spawnRequest', from: linkTo?.pid ?? waiter.pid, ref, behaviour, args, link: linkTo !== undefined })
      if (!sent) this.#fail(ref.key, new NoConnectionError(`spawn of ${behaviour}`, node))
    })
  }

  /** A node asked us to spawn: spawn, link if asked, and answer with the pid or the reason. */
  answer(fromNode: string, c: SpawnRequestControl): void {
    const reply = (pid: Pid | undefined, error: string | undefined): void => {
      this.#router.control(fromNode, { type: 'spawnReply', to: c.from, ref: c.ref, pid, error })
    }
    let pid: Pid
    try {
      pid = this.#spawn(c.behaviour, c.args)
    } catch (error) {
      reply(undefined, (error as Error).message)
      return
    }
    if (c.link) this.#table.lookup(pid)?.linkedBy(c.from)
    reply(pid, undefined)
  }

  /** The answer to one of our requests arrived. */
  replied(c: SpawnReplyControl): void {
    const pending = this.#pending.get(c.ref.key)
    if (pending === undefined) {
      // The requester is gone: do not leave a linked orphan behind.
      if (c.pid !== undefined) this.#signals.exit(c.pid, 'noproc', this.#table.systemPid)
      return
    }
    this.#pending.delete(c.ref.key)
    this.#table.removeCallback(pending.waiter)
    if (c.pid === undefined || !(c.pid instanceof Pid)) {
      pending.reject(new CohortError('COHORT_ERR_UNKNOWN_BEHAVIOUR', `remote spawn on ${pending.node} failed: ${c.error ?? 'no pid'}`))
      return
    }
    if (pending.linkTo !== undefined) {
      if (pending.linkTo.alive) pending.linkTo.addLink(c.pid)
      else this.#signals.exit(c.pid, 'noproc', this.#table.systemPid)
    }
    pending.resolve(c.pid)
  }

  /** The connection to `node` was lost: what waits for it fails. */
  nodeDown(node: string): void {
    for (const [key, pending] of [...this.#pending]) {
      if (pending.node === node) this.#fail(key, new NoConnectionError('a remote spawn', node))
    }
  }

  /** Rejects every pending remote spawn: the system stopped. */
  stopAll(): void {
    for (const key of [...this.#pending.keys()]) {
      this.#fail(key, new CohortError('COHORT_ERR_SYSTEM_STOPPED', 'the system shut down during a remote spawn'))
    }
  }

  #fail(key: string, error: Error): void {
    const pending = this.#pending.get(key)
    if (pending === undefined) return
    this.#pending.delete(key)
    this.#table.removeCallback(pending.waiter)
    pending.reject(error)
  }
}
