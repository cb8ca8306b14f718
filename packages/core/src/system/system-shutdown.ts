/**
 * Stopping: one process, as supervisors and shutdown stop one (an exit signal, then a wait for it to end, then a kill
 * after a deadline), and the whole system (top-level actors in reverse spawn order, each stopping its own subtree, then
 * whatever is left, then the calls, remote spawns and timers still waiting).
 */
import type { Clock } from '../clock.ts'
import type { Pid } from '../pid.ts'
import type { Calls } from './calls.ts'
import type { Lifecycle } from './lifecycle.ts'
import type { LinksAndMonitors } from './links-and-monitors.ts'
import type { ProcessTable } from './process-table.ts'
import type { RemoteSpawn } from './remote-spawn.ts'
import type { Timers } from './timers.ts'

/** How long `shutdown` waits for each top-level actor before killing it. */
export const SHUTDOWN_WAIT_MS = 5000

export interface SystemShutdownParts {
  table: ProcessTable
  signals: LinksAndMonitors
  calls: Calls
  lifecycle: Lifecycle
  remoteSpawn: RemoteSpawn
  timers: Timers
  clock: Clock
}

export class SystemShutdown {
  readonly #parts: SystemShutdownParts
  #stopping: Promise<void> | undefined = undefined

  constructor(parts: SystemShutdownParts) {
    this.#parts = parts
  }

  /**
   * Sends `pid` an exit signal with `reason` from `from` and resolves when it has ended; after `timeoutMs` (if given)
   * it is killed. How supervisors and shutdown stop a process.
   */
  stopProcess(pid: Pid, reason: unknown, timeoutMs: number | undefined, from: Pid): Promise<void> {
    const { calls, signals, clock } = this.#parts
    return new Promise<void>((resolve) => {
      let timer: unknown
      calls.watch(pid, () => {
        if (timer !== undefined) clock.clearTimeout(timer)
        resolve()
      })
      if (timeoutMs !== undefined) timer = clock.setTimeout(() => signals.exit(pid, 'kill', from), timeoutMs)
      signals.exit(pid, reason, from)
    })
  }

  /** Stops every actor, then the system; the same promise for every caller (idempotent). */
  shutdown(reason: unknown): Promise<void> {
    this.#stopping ??= this.#stopAll(reason)
    return this.#stopping
  }

  async #stopAll(reason: unknown): Promise<void> {
    const { table, lifecycle, calls, remoteSpawn, timers } = this.#parts
    lifecycle.stopped = true
    // Top-level actors in reverse spawn order; each stops its own subtree (a supervisor stops its children).
    const topLevel = table
      .actorsInSpawnOrder()
      .filter((p) => p.parent === undefined || p.parent.equals(table.systemPid) || table.lookup(p.parent) === undefined)
      .reverse()
    for (const actor of topLevel) {
      if (!actor.alive) continue
      await this.stopProcess(actor.pid, reason, SHUTDOWN_WAIT_MS, table.systemPid)
    }
    for (const actor of table.actors()) lifecycle.die(actor, 'killed')
    calls.stopAll()
    remoteSpawn.stopAll()
    timers.cancelAll()
  }
}
