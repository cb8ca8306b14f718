/**
 * The room actor: one per room on every node, under the node's room supervisor and registered as `chat.room.<room>`.
 * It is a member of the room's group, so a message said anywhere in the room (broadcast by the sender's session: one
 * copy per node) reaches it; it adds the message to its node's history and hands the encoded frame to the room's
 * session actors on this node. It also sends presence changes to them, and keeps its node's history equal to its
 * peers' (below).
 *
 * History replication: every node holds every room's last messages. Live messages reach every room actor through the
 * broadcast. A node that missed some (it was restarting, its room actor was, or it joined later) catches up by
 * anti-entropy: at start and every `historySyncMs`, the room actor sends its history's digest to a peer room actor;
 * a peer whose digest differs answers with its messages, and the first side answers back with its own if the two
 * still differ. Merging is "the newest 100 of the union", so all nodes converge on the same history.
 *
 * Gotchas: messages learnt through a catch-up go to the history only, never to connected sockets, so a client never
 * sees a sender's messages out of order; their live copy, when it comes, is still delivered. A session that enters
 * between the two may so get a message in its history frame and again live: clients tell them apart by `id`.
 */
import type { Ctx, From, Pid, ServerBehaviour } from '@cohort/core'
import { CHAT_LIMITS, historyFrame, presenceFrame } from './chat-protocol.ts'
import type { ChatMessage } from './chat-protocol.ts'
import type { ChatServices } from './chat-services.ts'
import type { RoomHistory } from './room-history.ts'
import { roomGroup, sessionsGroup } from './room-groups.ts'

/** What a room actor receives. */
export type RoomMessage =
  | { t: 'message'; message: ChatMessage }
  | { t: 'presence'; users: readonly string[] }
  | { t: 'digest'; from: Pid; digest: string }
  | { t: 'sync'; from: Pid; digest: string; messages: ChatMessage[]; answer: boolean }
  | { t: 'tick' }

/** What a room actor answers. */
export type RoomRequest = { t: 'enter'; pid: Pid; user: string } | { t: 'history' }

/** The reply to `enter`: the frames a new session sends first. */
export interface EnterReply {
  history: string
  presence: string
}

/** What a session actor receives from its room: a frame to write to its socket. */
export interface OutFrame {
  t: 'out'
  json: string
  /** A presence frame: a session skips one equal to the last it wrote. */
  presence: boolean
}

interface RoomState {
  readonly room: string
  readonly history: RoomHistory
}

/** The room actor's behaviour; `args` is the room's name. */
export function roomBehaviour(services: ChatServices): ServerBehaviour<RoomState, string> {
  const { groups } = services
  const fanOut = (room: string, json: string, presence: boolean, ctx: Ctx): number => {
    const frame: OutFrame = { t: 'out', json, presence }
    const sessions = groups.localMembers(sessionsGroup(room))
    for (const pid of sessions) ctx.send(pid, frame)
    return sessions.length
  }
  const peerRooms = (room: string, ctx: Ctx): Pid[] => groups.members(roomGroup(room)).filter((p) => p.node !== ctx.self.node)

  return {
    name: 'chat.room',
    init(room, ctx) {
      groups.join(roomGroup(room), ctx.self)
      services.presence?.watch(room)
      const history = services.historyOf(room, CHAT_LIMITS.historyLength)
      // Catch up at once with every peer known now; the periodic sync covers peers that appear later.
      for (const peer of peerRooms(room, ctx)) ctx.send(peer, { t: 'digest', from: ctx.self, digest: history.digest() } satisfies RoomMessage)
      ctx.sendAfter(ctx.self, { t: 'tick' } satisfies RoomMessage, services.options.historySyncMs)
      return { room, history }
    },
    handleCall(request: RoomRequest, _from: From, state) {
      if (request.t === 'enter') {
        // Joined here, between two messages of this actor, so the session gets every message after its history.
        groups.join(sessionsGroup(state.room), request.pid)
        services.presence?.track(request.pid, state.room, request.user)
        const users = services.presence?.users(state.room) ?? []
        const reply: EnterReply = { history: historyFrame(state.room, state.history.messages()), presence: presenceFrame(state.room, users) }
        return { reply, state }
      }
      return { reply: state.history.messages(), state }
    },
    handleInfo(msg: RoomMessage, state, ctx) {
      switch (msg.t) {
        case 'message':
          // Delivered live whether or not a catch-up brought it into the history first: the broadcast reaches each
          // node's room actor once, and a catch-up running ahead of a busy node's queue must not swallow it.
          state.history.add(msg.message)
          services.counters.messagesOut += fanOut(state.room, JSON.stringify(msg.message), false, ctx)
          return state
        case 'presence':
          fanOut(state.room, presenceFrame(state.room, msg.users), true, ctx)
          return state
        case 'digest':
          if (msg.digest !== state.history.digest()) ctx.send(msg.from, syncOf(state, ctx, true))
          return state
        case 'sync':
          state.history.merge(msg.messages)
          if (msg.answer && state.history.digest() !== msg.digest) ctx.send(msg.from, syncOf(state, ctx, false))
          return state
        case 'tick': {
          const peers = peerRooms(state.room, ctx)
          const peer = peers[Math.floor(Math.random() * peers.length)]
          if (peer !== undefined) ctx.send(peer, { t: 'digest', from: ctx.self, digest: state.history.digest() } satisfies RoomMessage)
          ctx.sendAfter(ctx.self, { t: 'tick' } satisfies RoomMessage, services.options.historySyncMs)
          return state
        }
      }
    },
  }
}

function syncOf(state: RoomState, ctx: Ctx, answer: boolean): RoomMessage {
  return { t: 'sync', from: ctx.self, digest: state.history.digest(), messages: state.history.messages(), answer }
}
