/**
 * The part every handle of a cluster service shares (groups, presence, global names, replicated maps): the service's state lives in one
 * actor per node, and its handle knows whether that actor still runs and ends it on request. Each service's start
 * function sets `stopped` when the actor ends for any reason (its monitor also drops the service's tables), so a
 * handle refuses work after a crash exactly as after `stop()`.
 */
import type { Pid } from '../pid.ts'
import type { ActorSystem } from '../system/actor-system.ts'

export abstract class ServiceHandle implements AsyncDisposable {
  /** The service's actor on this node. */
  readonly pid: Pid
  /** True once the service's actor has ended, by `stop()` or otherwise. */
  stopped = false
  readonly #system: ActorSystem

  constructor(system: ActorSystem, pid: Pid) {
    this.#system = system
    this.pid = pid
  }

  /** Ends the service's actor with 'shutdown'; resolves once it has ended (at once if it already had). */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    return new Promise<void>((resolve) => {
      this.#system.monitor(this.pid, () => resolve())
      this.#system.exit(this.pid, 'shutdown')
    })
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop()
  }
}
