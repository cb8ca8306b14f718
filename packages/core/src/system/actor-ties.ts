/**
 * ActorTies: what an actor holds beyond its mailbox — its links, the monitors it holds, the monitors others hold on
 * it, its timers, whether it traps exits, its registered name and who waits for its start — made the first time the
 * actor needs one of them.
 *
 * Most actors never link, hold a monitor, get watched, set a timer, trap exits, take a name or get awaited, and every
 * field of an actor is a word of every actor: one field here in place of five made an idle server actor 32 bytes
 * smaller, and a spawn cheaper, since the collector copies each new actor whole (bench/RESULTS.md, changes 56 and 72).
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
  /** The name the actor is registered under (registry.ts). */
  name: string | undefined = undefined
  /** Called once with undefined when init succeeded, or with the reason it failed (`start`, `startLink`). */
  onStarted: ((failure: unknown) => void) | undefined = undefined
}
