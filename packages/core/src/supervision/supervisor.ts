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
 * - Stopping a child: unlink, exit signal `'shutdown'`, wait `shutdown` ms for it to end, then `'kill'`.
 *   `'brutalKill'` kills at once; `'infinity'` waits as long as it takes.
 *
 * Calls it answers (through the helpers of dynamic-supervisor.ts): startChild, terminateChild, whichChildren,
 * countChildren.
 */
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import type { SupervisorCtx } from '../actor/supervisor-ctx.ts'
import { isExpectedExit } from '../exit-reason.ts'
import type { Pid } from '../pid.ts'
import { Exit } from '../signals.ts'
import { resolveChildSpec, resolveSupervisorOptions, SUPERVISOR_MARK } from './child-spec.ts'
import type { ChildSpec, Intensity, ResolvedChildSpec, SupervisorOptions, SupervisorStrategy } from './child-spec.ts'
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
}

export interface SupervisorState {
  strategy: SupervisorStrategy
  intensity: Intensity
  children: Child[]
  restarts: number[]
  name: string
  maxChildren: number
  dynamic: boolean
  nextId: number
}

/** Requests a supervisor answers. */
export type SupervisorRequest =
  | { $sup: 'startChild'; spec: ChildSpec }
  | { $sup: 'terminateChild'; child: Pid | string }
  | { $sup: 'whichChildren' }
  | { $sup: 'countChildren' }

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
      const state: SupervisorState = { strategy, intensity, children: [], restarts: [], name, maxChildren, dynamic, nextId: 0 }
      for (const spec of specs) {
        const child: Child = { spec, pid: undefined }
        try {
          child.pid = await startOne(ctx, spec)
        } catch (error) {
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
            const pid = await startOne(ctx, spec)
            state.children.push({ spec, pid })
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

    async handleInfo(msg, state, ctx) {
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
    const index = state.children.indexOf(failed)
    const affected = state.strategy === 'oneForOne' ? [failed] : state.strategy === 'oneForAll' ? state.children.slice() : state.children.slice(index)
    await stopChildren(ctx, affected.filter((c) => c !== failed).reverse())
    let failure: unknown = undefined
    for (const child of affected) {
      ctx.noteRestart(child.spec.id, reason)
      try {
        child.pid = await startOne(ctx, child.spec)
      } catch (error) {
        failure = startReason(error)
        failed = child
        break
      }
    }
    if (failure === undefined) {
      ctx.log.warn({ sup: state.name, child: failed.spec.id, reason: String(reason) }, 'child restarted')
      return state
    }
    // A child that fails to start counts as another restart: try again until the intensity says stop.
    reason = failure
  }
}

function startOne(ctx: SupervisorCtx, spec: ResolvedChildSpec): Promise<Pid> {
  return ctx.startLink(spec.start, spec.args, spec.name === undefined ? undefined : { name: spec.name })
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
