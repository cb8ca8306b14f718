/**
 * A keeper: the supervisor of one child that it restarts with capped exponential backoff each time the child ends (a
 * supervisor that gave up, or a worker that crashed). OTP supervisors restart at once and, past their intensity, exit
 * and leave the decision to their parent; for a child that fails because something outside the node is away (a
 * database, a feed), the useful decision is "try again later, and say so", not "crash the node". With the
 * `'escalate'` policy the keeper exits instead, and the decision goes up the tree as OTP would take it.
 * Gotchas: the keeper traps exits; its parent's exit signal stops the child first and then the keeper, so shutdown
 * still runs in reverse order.
 */
import { Exit, RECEIVE_TIMEOUT } from '@cohort/core'
import type { Behaviour, Pid, ProcessCtx, Random } from '@cohort/core'

/** What a keeper runs and how it waits. */
export interface BackoffKeeperOptions {
  /** The child to keep running (a supervisor or a worker). */
  child: Behaviour
  /** `'backoff'`: start it again after a delay; `'escalate'`: exit with `{ gaveUp: reason }`. */
  onGiveUp: 'backoff' | 'escalate'
  backoffInitialMs: number
  backoffMaxMs: number
  random: Random
  /** The time in milliseconds, for the backoff's deadline (the system's clock in tests). @default performance.now */
  now?: () => number
  /** Called when the child ended, with the delay before the next attempt (undefined when escalating). */
  onChildGaveUp(reason: unknown, attempt: number, retryInMs: number | undefined): void
  /** True once the child did useful work since it was started: the next give-up starts the backoff over. */
  recovered(): boolean
}

/** The delay before attempt `attempt` (1-based): doubling from initialMs, capped at maxMs, half of it jittered. */
export function backoffDelayMs(attempt: number, initialMs: number, maxMs: number, random: Random): number {
  const capped = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30))
  return Math.round(capped / 2 + (random() * capped) / 2)
}

/** The keeper as a process function. */
export function backoffKeeper(options: BackoffKeeperOptions): (ctx: ProcessCtx) => Promise<void> {
  // Named, so that crash reports and the cluster view say "keeper".
  return async function keeper(ctx) {
    ctx.trapExit(true)
    const now = options.now ?? (() => performance.now())
    const parent = ctx.parent
    const isParent = (pid: Pid): boolean => parent !== undefined && pid.equals(parent)
    let attempt = 0
    for (;;) {
      let child: Pid | undefined
      let reason: unknown
      try {
        child = await ctx.startLink(options.child)
      } catch (err) {
        reason = err
      }
      if (child !== undefined) {
        for (;;) {
          const exit = await ctx.receive<Exit>((m) => m instanceof Exit)
          if (isParent(exit.from)) {
            ctx.exitOther(child, 'shutdown')
            await ctx.receive((m) => m instanceof Exit && m.from.equals(child))
            ctx.exit(exit.reason)
          }
          if (exit.from.equals(child)) {
            reason = exit.reason
            break
          }
          // An Exit from a child of an earlier round that failed to start: nothing to do.
        }
      }
      attempt = options.recovered() ? 1 : attempt + 1
      if (options.onGiveUp === 'escalate') {
        options.onChildGaveUp(reason, attempt, undefined)
        ctx.exit({ gaveUp: reason })
      }
      const delayMs = backoffDelayMs(attempt, options.backoffInitialMs, options.backoffMaxMs, options.random)
      options.onChildGaveUp(reason, attempt, delayMs)
      const deadline = now() + delayMs
      for (;;) {
        const left = deadline - now()
        if (left <= 0) break
        const m: unknown = await ctx.receive((x) => x instanceof Exit, left)
        if (m === RECEIVE_TIMEOUT) break
        if (m instanceof Exit && isParent(m.from)) ctx.exit(m.reason)
      }
    }
  }
}
