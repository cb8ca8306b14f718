/**
 * ServerBehaviour: the gen_server-style contract. User code; the runner is system/server-actor.ts.
 *
 * Callbacks (all may be sync or async; the actor takes its next message only when the callback has settled):
 * - `init(args, ctx)` → the initial state, or `{ stop: reason }` to refuse to start. Runs before any message.
 * - `handleCall(request, from, state, ctx)` → `{ reply, state }` replies at once; `{ noreply: state }` replies later
 *   with `ctx.reply(from, value)`; `{ stop: reason, reply?, state? }` (replies first if `reply` is present) stops.
 * - `handleCast(request, state, ctx)` → the next state, `{ noreply: state }`, or `{ stop: reason, state? }`.
 * - `handleInfo(msg, state, ctx)` → as handleCast; receives every other message, including `Down`, `Exit` (when
 *   trapping exits) and timer messages. Without `handleInfo` such messages are logged at warn and dropped.
 * - `terminate(reason, state, ctx)` → called when the actor stops by returning `stop`, by throwing from a callback,
 *   or, when it traps exits, by an exit signal from its parent (this is how a supervisor's `shutdown` reaches it).
 *   Not called when killed or when a linked actor's exit kills it without trapping (as in OTP). A throw is reported
 *   and the exit goes on with the original reason.
 * - `codeChange(oldVersion, state, extra)` → the migrated state, when `ActorSystem.upgrade` replaces the behaviour.
 * - `formatStatus(state)` → what a crash report shows of the state (trim or redact secrets).
 *
 * Timeline
 * ```
 * runtime                         behaviour
 *   spawn ─────────────────────▶  init(args)        → state
 *   call(req) ─────────────────▶  handleCall(req)   → { reply, state } ──▶ caller's promise resolves
 *   cast(req) ─────────────────▶  handleCast(req)   → state
 *   any other message ─────────▶  handleInfo(msg)   → state
 *   stop / crash / parent exit ▶  terminate(reason)  then the actor is gone; links and monitors fire
 * ```
 *
 * Gotchas: a state object whose own keys are exactly `noreply`, or `stop` with optional `state`/`reply`, is read as
 * a directive. Wrap such a state: `{ noreply: state }`.
 */
import type { Ctx, From } from './ctx.ts'

/** What `handleCall` returns. */
export type CallResult<S> =
  | { reply: unknown; state: S }
  | { noreply: S }
  | { stop: unknown; reply?: unknown; state?: S }

/** What `handleCast` and `handleInfo` return: the next state, or a directive. */
export type HandlerResult<S> = S | { noreply: S } | { stop: unknown; state?: S }

type MaybeAsync<T> = T | Promise<T>

/**
 * A gen_server-style actor: state plus callbacks. `C` is the ctx its callbacks receive: `Ctx` for every user
 * behaviour; core's supervisors ask for the wider `SupervisorCtx` (actor/supervisor-ctx.ts), which every actor's ctx
 * provides.
 */
export interface ServerBehaviour<S = any, A = any, C extends Ctx = Ctx> {
  /** A name for crash reports and the cluster view. @default the registered name, or 'anonymous' */
  name?: string
  init(args: A, ctx: C): MaybeAsync<S | { stop: unknown }>
  handleCall?(request: any, from: From, state: S, ctx: C): MaybeAsync<CallResult<S>>
  handleCast?(request: any, state: S, ctx: C): MaybeAsync<HandlerResult<S>>
  handleInfo?(msg: any, state: S, ctx: C): MaybeAsync<HandlerResult<S>>
  terminate?(reason: unknown, state: S, ctx: C): MaybeAsync<void>
  codeChange?(oldVersion: number, state: any, extra: unknown): MaybeAsync<S>
  formatStatus?(state: S): unknown
}

/** A call request as it travels in a mailbox (any actor can answer one with `ctx.reply`). */
export interface CallRequest {
  readonly $cohort: 'call'
  readonly from: From
  readonly request: unknown
}

/** A cast as it travels in a mailbox. */
export interface CastRequest {
  readonly $cohort: 'cast'
  readonly request: unknown
}

/** True when `msg` is a call request (for process functions that answer calls). */
export function isCallRequest(msg: unknown): msg is CallRequest {
  return typeof msg === 'object' && msg !== null && (msg as { $cohort?: unknown }).$cohort === 'call'
}

/** True when `msg` is a cast. */
export function isCastRequest(msg: unknown): msg is CastRequest {
  return typeof msg === 'object' && msg !== null && (msg as { $cohort?: unknown }).$cohort === 'cast'
}
