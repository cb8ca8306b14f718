/**
 * Child specs and supervisor options: what a supervisor starts, how it restarts it and how it stops it, with the
 * defaults in one place and validation that names the field and the value.
 */
import type { Behaviour } from '../actor/behaviour.ts'
import { InvalidOptionError } from '../errors.ts'
import { resolveRestartBackoff } from './restart-backoff.ts'
import type { ResolvedRestartBackoff, RestartBackoff } from './restart-backoff.ts'
import type { Intensity } from './restart-intensity.ts'

export type { Intensity }

/** `oneForOne`: restart the failed child. `oneForAll`: restart all. `restForOne`: the failed one and those after it. */
export type SupervisorStrategy = 'oneForOne' | 'oneForAll' | 'restForOne'

/** `permanent`: always restarted. `transient`: restarted after an abnormal exit only. `temporary`: never. */
export type RestartType = 'permanent' | 'transient' | 'temporary'

/** Milliseconds to wait after `'shutdown'` before killing; `'brutalKill'` kills at once; `'infinity'` waits. */
export type ShutdownSpec = number | 'brutalKill' | 'infinity'

/** A child of a supervisor. */
export interface ChildSpec<A = any> {
  /** Identifies the child within its supervisor. @default a generated id (dynamic supervisors) */
  id?: string
  /** What to start: a behaviour, a process function, or a defined behaviour's name. */
  start: Behaviour<A> | string
  /** The start argument. @default undefined */
  args?: A
  /** @default 'permanent' */
  restart?: RestartType
  /** @default 5000 for workers (OTP's), 'infinity' for supervisors (they need the time to stop their own children) */
  shutdown?: ShutdownSpec
  /** @default 'supervisor' when `start` is a supervisor, else 'worker' */
  type?: 'worker' | 'supervisor'
  /** Register the child under this local name. @default undefined */
  name?: string
  /**
   * Wait before each restart, longer after each failure in a row, instead of restarting at once; these restarts do not
   * count toward the supervisor's intensity (see restart-backoff.ts and the README). @default undefined (at once)
   */
  backoff?: RestartBackoff
}

/** A child spec with every default applied. */
export interface ResolvedChildSpec {
  id: string
  start: Behaviour | string
  args: unknown
  restart: RestartType
  shutdown: ShutdownSpec
  type: 'worker' | 'supervisor'
  name: string | undefined
  backoff: ResolvedRestartBackoff | undefined
}

/** Options of `supervisor(...)`. */
export interface SupervisorOptions {
  /** @default 'oneForOne' */
  strategy?: SupervisorStrategy
  /** @default { maxRestarts: 3, withinMs: 5000 } (Elixir's default; OTP's 1 per 5 s gives up too eagerly for I/O-bound children) */
  intensity?: Intensity
  /** Started in order, stopped in reverse order. @default [] */
  children?: ChildSpec[]
  /** A name for logs and the cluster view. @default 'supervisor' */
  name?: string
}

export const DEFAULT_SUPERVISOR_OPTIONS: Readonly<{ strategy: SupervisorStrategy; intensity: Intensity }> = Object.freeze({
  strategy: 'oneForOne',
  intensity: Object.freeze({ maxRestarts: 3, withinMs: 5000 }),
})

export const DEFAULT_WORKER_SHUTDOWN_MS = 5000

const STRATEGIES: readonly string[] = ['oneForOne', 'oneForAll', 'restForOne']
const RESTARTS: readonly string[] = ['permanent', 'transient', 'temporary']

/** Marks the behaviours made by `supervisor()` and `dynamicSupervisor()`. */
export const SUPERVISOR_MARK: unique symbol = Symbol('cohort.supervisor')

export function isSupervisorBehaviour(b: unknown): boolean {
  return typeof b === 'object' && b !== null && (b as Record<symbol, unknown>)[SUPERVISOR_MARK] === true
}

/** Applies defaults and validates. @throws InvalidOptionError naming the field, like `children[2].restart` */
export function resolveChildSpec(spec: ChildSpec, path: string, fallbackId: string): ResolvedChildSpec {
  if (typeof spec !== 'object' || spec === null) throw new InvalidOptionError(path, spec, 'a child spec object')
  const start = spec.start
  if (typeof start !== 'function' && typeof start !== 'string' && (typeof start !== 'object' || start === null || typeof (start as { init?: unknown }).init !== 'function')) {
    throw new InvalidOptionError(`${path}.start`, start, 'a server behaviour, a process function or a defined behaviour name')
  }
  const id = spec.id ?? fallbackId
  if (typeof id !== 'string' || id.length === 0) throw new InvalidOptionError(`${path}.id`, id, 'a non-empty string')
  const restart = spec.restart ?? 'permanent'
  if (!RESTARTS.includes(restart)) throw new InvalidOptionError(`${path}.restart`, restart, `one of ${RESTARTS.join(', ')}`)
  const type = spec.type ?? (isSupervisorBehaviour(start) ? 'supervisor' : 'worker')
  if (type !== 'worker' && type !== 'supervisor') throw new InvalidOptionError(`${path}.type`, type, "'worker' or 'supervisor'")
  const shutdown = spec.shutdown ?? (type === 'supervisor' ? 'infinity' : DEFAULT_WORKER_SHUTDOWN_MS)
  if (shutdown !== 'brutalKill' && shutdown !== 'infinity' && (typeof shutdown !== 'number' || !(shutdown >= 0) || !Number.isFinite(shutdown))) {
    throw new InvalidOptionError(`${path}.shutdown`, shutdown, "milliseconds >= 0, 'brutalKill' or 'infinity'")
  }
  if (spec.name !== undefined && (typeof spec.name !== 'string' || spec.name.length === 0)) {
    throw new InvalidOptionError(`${path}.name`, spec.name, 'a non-empty string')
  }
  if (spec.backoff !== undefined && restart === 'temporary') {
    throw new InvalidOptionError(`${path}.backoff`, spec.backoff, "no backoff: a 'temporary' child is never restarted")
  }
  const backoff = spec.backoff === undefined ? undefined : resolveRestartBackoff(spec.backoff, `${path}.backoff`)
  return { id, start, args: spec.args, restart, shutdown, type, name: spec.name, backoff }
}

/** Applies defaults and validates every field. @throws InvalidOptionError */
export function resolveSupervisorOptions(input: SupervisorOptions): { strategy: SupervisorStrategy; intensity: Intensity; children: ResolvedChildSpec[]; name: string } {
  const strategy = input.strategy ?? DEFAULT_SUPERVISOR_OPTIONS.strategy
  if (!STRATEGIES.includes(strategy)) throw new InvalidOptionError('strategy', strategy, `one of ${STRATEGIES.join(', ')}`)
  const intensity = input.intensity ?? DEFAULT_SUPERVISOR_OPTIONS.intensity
  if (typeof intensity !== 'object' || intensity === null) throw new InvalidOptionError('intensity', intensity, '{ maxRestarts, withinMs }')
  if (!Number.isInteger(intensity.maxRestarts) || intensity.maxRestarts < 0) {
    throw new InvalidOptionError('intensity.maxRestarts', intensity.maxRestarts, 'an integer >= 0')
  }
  if (typeof intensity.withinMs !== 'number' || !(intensity.withinMs > 0)) {
    throw new InvalidOptionError('intensity.withinMs', intensity.withinMs, 'a positive number of milliseconds')
  }
  const specs = input.children ?? []
  if (!Array.isArray(specs)) throw new InvalidOptionError('children', specs, 'an array of child specs')
  const children = specs.map((s, i) => resolveChildSpec(s, `children[${i}]`, `child${i}`))
  const ids = new Set<string>()
  children.forEach((c, i) => {
    if (ids.has(c.id)) throw new InvalidOptionError(`children[${i}].id`, c.id, 'an id not used by another child')
    ids.add(c.id)
  })
  return { strategy, intensity, children, name: input.name ?? 'supervisor' }
}
