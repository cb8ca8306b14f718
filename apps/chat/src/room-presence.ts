/**
 * Who is present in each room, cluster-wide, on @cohort/core's presence tracker: each session tracks its user under
 * the room's topic, so an entry leaves when its session ends (a monitor), and every entry of a node that goes down
 * (a SIGKILL included) leaves when its peers see the nodedown, within the tick window. A user with several sessions,
 * on one node or several, is present once. Each change to a room's sorted user list is reported once through
 * `onChange`, for the rooms this node watches (every room with a room actor here).
 */
import type { Pid, Presence } from '@cohort/core'

/** The presence topic of `room` in the chat's presence scope. */
export function presenceTopic(room: string): string {
  return `room:${room}`
}

/** The presence of every room, as this node knows it. */
export class RoomPresence {
  readonly #presence: Presence
  readonly #onChange: (room: string, users: readonly string[]) => void
  /** room → the user list last reported, joined, and the unsubscribe function. */
  readonly #watched = new Map<string, { last: string; stop: () => void }>()

  constructor(presence: Presence, onChange: (room: string, users: readonly string[]) => void) {
    this.#presence = presence
    this.#onChange = onChange
  }

  /** Makes `user` present in `room` while the local session `pid` lives. */
  track(pid: Pid, room: string, user: string): void {
    this.#presence.track(pid, presenceTopic(room), user, null)
  }

  /** Makes the local session `pid` leave `room`'s presence (its user stays present through any other session). */
  untrack(pid: Pid, room: string): void {
    this.#presence.untrack(pid, presenceTopic(room))
  }

  /** Reports the changes of `room` from now on (idempotent). */
  watch(room: string): void {
    if (this.#watched.has(room)) return
    const watch = { last: this.users(room).join('\n'), stop: () => {} }
    this.#watched.set(room, watch)
    watch.stop = this.#presence.subscribe(presenceTopic(room), () => {
      const users = this.users(room)
      const joined = users.join('\n')
      if (joined === watch.last) return
      watch.last = joined
      this.#onChange(room, users)
    })
  }

  /** The sorted unique names of the users present in `room`. */
  users(room: string): string[] {
    return [...new Set(this.#presence.list(presenceTopic(room)).map((e) => e.key))].sort()
  }

  /** Stops reporting. */
  stop(): void {
    for (const watch of this.#watched.values()) watch.stop()
    this.#watched.clear()
  }
}
