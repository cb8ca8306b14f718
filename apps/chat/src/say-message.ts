/**
 * Saying a message: stamped on this node and broadcast to the room's actor on every node (one copy per node), which
 * keeps it in the room's history and writes it to the room's sockets. A session says what its client sends;
 * `postMessage` says what server code sends from outside any WebSocket (`RunningChatNode.say`, and
 * `POST /rooms/<room>/messages` for a bot, a deploy job or a backend's notice), as socket.io's `io.to(room).emit` and
 * its Redis emitter do.
 */
import type { Ctx, Pid } from '@cohort/core'
import { checkRef, checkRoomName, checkText, checkUserName } from './chat-protocol.ts'
import type { ChatErrorCode, ChatMessage, MessageRef } from './chat-protocol.ts'
import { CHAT_NAMES } from './chat-services.ts'
import type { ChatServices } from './chat-services.ts'
import type { RoomMessage } from './room.ts'
import { roomGroup } from './room-groups.ts'

/** What server code says: the text, as whom, and optionally a `ref` carried into history (as a client's). */
export interface PostedMessage {
  user: string
  text: string
  ref?: MessageRef
}

/** Why `postMessage` did not say a message; `code` is one of the chat's error codes (README). */
export class ChatPostError extends Error {
  override name = 'ChatPostError'
  readonly code: ChatErrorCode
  constructor(code: ChatErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

/** Says `text` in `room` as `user`, unchecked (the caller checked them); `sender` is the saying actor, if any. */
export function sayMessage(services: ChatServices, room: string, user: string, text: string, ref: MessageRef | undefined, sender?: Ctx): ChatMessage {
  services.counters.messagesIn++
  const message = services.stamp(room, user, text, ref)
  // The frame's JSON is made once here for every node, not once per node by each room actor.
  const json = Buffer.from(JSON.stringify(message))
  services.groups.broadcast(roomGroup(room), { t: 'message', message, json } satisfies RoomMessage, sender === undefined ? undefined : { sender })
  return message
}

/**
 * Says `post` in `room` from server code: checks it as a client's `say` is checked, starts the room on this node
 * when it has none (so its history keeps the message), then says it. Resolves the message as said (its `id` and
 * `at`); rejects with a ChatPostError naming what was wrong, or COHORT_ERR_CHAT_ROOM_REFUSED when this node holds
 * `CHAT_MAX_ROOMS` rooms.
 */
export async function postMessage(services: ChatServices, room: string, post: PostedMessage): Promise<ChatMessage> {
  const badRoom = checkRoomName(room)
  if (badRoom !== undefined) throw new ChatPostError('COHORT_ERR_CHAT_INVALID_ROOM', badRoom)
  const badUser = checkUserName(post.user)
  if (badUser !== undefined) throw new ChatPostError('COHORT_ERR_CHAT_INVALID_USER', badUser)
  const badText = checkText(post.text)
  if (badText !== undefined) throw new ChatPostError(badText.code, badText.reason)
  const badRef = post.ref === undefined ? undefined : checkRef(post.ref)
  if (badRef !== undefined) throw new ChatPostError('COHORT_ERR_CHAT_MALFORMED_FRAME', badRef)
  const pid = await services.system.call<Pid | undefined>(CHAT_NAMES.directory, { t: 'ensure', room })
  if (pid === undefined) throw new ChatPostError('COHORT_ERR_CHAT_ROOM_REFUSED', 'this node holds too many rooms; try another node')
  return sayMessage(services, room, post.user.trim(), post.text, post.ref)
}
