/**
 * ActorTies: what an actor holds beyond its mailbox — its links, the monitors it holds, the monitors others hold on
 * it, its timers, and whether it traps exits — made the first time the actor needs one of them.
 *
 * Most actors never link, hold a monitor, get watched, set a timer or trap exits, and every field of an actor is a
 * word of every actor: one field here in place of five made an idle server actor 32 bytes smaller, and a spawn cheaper,
 * since the collector copies each new actor whole (bench/RESULTS.md, change 56).
 */
import type { Pid } from '../pid.ts'
import type { HeldMonitors } from './held-monitors.ts'
import type { Watchers } from './watchers.ts'

export class ActorTies {
  /** The linked processes, by pid key. */
  links: Map<string, Pid> | null = null
  /** The monitors this actor holds. */
  monitors: HeldMonitors | null = null
  /** The monitors others hold on this actor. */
  watchers: Watchers | null = null
  /** The keys of this actor's timers, cancelled when it dies. */
  timers: Set<string> | null = null
  /** Exit signals from links arrive as `Exit` messages instead of ending the actor. */
  trapping = false
}
