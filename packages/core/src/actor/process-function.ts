/**
 * ProcessFunction: an actor written as an async function with Erlang's selective receive:
 * `async (ctx, args) => { for (;;) { const m = await ctx.receive(); … } }`. The function's return ends the actor
 * normally; a throw or rejection ends it with that error as exit reason.
 *
 * Gotchas: when such an actor is killed while it awaits something other than `receive` (a fetch, say), its function
 * keeps running until that await settles, but every ctx operation is then a no-op and `receive` never resolves.
 */
import type { Ctx } from './ctx.ts'

/** Resolved by `receive` when its timeout passes first. A symbol, so it can never be a message. */
export const RECEIVE_TIMEOUT: unique symbol = Symbol('cohort.receiveTimeout')

/** The ctx of a process function: the common ctx plus `receive`. */
export interface ProcessCtx extends Ctx {
  /**
   * Takes the first message in the mailbox that `match` accepts (the first of all without `match`), waiting for one
   * if needed. With `timeoutMs`, resolves RECEIVE_TIMEOUT if none arrives in time.
   */
  receive<T = any>(match?: (msg: any) => boolean, timeoutMs?: number): Promise<T>
  receive<T = any>(match: ((msg: any) => boolean) | undefined, timeoutMs: number): Promise<T | typeof RECEIVE_TIMEOUT>
}

/** An actor written as an async function. */
export type ProcessFunction<A = any> = (ctx: ProcessCtx, args: A) => unknown
