/**
 * The chat services of one node, handed to its actors at start: the actor system, the chat's groups scope, the
 * node's history book (outside any actor, so a restarted room actor finds its room's history), presence, the sockets
 * waiting for their session actor, the open sockets of the node's sessions (the room actors write their rooms'
 * frames to them), the counters behind /metrics, and the stamp that gives each message its time and cluster-unique
 * id. The composition root (run-chat-node.ts) builds it once.
 */
import type { ActorSystem, Groups, Pid } from '@cohort/core'
import type { WebSocket } from 'ws'
import type { ChatMessage, MessageRef } from './chat-protocol.ts'
import { messageId } from './message-id.ts'
import { RoomHistory } from './room-history.ts'
import { SocketBatcher } from './socket-batcher.ts'
import type { RoomPresence } from './room-presence.ts'

/** The registered names of the chat's actors on every node. */
export const CHAT_NAMES: Readonly<{ directory: string; rooms: string; sessions: string; roomBehaviour: string; sessionBehaviour: string }> = Object.freeze({
  /** The room directory: starts room actors on demand, answers `endpoint`. */
  directory: 'chat.directory',
  /** The dynamic supervisor of the room actors. */
  rooms: 'chat.rooms',
  /** The dynamic supervisor of the session actors. */
  sessions: 'chat.sessions',
  /** The defined behaviour of room actors (child specs name it, so they are plain data). */
  roomBehaviour: 'chat.room',
  /** The defined behaviour of session actors. */
  sessionBehaviour: 'chat.session',
})

/** The registered name of `room`'s actor on each node. */
export function roomActorName(room: string): string {
  return `chat.room.${room}`
}

/** Options of the chat on one node (from the environment; see chat-config.ts). */
export interface ChatOptions {
  /** How often a room actor compares its history with a random peer's (anti-entropy). */
  historySyncMs: number
  /** A socket whose unsent bytes pass this is disconnected, so a client that does not read cannot hold memory. */
  maxBufferedBytes: number
  /** Rooms a node accepts; a new room beyond it is refused. */
  maxRooms: number
  /** Frames a client may send a second, on average; past it they are dropped (0: no limit). */
  maxMessagesPerSecond: number
  /** Frames a client may send at once within `maxMessagesPerSecond`. */
  messageBurst: number
  /** Rooms one connection may be in at once (its URL's and those it joins). */
  maxRoomsPerConnection: number
  /** The URL browsers reach this node's page and WebSocket at, told to the browsers of a node that leaves. */
  publicUrl: string
}

/** What /metrics counts. */
export interface ChatCounters {
  sockets: number
  messagesIn: number
  messagesOut: number
  /** Client frames dropped for going over their connection's rate limit. */
  framesRateLimited: number
  /** Connections closed for sending far over their rate limit (session.ts, FLOOD_CUTOFF_BURSTS). */
  floodsCutOff: number
  /** Requests (WebSocket upgrades, room reads) refused by the authenticator (authenticate.ts). */
  authRefused: number
  /** WebSockets closed (4401) because their user's access ended (an access token's `exp`). */
  accessExpired: number
  /** WebSockets closed (4403) by `disconnectUser`: their user was signed out from server code. */
  accessRevoked: number
  /** Signals (typing indicators and the like) sent by this node's clients to their rooms. */
  signalsIn: number
}

/** The socket of a session actor of this node, where its room actor writes the room's frames. */
export interface SessionSocket {
  readonly socket: WebSocket
  /** The session actor and its user: how `disconnectUser` finds a user's sessions on this node. */
  readonly pid: Pid
  readonly user: string
  /** room → the last presence frame written to the socket: a broadcast of the set it was last told is skipped. */
  readonly presence: Map<string, string>
}

/** The chat services of one node. */
export class ChatServices {
  readonly system: ActorSystem
  readonly groups: Groups
  readonly options: ChatOptions
  readonly counters: ChatCounters = { sockets: 0, messagesIn: 0, messagesOut: 0, framesRateLimited: 0, floodsCutOff: 0, authRefused: 0, accessExpired: 0, accessRevoked: 0, signalsIn: 0 }
  /** room → its history on this node. */
  readonly histories = new Map<string, RoomHistory>()
  /** Rooms whose actor started empty and waits for a peer's history (room.ts): their own copy is not whole yet. */
  readonly filling = new Set<string>()
  presence: RoomPresence | undefined
  /** Every frame to a browser goes through it: one write per socket per event-loop turn. */
  readonly batcher = new SocketBatcher()
  /**
   * Session pid (key) → its socket, from the session's start to its end. A room actor writes its frames straight
   * to its local sessions' sockets: one frame built once per node and no message per recipient.
   */
  readonly sessionSockets = new Map<string, SessionSocket>()
  readonly #sockets = new Map<number, WebSocket>()
  #nextSocket = 0
  #seq = 0

  constructor(system: ActorSystem, groups: Groups, options: ChatOptions) {
    this.system = system
    this.groups = groups
    this.options = options
  }

  /** The history of `room` on this node, created empty on first use, holding `limit` messages and `maxChars` of text. */
  historyOf(room: string, limit: number, maxChars: number): RoomHistory {
    let history = this.histories.get(room)
    if (history === undefined) this.histories.set(room, (history = new RoomHistory(limit, maxChars)))
    return history
  }

  /** Stamps a message said on this node. */
  stamp(room: string, user: string, text: string, ref?: MessageRef): ChatMessage {
    const at = Date.now()
    const id = messageId(this.system.node, this.system.creation, ++this.#seq)
    const node = this.system.node
    return ref === undefined ? { type: 'message', room, user, text, at, id, node } : { type: 'message', room, user, text, at, id, node, ref }
  }

  /**
   * Writes `data` (a frame's JSON) to an open socket, or `frame` (its prebuilt text frame, text-frame.ts) when
   * given; a client whose unsent bytes then pass `maxBufferedBytes` is cut off. Writes never wait, so a client that
   * does not read slows nobody and holds at most that much memory.
   */
  writeTo(socket: WebSocket, room: string, data: string | Buffer, frame?: Buffer): void {
    if (socket.readyState !== socket.OPEN) return
    if (frame === undefined) this.batcher.write(socket, data)
    else this.batcher.writeFrame(socket, frame, data as Buffer)
    if (socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.system.logger.info({ room, bufferedBytes: socket.bufferedAmount }, 'client does not read its socket; disconnecting it')
      socket.terminate()
    }
  }

  /** Parks a socket until its session actor takes it (a socket is not a message: it never leaves this process). */
  parkSocket(socket: WebSocket): number {
    const id = ++this.#nextSocket
    this.#sockets.set(id, socket)
    return id
  }

  /** Takes a parked socket; undefined if it was taken or dropped. */
  takeSocket(id: number): WebSocket | undefined {
    const socket = this.#sockets.get(id)
    this.#sockets.delete(id)
    return socket
  }
}
