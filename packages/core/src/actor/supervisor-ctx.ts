/**
 * SupervisorCtx: what a supervisor needs beyond `Ctx`, named so a supervisor is a plain server behaviour that asks
 * for a wider ctx instead of casting its ctx to the runtime. Every actor's ctx provides it; only the supervisors of
 * supervision/ use it, and it is not part of the public API.
 */
import type { Pid } from '../pid.ts'
import type { Ctx } from './ctx.ts'

export interface SupervisorCtx extends Ctx {
  /** The system clock's now, for the restart-intensity window. */
  now(): number
  /**
   * Sends `pid` an exit signal with `reason` from this actor and resolves once it has ended; after `timeoutMs` (if
   * given) it is killed. How a supervisor stops a child (OTP's shutdown: a timeout, or `brutalKill`).
   */
  stopChild(pid: Pid, reason: unknown, timeoutMs: number | undefined): Promise<void>
  /**
   * Records that this supervisor is restarting `child`: counts it in `stats().restarts`, emits the `restart` trace
   * record (one branch when nobody traces) and tells `monitorRestarts` listeners.
   */
  noteRestart(child: string, reason: unknown): void
}
