/**
 * Name conflicts of the `global` registry: two processes that hold one cluster-wide name. A registration that loses
 * a race is refused with NameTakenError; two registrations that were both accepted on the two sides of a partition
 * meet when it heals, and one rule, computed alike on every node from the same data, says which one keeps the name.
 *
 * Gotchas: a custom resolver runs on every node that sees the conflict, so it must be a pure function of its
 * arguments and the same on every node; anything with effects belongs in `notifyLoser`.
 */
import { CohortError } from '../errors.ts'
import type { Pid } from '../pid.ts'

/** One registration of a global name. */
export interface GlobalRegistration {
  readonly name: string
  readonly pid: Pid
  /** When the home node of `pid` registered it, by that node's clock. */
  readonly registeredAt: number
}

/**
 * Decides which of two registrations of `name` keeps it: returns `a.pid`, `b.pid`, or undefined to drop both.
 * `a` and `b` come ordered by node name, so every node calls it with the same arguments.
 */
export type NameConflictResolver = (name: string, a: GlobalRegistration, b: GlobalRegistration) => Pid | undefined

/** A registration was refused because another process holds (or is being given) the name. */
export class NameTakenError extends CohortError {
  override name = 'NameTakenError'
  /** The global name. */
  readonly globalName: string
  /** Who holds it, when known. */
  readonly holder: Pid | undefined
  constructor(globalName: string, holder: Pid | undefined) {
    super(
      'COHORT_ERR_NAME_TAKEN',
      `the global name ${JSON.stringify(globalName)} is taken${holder === undefined ? '' : ` by ${String(holder)}`}`,
    )
    this.globalName = globalName
    this.holder = holder
  }
}

/**
 * The default rule: the older registration keeps the name (a service that has been running survives a newcomer);
 * at the same time, the one whose node name sorts first; on the same node, the lower pid id.
 */
export function keepOldest(_name: string, a: GlobalRegistration, b: GlobalRegistration): Pid {
  if (a.registeredAt !== b.registeredAt) return a.registeredAt < b.registeredAt ? a.pid : b.pid
  return compareRegistrations(a, b) <= 0 ? a.pid : b.pid
}

/** Orders registrations by node name, then pid id, then creation: the order a resolver sees them in. */
export function compareRegistrations(a: GlobalRegistration, b: GlobalRegistration): number {
  if (a.pid.node !== b.pid.node) return a.pid.node < b.pid.node ? -1 : 1
  if (a.pid.id !== b.pid.id) return a.pid.id - b.pid.id
  return a.pid.creation - b.pid.creation
}

/**
 * The registration that keeps the name among `candidates` (two or more): folded pairwise in node-name order; a pair
 * the resolver drops both of leaves the next candidate to stand alone. A resolver that throws or returns a pid that
 * is neither argument falls back to `keepOldest` for that pair.
 */
export function resolveConflict(
  candidates: readonly GlobalRegistration[],
  resolver: NameConflictResolver,
): GlobalRegistration | undefined {
  const sorted = [...candidates].sort(compareRegistrations)
  let winner: GlobalRegistration | undefined
  for (const next of sorted) {
    if (winner === undefined) {
      winner = next
      continue
    }
    let kept: Pid | undefined
    try {
      kept = resolver(next.name, winner, next)
    } catch {
      kept = keepOldest(next.name, winner, next)
    }
    if (kept === undefined) winner = undefined
    else if (kept.equals(winner.pid)) continue
    else if (kept.equals(next.pid)) winner = next
    else winner = keepOldest(next.name, winner, next).equals(winner.pid) ? winner : next
  }
  return winner
}
