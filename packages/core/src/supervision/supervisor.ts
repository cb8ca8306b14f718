/**
 * Supervisor: a server behaviour that starts children, watches them through links (it traps exits) and restarts
 * them by its strategy — OTP's supervisor.
 *
 * Principles
 * - Children start in the order given; `start` of the supervisor resolves when all have started. If a child's
 *   `init` fails, the children already started are stopped and the supervisor's start fails with
 *   `{ shutdown: { failedToStartChild: id, reason } }`.
 * - Children stop in reverse order: when the supervisor stops (its parent's shutdown, or `system.shutdown`) and for
 *   `oneForAll`/`restForOne` restarts.
 * - Strategies: `oneForOne` restarts the failed child; `oneForAll` stops the others and restarts all;
 *   `restForOne` stops and restarts the failed child and every child started after it.
 * - Restart types: `permanent` always; `transient` only after an abnormal exit (not normal, not shutdown);
 *   `temporary` never (the child is forgotten).
 * - Intensity `{ maxRestarts, withinMs }`: one restart more than `maxRestarts` within `withinMs` and the supervisor
 *   stops its children and exits with `'shutdown'`; its own supervisor then decides.
 * - Backoff (a child spec's `backoff`, restart-backoff.ts): the child is started again after a delay that grows with
 *   each failure in a row, not at once. Siblings its strategy restarts with it stop at once and start with it after
 *   the delay. A start that fails is the next failure. These restarts do not count toward the intensity (the delay
 *   paces them); `backoff.maxAttempts` failures in a row end the supervisor as exceeded intensity would. A child whose
 *   first start, in the supervisor's init, fails is not a failed init: it waits its first delay, alone.
 * - Stopping a child: unlink, exit signal `'shutdown'`, wait `shutdown` ms for it to end, then `'kill'`.
 *   `'brutalKill'` kills at once; `'infinity'` waits as long as it takes.
 *
 * Calls it answers (through the helpers of dynamic-supervisor.ts): startChild, terminateChild, whichChildren,
 * countChildren; and one cast, resetBackoff.
 */
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import type { SupervisorCtx } from '../actor/supervisor-ctx.ts'
import { isExpectedExit } from '../exit-reason.ts'
import type { Pid } from '../pid.ts'
import { Exit } from '../signals.ts'
import { resolveChildSpec, resolveSupervisorOptions, SUPERVISOR_MARK } from './child-spec.ts'
import type { ChildSpec, Intensity, ResolvedChildSpec, SupervisorOptions, SupervisorStrategy } from './child-spec.ts'
import { restartDelayMs } from './restart-backoff.ts'
import type { RestartBackoffEvent } from './restart-backoff.ts'
import { addRestart } from './restart-intensity.ts'

/** A running child, as `whichChildren` reports it. */
export interface ChildInfo {
  id: string
  pid: Pid | undefined
  type: 'worker' | 'supervisor'
  restart: ResolvedChildSpec['restart']
}

interface Child {
  spec: ResolvedChildSpec
  pid: Pid | undefined
  /** With a backoff: failures in a row, the time of the last start, and the restart waiting for its timer. */
  failures: number
  startedAt: number | undefined
  pending: PendingRestart | undefined
}

/** A restart after a backoff delay: the children to start when the timer's message comes, and why. */
interface PendingRestart {
  token: number
  children: Child[]
  reason: unknown
}

/** What a backoff timer sends the supervisor itself; the token tells a current timer from a stale one. */
interface RestartDue {
  $sup: 'restartDue'
  token: number
}

const isRestartDue = (msg: unknown): msg is RestartDue =>
  typeof msg === 'object' && msg !== null && (msg as RestartDue).$sup === 'restartDue' && typeof (msg as RestartDue).token === 'number'

export interface SupervisorState {
  strategy: SupervisorStrategy
  intensity: Intensity
  children: Child[]
  restarts: number[]
  name: string
  maxChildren: number
  dynamic: boolean
  nextId: number
  /** The last token handed to a backoff timer. */
  nextToken: number
}

/** Requests a supervisor answers. */
export type SupervisorRequest =
  | { $sup: 'startChild'; spec: ChildSpec }
  | { $sup: 'terminateChild'; child: Pid | string }
  | { $sup: 'whichChildren' }
  | { $sup: 'countChildren' }

/** Casts a supervisor answers. */
export type SupervisorCast = { $sup: 'resetBackoff'; child: string }

/** Creates a supervisor behaviour; start it with `system.start(supervisor({...}))` or as a child of another. */
export function supervisor(options: SupervisorOptions): ServerBehaviour<SupervisorState, void> {
  const resolved = resolveSupervisorOptions(options)
  return makeSupervisor(resolved.name, resolved.strategy, resolved.intensity, resolved.children, Infinity, false)
}

export function makeSupervisor(
  name: string,
  strategy: SupervisorStrategy,
  intensity: Intensity,
  specs: ResolvedChildSpec[],
  maxChildren: number,
  dynamic: boolean,
): ServerBehaviour<SupervisorState, void> {
  // Its callbacks take the wider SupervisorCtx, which every actor's ctx provides (system/actor.ts).
  const behaviour: ServerBehaviour<SupervisorState, void, SupervisorCtx> & { [SUPERVISOR_MARK]: true } = {
    [SUPERVISOR_MARK]: true,
    name,
    async init(_args, ctx) {
      ctx.trapExit(true)
      const state: SupervisorState = { strategy, intensity, children: [], restarts: [], name, maxChildren, dynamic, nextId: 0, nextToken: 0 }
      for (const spec of specs) {
        const child = newChild(spec)
        try {
          await startChild(ctx, child)
        } catch (error) {
          if (spec.backoff !== undefined) {
            // A dependency that is away at boot is what backoff is for: the child waits its first delay, alone.
            state.children.push(child)
            const gaveUp = backOff(ctx, state, child, startReason(error), [child])
            if (gaveUp !== undefined) {
              await stopChildren(ctx, state.children.slice().reverse())
              return { stop: { shutdown: { failedToStartChild: spec.id, reason: startReason(error) } } }
            }
            continue
          }
          await stopChildren(ctx, state.children.slice().reverse())
          return { stop: { shutdown: { failedToStartChild: spec.id, reason: startReason(error) } } }
        }
        state.children.push(child)
      }
      return state
    },

    async handleCall(request: SupervisorRequest, _from, state, ctx) {
      switch (request?.$sup) {
        case 'startChild': {
          if (state.children.length >= state.maxChildren) {
            return { reply: { error: 'maxChildren' }, state }
          }
          let spec: ResolvedChildSpec
          try {
            // Generated ids are numbered among the children that needed one.
            spec = resolveChildSpec(request.spec, 'spec', request.spec?.id ?? `child${state.nextId++}`)
          } catch (error) {
            return { reply: { error: (error as Error).message }, state }
          }
          if (state.children.some((c) => c.spec.id === spec.id)) {
            return { reply: { error: `a child with id ${JSON.stringify(spec.id)} exists` }, state }
          }
          try {
            const child = newChild(spec)
            const pid = await startChild(ctx, child)
            state.children.push(child)
            return { reply: { pid }, state }
          } catch (error) {
            return { reply: { error: String(startReason(error)) }, state }
          }
        }
        case 'terminateChild': {
          const child = state.children.find((c) => (typeof request.child === 'string' ? c.spec.id === request.child : c.pid?.equals(request.child)))
          if (child === undefined) return { reply: { error: 'notFound' }, state }
          await stopChildren(ctx, [child])
          state.children = state.children.filter((c) => c !== child)
          return { reply: { ok: true }, state }
        }
        case 'whichChildren':
          return { reply: state.children.map((c): ChildInfo => ({ id: c.spec.id, pid: c.pid, type: c.spec.type, restart: c.spec.restart })), state }
        case 'countChildren': {
          const active = state.children.filter((c) => c.pid !== undefined).length
          const supervisors = state.children.filter((c) => c.spec.type === 'supervisor').length
          return { reply: { specs: state.children.length, active, supervisors, workers: state.children.length - supervisors }, state }
        }
        default:
          return { reply: { error: 'unknown supervisor request' }, state }
      }
    },

    handleCast(request: SupervisorCast, state) {
      if (request?.$sup === 'resetBackoff') {
        // The child says it has recovered (Akka's manual reset): its next failure waits initialMs again.
        const child = state.children.find((c) => c.spec.id === request.child)
        if (child !== undefined) child.failures = 0
      }
      return state
    },

    async handleInfo(msg, state, ctx) {
      if (isRestartDue(msg)) return restartDue(ctx, state, msg.token)
      if (!(msg instanceof Exit)) return state
      const index = state.children.findIndex((c) => c.pid?.equals(msg.from))
      if (index < 0) return state
      const child = state.children[index]!
      child.pid = undefined
      const restart = child.spec.restart
      if (restart === 'temporary' || (restart === 'transient' && isExpectedExit(msg.reason))) {
        // A static supervisor keeps a finished transient child's spec (as OTP); the rest are forgotten.
        if (restart === 'temporary' || state.dynamic) state.children.splice(index, 1)
        return state
      }
      if (child.spec.backoff !== undefined) return backOffByStrategy(ctx, state, child, msg.reason)
      return restartAfter(ctx, state, child, msg.reason)
    },

    async terminate(_reason, state, ctx) {
      if (state === undefined) return
      await stopChildren(ctx, state.children.slice().reverse())
    },
  }
  return behaviour
}

/** Restarts by strategy; on exceeded intensity stops every child and exits 'shutdown'. */
async function restartAfter(ctx: SupervisorCtx, state: SupervisorState, failed: Child, reason: unknown): Promise<SupervisorState | { stop: unknown; state: SupervisorState }> {
  for (;;) {
    const { restarts, exceeded } = addRestart(state.restarts, ctx.now(), state.intensity)
    state.restarts = restarts
    if (exceeded) {
      ctx.log.error({ sup: state.name, child: failed.spec.id, reason: String(reason), restarts: restarts.length, withinMs: state.intensity.withinMs }, 'restart intensity exceeded; supervisor gives up')
      return { stop: 'shutdown', state }
    }
    const affected = affectedBy(state, failed)
    await stopChildren(ctx, affected.filter((c) => c !== failed).reverse())
    let failure: unknown = undefined
    for (const child of affected) {
      ctx.noteRestart(child.spec.id, reason)
      try {
        await startChild(ctx, child)
      } catch (error) {
        failure = startReason(error)
        failed = child
        break
      }
    }
    // A child with backoff that fails to start waits its delay rather than spending the intensity.
    if (failure !== undefined && failed.spec.backoff !== undefined) return backOffByStrategy(ctx, state, failed, failure)
    if (failure === undefined) {
      ctx.log.warn({ sup: state.name, child: failed.spec.id, reason: String(reason) }, 'child restarted')
      return state
    }
    // A child that fails to start counts as another restart: try again until the intensity says stop.
    reason = failure
  }
}

function newChild(spec: ResolvedChildSpec): Child {
  return { spec, pid: undefined, failures: 0, startedAt: undefined, pending: undefined }
}

/** Starts `child` linked to the supervisor and records when, for the backoff's reset. */
async function startChild(ctx: SupervisorCtx, child: Child): Promise<Pid> {
  const spec = child.spec
  const pid = await ctx.startLink(spec.start, spec.args, spec.name === undefined ? undefined : { name: spec.name })
  child.pid = pid
  child.startedAt = ctx.now()
  // Started by another path (a sibling's restart) while its own timer ran: that timer is stale now.
  child.pending = undefined
  return pid
}

/** The children a failure of `failed` restarts by the strategy, in start order. */
function affectedBy(state: SupervisorState, failed: Child): Child[] {
  if (state.strategy === 'oneForOne') return [failed]
  if (state.strategy === 'oneForAll') return state.children.slice()
  return state.children.slice(state.children.indexOf(failed))
}

/** A child with backoff failed: its strategy's siblings stop now, and all of them start again after the delay. */
async function backOffByStrategy(ctx: SupervisorCtx, state: SupervisorState, failed: Child, reason: unknown): Promise<SupervisorState | { stop: unknown; state: SupervisorState }> {
  const affected = affectedBy(state, failed)
  const gaveUp = backOff(ctx, state, failed, reason, affected)
  if (gaveUp !== undefined) return gaveUp
  await stopChildren(ctx, affected.filter((c) => c !== failed).reverse())
  return state
}

/**
 * Counts a failure of `failed` (starting over if it had run `resetAfterMs`), tells `onBackoff`, and sets the timer
 * that starts `children` again; or, with `maxAttempts` used up, returns the supervisor's stop.
 */
function backOff(ctx: SupervisorCtx, state: SupervisorState, failed: Child, reason: unknown, children: Child[]): { stop: unknown; state: SupervisorState } | undefined {
  const backoff = failed.spec.backoff!
  const now = ctx.now()
  if (failed.startedAt !== undefined && now - failed.startedAt >= backoff.resetAfterMs) failed.failures = 0
  // A failed start leaves startedAt where it was: only a child that ran counts as recovered.
  failed.startedAt = undefined
  failed.failures++
  const attempt = failed.failures
  const delayMs = attempt > backoff.maxAttempts ? undefined : restartDelayMs(attempt, backoff)
  tell(ctx, backoff.onBackoff, { child: failed.spec.id, reason, attempt, delayMs })
  if (delayMs === undefined) {
    ctx.log.error({ sup: state.name, child: failed.spec.id, reason: String(reason), attempts: attempt - 1 }, 'backoff attempts used up; supervisor gives up')
    return { stop: 'shutdown', state }
  }
  ctx.log.warn({ sup: state.name, child: failed.spec.id, reason: String(reason), attempt, delayMs }, 'child failed; restarting after backoff')
  const token = ++state.nextToken
  failed.pending = { token, children, reason }
  ctx.sendAfter(ctx.self, { $sup: 'restartDue', token } satisfies RestartDue, delayMs)
  return undefined
}

/** A backoff timer fired: start its children that are still this supervisor's and not running, in start order. */
async function restartDue(ctx: SupervisorCtx, state: SupervisorState, token: number): Promise<SupervisorState | { stop: unknown; state: SupervisorState }> {
  const owner = state.children.find((c) => c.pending?.token === token)
  // Stale: the child was terminated, or the supervisor restarted it for another reason in the meantime.
  if (owner === undefined) return state
  const { children, reason } = owner.pending!
  owner.pending = undefined
  for (const child of state.children.filter((c) => children.includes(c) && c.pid === undefined)) {
    ctx.noteRestart(child.spec.id, reason)
    try {
      await startChild(ctx, child)
    } catch (error) {
      // A start that fails is the next failure: a child with backoff waits longer, one without goes by intensity.
      const failure = startReason(error)
      if (child.spec.backoff !== undefined) return backOffByStrategy(ctx, state, child, failure)
      return restartAfter(ctx, state, child, failure)
    }
  }
  ctx.log.warn({ sup: state.name, child: owner.spec.id, reason: String(reason) }, 'child restarted after backoff')
  return state
}

/** Calls a user's `onBackoff`; what it throws is logged, never thrown into the supervisor. */
function tell(ctx: SupervisorCtx, listener: ((event: RestartBackoffEvent) => void) | undefined, event: RestartBackoffEvent): void {
  if (listener === undefined) return
  try {
    listener(event)
  } catch (error) {
    ctx.log.error({ err: error, child: event.child }, 'onBackoff threw')
  }
}

function startReason(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'reason' in error ? (error as { reason: unknown }).reason : error
}

/** Stops `children` one after another, in the order given. */
async function stopChildren(ctx: SupervisorCtx, children: Child[]): Promise<void> {
  for (const child of children) {
    const pid = child.pid
    if (pid === undefined) continue
    child.pid = undefined
    ctx.unlink(pid)
    const shutdown = child.spec.shutdown
    if (shutdown === 'brutalKill') {
      await ctx.stopChild(pid, 'kill', undefined)
    } else {
      await ctx.stopChild(pid, 'shutdown', shutdown === 'infinity' ? undefined : shutdown)
    }
  }
}
