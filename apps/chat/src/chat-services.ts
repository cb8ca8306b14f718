/**
 * The chat services of one node, handed to its actors at start: the actor system, the chat's groups scope, the
 * node's history book (outside any actor, so a restarted room actor finds its room's history), presence, the sockets
 * waiting for their session actor, the counters behind /metrics, and the stamp that gives each message its time and
 * cluster-unique id. The composition root (run-chat-node.ts) builds it once.
 */
import type { ActorSystem, Groups } from '@cohort/core'
import type { WebSocket } from 'ws'
import type { ChatMessage } from './chat-protocol.ts'
import { messageId, RoomHistory } from './room-history.ts'
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
  /** The URL browsers reach this node's page and WebSocket at, told to the browsers of a node that leaves. */
  publicUrl: string
}

/** What /metrics counts. */
export interface ChatCounters {
  sockets: number
  messagesIn: number
  messagesOut: number
}

/** The chat services of one node. */
export class ChatServices {
  readonly system: ActorSystem
  readonly groups: Groups
  readonly options: ChatOptions
  readonly counters: ChatCounters = { sockets: 0, messagesIn: 0, messagesOut: 0 }
  /** room → its history on this node. */
  readonly histories = new Map<string, RoomHistory>()
  presence: RoomPresence | undefined
  /** Every frame to a browser goes through it: one write per socket per event-loop turn. */
  readonly batcher = new SocketBatcher()
  readonly #sockets = new Map<number, WebSocket>()
  #nextSocket = 0
  #seq = 0

  constructor(system: ActorSystem, groups: Groups, options: ChatOptions) {
    this.system = system
    this.groups = groups
    this.options = options
  }

  /** The history of `room` on this node, created empty on first use. */
  historyOf(room: string, limit: number): RoomHistory {
    let history = this.histories.get(room)
    if (history === undefined) this.histories.set(room, (history = new RoomHistory(limit)))
    return history
  }

  /** Stamps a message said on this node. */
  stamp(room: string, user: string, text: string): ChatMessage {
    const seq = ++this.#seq
    return { type: 'message', room, user, text, at: Date.now(), id: messageId(this.system.node, this.system.creation, seq), node: this.system.node }
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
