/**
 * DynamicSupervisor: a `oneForOne` supervisor that starts with no children and gets them at run time
 * (`startChild`), as Elixir's DynamicSupervisor. The helpers here (`startChild`, `terminateChild`, `whichChildren`,
 * `countChildren`, `resetBackoff`) work on any supervisor; they take the caller (a system or a ctx) and the
 * supervisor's address.
 */
import type { Address } from '../actor/ctx.ts'
import type { ServerBehaviour } from '../actor/server-behaviour.ts'
import { CohortError, InvalidOptionError } from '../errors.ts'
import type { Pid } from '../pid.ts'
import { DEFAULT_SUPERVISOR_OPTIONS } from './child-spec.ts'
import type { ChildSpec, Intensity } from './child-spec.ts'
import { makeSupervisor } from './supervisor.ts'
import type { ChildInfo, SupervisorCast, SupervisorState } from './supervisor.ts'

export type { ChildInfo }

/** Options of `dynamicSupervisor(...)`. */
export interface DynamicSupervisorOptions {
  /** @default { maxRestarts: 3, withinMs: 5000 } */
  intensity?: Intensity
  /** Children beyond this are refused. @default Infinity */
  maxChildren?: number
  /** @default 'dynamicSupervisor' */
  name?: string
}

/** Anything that can make calls: an ActorSystem or an actor's ctx. */
export interface Caller {
  call<R = unknown>(to: Address, request: unknown, timeoutMs?: number): Promise<R>
}

/** Anything that can cast: an ActorSystem or an actor's ctx. */
export interface Caster {
  cast(to: Address, request: unknown): void
}

/** Creates a dynamic supervisor behaviour. */
export function dynamicSupervisor(options: DynamicSupervisorOptions = {}): ServerBehaviour<SupervisorState, void> {
  const maxChildren = options.maxChildren ?? Infinity
  if (maxChildren !== Infinity && (!Number.isInteger(maxChildren) || maxChildren < 0)) {
    throw new InvalidOptionError('maxChildren', maxChildren, 'an integer >= 0 or Infinity')
  }
  const intensity = options.intensity ?? DEFAULT_SUPERVISOR_OPTIONS.intensity
  if (!Number.isInteger(intensity.maxRestarts) || intensity.maxRestarts < 0) {
    throw new InvalidOptionError('intensity.maxRestarts', intensity.maxRestarts, 'an integer >= 0')
  }
  if (typeof intensity.withinMs !== 'number' || !(intensity.withinMs > 0)) {
    throw new InvalidOptionError('intensity.withinMs', intensity.withinMs, 'a positive number of milliseconds')
  }
  return makeSupervisor(options.name ?? 'dynamicSupervisor', 'oneForOne', intensity, [], maxChildren, true)
}

/** Starts a child under `sup`; resolves with its pid. @throws CohortError (COHORT_ERR_START_FAILED) */
export async function startChild(caller: Caller, sup: Address, spec: ChildSpec): Promise<Pid> {
  const reply = await caller.call<{ pid?: Pid; error?: string }>(sup, { $sup: 'startChild', spec }, Infinity)
  if (reply.pid === undefined) throw new CohortError('COHORT_ERR_START_FAILED', `startChild failed: ${reply.error ?? 'unknown'}`)
  return reply.pid
}

/** Stops a child (by pid or id) as its shutdown spec says, and forgets it. Resolves false if there was none. */
export async function terminateChild(caller: Caller, sup: Address, child: Pid | string): Promise<boolean> {
  const reply = await caller.call<{ ok?: boolean }>(sup, { $sup: 'terminateChild', child }, Infinity)
  return reply.ok === true
}

/** The children of `sup`, in start order. */
export function whichChildren(caller: Caller, sup: Address): Promise<ChildInfo[]> {
  return caller.call<ChildInfo[]>(sup, { $sup: 'whichChildren' })
}

/** Counts of `sup`'s children. */
export function countChildren(caller: Caller, sup: Address): Promise<{ specs: number; active: number; supervisors: number; workers: number }> {
  return caller.call(sup, { $sup: 'countChildren' })
}

/**
 * Tells `sup` that its child `child` has recovered, so that its next failure waits the backoff's `initialMs` again
 * (a child spec with `backoff`; for another child it does nothing). A cast: it never waits on the supervisor, so a
 * child may send it about itself (`resetBackoff(ctx, ctx.parent, 'ticker')`) at the moment it knows, such as its
 * first good answer from the dependency that was away.
 */
export function resetBackoff(caster: Caster, sup: Address, child: string): void {
  caster.cast(sup, { $sup: 'resetBackoff', child } satisfies SupervisorCast)
}
