/**
 * ProcessTable: a node's identity (its name, incarnation, pids and refs) and its processes: the actors and the
 * callback processes, each by pid id, and what happens to a message for a process that is not there (a dead letter).
 * Every other part looks processes up here; nothing else holds a process by pid.
 *
 * Hot path: `lookup` (every local send, every message from another node).
 */
import type { Logger } from 'pino'
import { IdTable } from '../internal/id-table.ts'
import { PagedIdTable } from '../internal/paged-id-table.ts'
import { bindLocal, Pid } from '../pid.ts'
import { Ref } from '../ref.ts'
import type { Actor } from './actor.ts'
import type { CallbackProcess } from './callback-process.ts'
import type { DeadLetterReason } from '../trace.ts'
import type { Process } from './process.ts'
import type { Counters, ProcessInfo } from './system-stats.ts'
import type { Tracer } from './tracer.ts'


export class ProcessTable {
  /** This node's name: the same string as every decoded pid of this node, so `to.node === node` compares pointers. */
  readonly node: string
  readonly creation: number
  /** The pseudo-process that is the parent of actors spawned from outside any actor. */
  readonly systemPid: Pid
  readonly counters: Counters = { spawned: 0, exited: 0, messagesDelivered: 0, deadLetters: 0, restarts: 0 }
  /** Actors by pid id. Not a Map: spawn and exit churn (id-table.ts), and spawn storms (paged-id-table.ts). */
  readonly #actors = new PagedIdTable<Actor>()
  /**
   * Callback processes by pid id, apart from the actors: one lives for one call, and its churn fills a table with
   * tombstones until the table is rebuilt, moving every entry. Apart, that is a table of the calls in flight, not of
   * a million actors (a Map rehashed the same way: about 100 ms for a million actors, every million calls).
   */
  readonly #callbacks = new IdTable<CallbackProcess>()
  readonly #tracer: Tracer
  readonly #logger: Logger
  #nextId = 1
  #nextRef = 1

  constructor(node: string, creation: number, tracer: Tracer, logger: Logger) {
    this.node = node
    this.creation = creation
    this.systemPid = new Pid(node, 0, creation)
    this.#tracer = tracer
    this.#logger = logger
  }

  makePid(): Pid {
    return new Pid(this.node, this.#nextId++, this.creation)
  }

  makeRef(): Ref {
    return new Ref(this.node, this.#nextRef++, this.creation)
  }

  isLocal(pid: Pid): boolean {
    return pid.node === this.node
  }

  /** The live local process of `pid`, if any (a pid of an earlier incarnation has none). */
  lookup(pid: Pid): Process | undefined {
    if (pid.node !== this.node || pid.creation !== this.creation) return undefined
    return this.#actors.get(pid.id) ?? this.#callbacks.get(pid.id)
  }

  /** The live local actor of `pid`, if any. */
  actor(pid: Pid): Actor | undefined {
    if (pid.node !== this.node || pid.creation !== this.creation) return undefined
    return this.#actors.get(pid.id)
  }

  /** The actor with pid id `id` of this node's current incarnation, if alive (the caller checked the incarnation). */
  actorById(id: number): Actor | undefined {
    return this.#actors.get(id)
  }

  /** The callback process with pid id `id`, as `actorById`. */
  callbackById(id: number): CallbackProcess | undefined {
    return this.#callbacks.get(id)
  }

  get actorCount(): number {
    return this.#actors.size
  }

  addActor(actor: Actor): void {
    this.#actors.set(actor)
    bindLocal(actor.pid, actor)
  }

  removeActor(actor: Actor): void {
    this.#actors.delete(actor.pid.id)
    bindLocal(actor.pid, undefined)
  }

  addCallback(process: CallbackProcess): void {
    this.#callbacks.set(process)
  }

  removeCallback(process: CallbackProcess): void {
    process.alive = false
    this.#callbacks.delete(process.pid.id)
  }

  /** Every actor, in no particular order: a copy, safe to use while actors exit. */
  actors(): Actor[] {
    return this.#actors.values()
  }

  /** Every actor, oldest first (pid ids are handed out in order; the table keeps none). */
  actorsInSpawnOrder(): Actor[] {
    return this.#actors.values().sort((a, b) => a.pid.id - b.pid.id)
  }

  /** What `processes()` reports: every actor, oldest first, as tools see it. */
  processes(): ProcessInfo[] {
    return this.actorsInSpawnOrder().map((actor) => ({
      pid: actor.pid,
      name: actor.name,
      behaviour: actor.behaviourName,
      mailboxDepth: actor.mailboxDepth,
      links: actor.links?.size ?? 0,
      monitors: actor.monitors?.size ?? 0,
      monitoredBy: actor.watchers?.size ?? 0,
      trapExit: actor.trapping,
    }))
  }

  /** Every callback process: a copy. */
  callbacks(): CallbackProcess[] {
    return this.#callbacks.values()
  }

  /** `msg` for `to` could not be delivered: counted, traced, logged at debug. Never a throw (as in Erlang). */
  deadLetter(to: unknown, msg: unknown, reason: DeadLetterReason): void {
    this.counters.deadLetters++
    if (this.#tracer.tracing) this.#tracer.emit({ type: 'deadLetter', to, msg, reason })
    if (this.#logger.isLevelEnabled('debug')) this.#logger.debug({ to: String(to), reason }, 'dead letter')
  }
}
