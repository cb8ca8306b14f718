/**
 * Lifecycle: an actor's birth and death. `spawn` picks the runner for the behaviour (a server behaviour or a process
 * function), enters the actor in the process table, registers its name and links it to its parent; `die` takes it
 * out again, releases its name and timers, and has its links and monitors fire.
 */
import type { Logger } from 'pino'
import type { SpawnOptions } from '../actor/ctx.ts'
import type { Behaviour } from '../actor/behaviour.ts'
import { isProcessFunction } from '../actor/behaviour.ts'
import type { ProcessFunction } from '../actor/process-function.ts'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import { CohortError, StartFailedError, describeValue } from '../errors.ts'
import { isExpectedExit } from '../exit-reason.ts'
import type { Pid } from '../pid.ts'
import { ActorStatus } from './actor.ts'
import type { Actor, ActorHost } from './actor.ts'
import type { Definitions } from './definitions.ts'
import type { LinksAndMonitors } from './links-and-monitors.ts'
import { resolveMailboxLimits } from './mailbox-pressure.ts'
import { ProcessActor } from './process-actor.ts'
import type { ProcessTable } from './process-table.ts'
import type { Registry } from './registry.ts'
import { ServerActor, serverBehaviourName } from './server-actor.ts'
import type { Timers } from './timers.ts'
import type { Tracer } from './tracer.ts'

/** The parts an actor's birth and death touch. */
export interface LifecycleParts {
  readonly table: ProcessTable
  readonly registry: Registry
  readonly definitions: Definitions
  readonly signals: LinksAndMonitors
  readonly timers: Timers
  readonly tracer: Tracer
  readonly logger: Logger
}

export class Lifecycle {
  readonly #parts: LifecycleParts
  readonly #host: ActorHost
  /** Set once the system shuts down: nothing more is spawned. */
  stopped = false

  constructor(parts: LifecycleParts, host: ActorHost) {
    this.#parts = parts
    this.#host = host
  }

  /** Spawns an actor whose `init` runs on the scheduler; `parent` undefined spawns it from outside any actor. */
  spawn(parent: Actor | undefined, behaviour: Behaviour | string, args: unknown, options: SpawnOptions | undefined): Pid {
    return this.#create(parent, behaviour, args, options).pid
  }

  /** Spawns, and resolves once `init` succeeded. @throws StartFailedError (as a rejection) when it failed */
  start(parent: Actor | undefined, behaviour: Behaviour | string, args: unknown, options: SpawnOptions | undefined): Promise<Pid> {
    return new Promise<Pid>((resolve, reject) => {
      const actor = this.#create(parent, behaviour, args, options, (failure) => {
        if (failure === undefined) resolve(actor.pid)
        else reject(new StartFailedError(`${actor.behaviourName} ${String(actor.pid)}`, failure))
      })
    })
  }

  #create(
    parent: Actor | undefined,
    behaviour: Behaviour | string,
    args: unknown,
    options: SpawnOptions | undefined,
    onStarted?: (failure: unknown) => void,
  ): Actor {
    const { table, registry, definitions, tracer } = this.#parts
    if (this.stopped) {
      throw new CohortError('COHORT_ERR_SYSTEM_STOPPED', `cannot spawn on ${table.node}: the system has shut down`)
    }
    let name: string
    let version = 0
    let b: Behaviour
    if (typeof behaviour === 'string') {
      const def = definitions.require(behaviour)
      b = def.behaviour
      name = behaviour
      version = def.version
    } else {
      b = behaviour
      name = isProcessFunction(b) ? b.name || 'process' : serverBehaviourName(b as ServerBehaviour)
    }
    const host = this.#host
    const limits =
      options?.maxMailbox !== undefined || options?.mailboxOverflow !== undefined
        ? resolveMailboxLimits(options.maxMailbox, options.mailboxOverflow, host.defaultMailboxLimits.pressureAt, host.defaultMailboxLimits.pressureBytes)
        : undefined
    const pid = table.makePid()
    const parentPid = parent?.pid ?? table.systemPid
    const actor = isProcessFunction(b)
      ? new ProcessActor(this.#host, pid, parentPid, b as ProcessFunction, args, name)
      : new ServerActor(this.#host, pid, parentPid, b as ServerBehaviour, args, name, version)
    if (limits !== undefined) actor.limits = limits
    actor.onStarted = onStarted
    table.addActor(actor)
    table.counters.spawned++
    if (options?.name !== undefined) {
      try {
        registry.register(options.name, actor)
      } catch (error) {
        table.removeActor(actor)
        throw error
      }
    }
    if (options?.link === true && parent !== undefined) {
      parent.addLink(pid)
      actor.addLink(parent.pid)
      if (tracer.tracing) tracer.emit({ type: 'link', from: parent.pid, to: pid })
    }
    if (tracer.tracing) tracer.emit({ type: 'spawn', pid, parent: parent?.pid, behaviour: name })
    actor.start()
    return actor
  }

  /** Ends `actor` with `reason` now: it leaves the table, its links and monitors fire, its timers stop. */
  die(actor: Actor, reason: unknown): void {
    if (actor.status === ActorStatus.dead) return
    const { table, registry, signals, timers, tracer, logger } = this.#parts
    actor.status = ActorStatus.dead
    actor.cleanup()
    table.removeActor(actor)
    table.counters.exited++
    if (actor.name !== undefined) registry.unregister(actor.name)
    if (actor.timers !== null) for (const key of actor.timers) timers.cancelKey(key)
    actor.mailbox = null
    // A connection held back for this actor's mailbox is read again: nothing will take those messages now.
    actor.relieve()
    const started = actor.onStarted
    actor.onStarted = undefined
    started?.(reason)
    const linkReason = reason === 'kill' ? 'killed' : reason
    signals.actorEnded(actor, linkReason)
    if (tracer.tracing) tracer.emit({ type: 'exit', pid: actor.pid, reason: linkReason })
    if (isExpectedExit(reason) && logger.isLevelEnabled('debug')) {
      logger.debug({ pid: String(actor.pid), reason: describeValue(reason) }, 'actor exited')
    }
  }
}
