/**
 * Who is present in each room, cluster-wide: a user is present while any of their sessions, on any node, is a member
 * of the user's presence group. Membership comes from @cohort/core's process groups, so a session that ends leaves at
 * once, and every session of a node that goes down (a SIGKILL included) leaves when its peers see the nodedown,
 * within the tick window. Each change to a room's sorted user list is reported once through `onChange`.
 */
import type { Groups, GroupEvent } from '@cohort/core'
import { parsePresenceGroup } from './room-groups.ts'

/** The presence of every room, as this node knows it. */
export class RoomPresence {
  readonly #groups: Groups
  readonly #rooms = new Map<string, Set<string>>()
  readonly #onChange: (room: string, users: readonly string[]) => void
  readonly #stop: () => void

  constructor(groups: Groups, onChange: (room: string, users: readonly string[]) => void) {
    this.#groups = groups
    this.#onChange = onChange
    const { ref, groups: present } = groups.monitorScope((event: GroupEvent) => this.#update(event.group))
    for (const group of present) this.#update(group)
    this.#stop = () => void groups.demonitor(ref)
  }

  /** The sorted unique names of the users present in `room`. */
  users(room: string): string[] {
    return [...(this.#rooms.get(room) ?? [])].sort()
  }

  /** Stops following the groups. */
  stop(): void {
    this.#stop()
  }

  #update(group: string): void {
    const parsed = parsePresenceGroup(group)
    if (parsed === undefined) return
    const present = this.#groups.members(group).length > 0
    let users = this.#rooms.get(parsed.room)
    if (present === (users?.has(parsed.user) ?? false)) return
    if (present) {
      if (users === undefined) this.#rooms.set(parsed.room, (users = new Set()))
      users.add(parsed.user)
    } else {
      users!.delete(parsed.user)
      if (users!.size === 0) this.#rooms.delete(parsed.room)
    }
    this.#onChange(parsed.room, this.users(parsed.room))
  }
}
