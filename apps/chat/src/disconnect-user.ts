/**
 * Signing a user out of the chat from server code: every WebSocket of the user, on every node, is closed with 4403
 * and the reason, and the user leaves presence at once, as socket.io's `io.in(userId).disconnectSockets()` does. A
 * login service calls it when a user signs out everywhere or loses a role, so the user's open connections end now
 * rather than when their tokens expire. Any node of the cluster may call it, a chat node or not: it asks each
 * node's room directory (`disconnect`), which tells the user's sessions there.
 */
import { InvalidOptionError } from '@cohort/core'
import type { ActorSystem } from '@cohort/core'
import { checkUserName } from './chat-protocol.ts'
import { CHAT_NAMES } from './chat-services.ts'
import type { DirectoryRequest } from './room-directory.ts'

/** The longest reason a WebSocket close frame carries (RFC 6455: 125 bytes of payload, 2 of them the code). */
export const MAX_CLOSE_REASON_BYTES = 123

/** Options of `disconnectUser`. */
export interface DisconnectUserOptions {
  /** Told to the user's clients as the close frame's reason. @default 'signed out' */
  reason?: string
  /**
   * The chat nodes to ask. @default this node (when it runs the chat) and every node it is connected to; a hidden
   * node (a CLI, a script) sees no nodes of its own, so it names them
   */
  nodes?: readonly string[]
  /** How long each node may take to answer. @default 5000 */
  timeoutMs?: number
}

/**
 * Closes every WebSocket of `user` on every chat node asked; resolves how many were closed. A node that does not
 * answer (down, or running no chat) is skipped. @throws InvalidOptionError for a user name or reason the chat cannot
 * use (a reason over 123 bytes of UTF-8 would not fit a close frame)
 */
export async function disconnectUser(system: ActorSystem, user: string, options: DisconnectUserOptions = {}): Promise<number> {
  const badUser = checkUserName(user)
  if (badUser !== undefined) throw new InvalidOptionError('user', user, 'a user name of 1 to 64 printable characters')
  const reason = options.reason ?? 'signed out'
  if (typeof reason !== 'string' || Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) {
    throw new InvalidOptionError('reason', reason, `a string of at most ${MAX_CLOSE_REASON_BYTES} bytes of UTF-8 (a close frame's reason)`)
  }
  const nodes = options.nodes ?? [...(system.whereis(CHAT_NAMES.directory) === undefined ? [] : [system.node]), ...system.nodes()]
  const request: DirectoryRequest = { t: 'disconnect', user: user.trim(), reason }
  const answers = await Promise.allSettled(
    nodes.map((node) => system.call<number>({ name: CHAT_NAMES.directory, node }, request, options.timeoutMs ?? 5_000)),
  )
  return answers.reduce((sum, a) => sum + (a.status === 'fulfilled' && typeof a.value === 'number' ? a.value : 0), 0)
}
