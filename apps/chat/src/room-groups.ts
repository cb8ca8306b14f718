/**
 * The names of the process groups the chat uses, in its own groups scope (`chat`): one group per room for the room
 * actors (one per node), and one for the room's session actors. Room names cannot contain ":" (see checkRoomName),
 * so every name parses back unambiguously.
 */

/** The groups scope of the chat; every chat node starts it. */
export const CHAT_SCOPE = 'chat'

/** The room actors of `room`, one per node: a message said in the room is broadcast to this group. */
export function roomGroup(room: string): string {
  return `room:${room}`
}

/** The session actors in `room` (each node's room actor delivers to its local members). */
export function sessionsGroup(room: string): string {
  return `sessions:${room}`
}

/** The room of a room group, or undefined for another group. */
export function roomOfRoomGroup(group: string): string | undefined {
  return group.startsWith('room:') ? group.slice(5) : undefined
}
