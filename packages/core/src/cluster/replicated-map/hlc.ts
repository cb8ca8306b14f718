/**
 * A hybrid logical clock (Kulkarni et al., 2014): versions for the replicated map's last-writer-wins rule. A version
 * is the writer's wall time in ms, a counter that orders writes within one millisecond (or while the wall clock lags
 * a version seen from another node), and the writer's node name, which breaks the remaining ties. Every node that
 * compares two versions reaches the same order, whatever order the writes arrived in.
 *
 * Gotchas: the wall part follows the fastest clock in the scope: a node whose clock runs ahead drags the versions of
 * the others forward (it never moves them back), so keep node clocks in sync (NTP) as for any LWW store.
 */
import type { Clock } from '../../clock.ts'

/** One write's version. */
export interface Version {
  readonly wall: number
  readonly counter: number
  readonly node: string
}

/** Orders two versions: negative when `a` is older, positive when newer, 0 when they are the same write. */
export function compareVersions(
  aWall: number,
  aCounter: number,
  aNode: string,
  bWall: number,
  bCounter: number,
  bNode: string,
): number {
  if (aWall !== bWall) return aWall - bWall
  if (aCounter !== bCounter) return aCounter - bCounter
  return aNode < bNode ? -1 : aNode > bNode ? 1 : 0
}

/** A node's hybrid logical clock over the injected Clock. */
export class HybridLogicalClock {
  wall = 0
  counter = 0
  readonly #clock: Clock

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** Advances for a local write; read `wall` and `counter` afterwards for its version. */
  tick(): void {
    const now = this.#clock.now()
    if (now > this.wall) {
      this.wall = now
      this.counter = 0
    } else {
      this.counter++
    }
  }

  /** Takes in a version seen from another node, so that this node's next write is newer than it. */
  observe(wall: number, counter: number): void {
    if (wall > this.wall || (wall === this.wall && counter > this.counter)) {
      this.wall = wall
      this.counter = counter
    }
  }
}
