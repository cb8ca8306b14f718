/**
 * Which rooms a user may be in: the `rooms` an authenticator answers (an access token's `rooms` claim), each a room's
 * name or, ending in `*`, every room whose name starts with what precedes it (`team-a.*`, or `*` for all). No list:
 * every room. Checked where a connection enters a room (its URL's, each `join`) and where a room is read over HTTP.
 */
import { CHAT_LIMITS } from './chat-protocol.ts'

/** True when a user allowed `rooms` (undefined: all) may be in `room`. */
export function roomAllowed(rooms: readonly string[] | undefined, room: string): boolean {
  if (rooms === undefined) return true
  for (const entry of rooms) {
    if (entry.endsWith('*') ? room.startsWith(entry.slice(0, -1)) : room === entry) return true
  }
  return false
}

/** Why `rooms` is not a list of rooms and prefixes, or undefined when it is. */
export function checkRoomList(rooms: unknown): string | undefined {
  const valid = (entry: unknown): boolean =>
    typeof entry === 'string' && entry.length >= 1 && entry.length <= CHAT_LIMITS.roomLength + 1 && /^[A-Za-z0-9_.-]*\*?$/.test(entry)
  if (Array.isArray(rooms) && rooms.every(valid)) return undefined
  return '"rooms" must be an array of room names, or prefixes ending in "*"'
}
