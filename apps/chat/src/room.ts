/**
 * The room actor: one per room on every node, under the node's room supervisor and registered as `chat.room.<room>`.
 * It is a member of the room's group, so a message said anywhere in the room (broadcast by the sender's session: one
 * copy per node) reaches it; it adds the message to its node's history and writes the message's frame, built once,
 * to the sockets of the room's sessions on this node (services.sessionSockets): no message per recipient. It writes
 * a session's history and presence frames when it enters, so every frame of the room reaches a socket in order from
 * this one actor. It also writes presence changes, and keeps its node's history equal to its peers' (below).
 *
 * At start it joins the room's group and waits (`groups.synced`) until every connected node lists it, before it
 * takes its first session: a client that has its history frame gets every message said after it on any node. A room
 * that starts with no history (a new or restarted node) also reads one peer's history first, so that frame holds
 * what was said before too.
 *
 * History replication: every node holds every room's last messages. Live messages reach every room actor through the
 * broadcast. A node that missed some (it was restarting, its room actor was, or it joined later) catches up by
 * anti-entropy: at start it sends its history's digest to every peer room actor, and to each peer room actor that
 * joins later (the directory tells it: a new or restarted node, a healed partition); then every `historySyncMs` to
 * the next peer in turn while its history keeps changing and for one round of its peers after. A peer whose digest
 * differs answers with the ids it holds, and each side then sends the other the messages it lacks (so a busy room,
 * whose digests differ by the messages in flight, exchanges ids, not histories). Merging is "the newest 100 of the
 * union", so all nodes converge on the same history.
 *
 * Gotchas: messages learnt through a catch-up go to the history only, never to connected sockets, so a client never
 * sees a sender's messages out of order; their live copy, when it comes, is still delivered. A session that enters
 * between the two may so get a message in its history frame and again live: clients tell them apart by `id`.
 */
import type { Ctx, From, Pid, ServerBehaviour } from '@cohort/core'
import { isCohortError, isPid } from '@cohort/core'
import { CHAT_LIMITS, checkRef, historyFrame, presenceFrame } from './chat-protocol.ts'
import type { ChatMessage } from './chat-protocol.ts'
import type { ChatServices } from './chat-services.ts'
import type { RoomHistory } from './room-history.ts'
import { roomGroup, sessionsGroup } from './room-groups.ts'
import { textFrame } from './text-frame.ts'

/** What a room actor receives. */
export type RoomMessage =
  | {
      t: 'message'
      message: ChatMessage
      /** The message's frame JSON as UTF-8, made once by the sender's node for every node (optional: made here). */
      json?: Uint8Array
    }
  /** A client's signal (chat-protocol.ts): its frame's JSON, for every local session of the room but `from`. */
  | { t: 'signal'; json: Uint8Array; from: Pid }
  | { t: 'presence'; users: readonly string[] }
  | { t: 'digest'; from: Pid; digest: string }
  | { t: 'ids'; from: Pid; ids: string[]; answer: boolean }
  | { t: 'give'; messages: ChatMessage[]; fill?: boolean }
  /** A peer's room started empty: it wants this node's history (answered with a `give` marked `fill`). */
  | { t: 'historyWanted'; from: Pid }
  | { t: 'fillTimeout' }
  | { t: 'tick' }
  | { t: 'peerJoined'; peer: Pid }

/** What a room actor answers. */
export type RoomRequest = { t: 'enter'; pid: Pid; user: string } | { t: 'history' }

/** The reply to `enter`: whether the session's socket was found (it was written its history and presence). */
export type EnterReply = boolean

interface RoomState {
  readonly room: string
  /** The group of the room's sessions, named once: a name built per message cost a string and its hash each time. */
  readonly sessions: string
  readonly history: RoomHistory
  /** Sync ticks since the history last changed: a room quiet for a round of its peers stops syncing. */
  quietTicks: number
  /** Which peer the next tick asks: round robin, so a round reaches every peer. */
  nextPeer: number
  /** True while the history a peer was asked for at start has not come (nor `historySyncMs` passed). */
  filling: boolean
  /** The sessions that asked to enter meanwhile, answered once it has. */
  readonly held: { from: From; request: Extract<RoomRequest, { t: 'enter' }> }[]
}

/** The room actor's behaviour; `args` is the room's name. */
export function roomBehaviour(services: ChatServices): ServerBehaviour<RoomState, string> {
  const { groups, sessionSockets } = services
  /** Writes a message to every local session of the room: its JSON framed once, the same bytes on each socket. */
  const deliver = (state: RoomState, json: Buffer, except?: Pid): number => {
    const frame = textFrame(json)
    let count = 0
    for (const pid of groups.localMembers(state.sessions)) {
      const session = sessionSockets.get(pid.key)
      if (session === undefined || (except !== undefined && pid.equals(except))) continue
      services.writeTo(session.socket, state.room, json, frame)
      count++
    }
    return count
  }
  /** Writes a presence frame to every local session of the room that was not told this set last. */
  const tellPresence = (state: RoomState, json: string): void => {
    for (const pid of groups.localMembers(state.sessions)) {
      const session = sessionSockets.get(pid.key)
      if (session === undefined || session.presence.get(state.room) === json) continue
      session.presence.set(state.room, json)
      services.writeTo(session.socket, state.room, json)
    }
  }
  const peerRooms = (room: string, ctx: Ctx): Pid[] => groups.members(roomGroup(room)).filter((p) => p.node !== ctx.self.node)
  /**
   * A session enters: the session put its socket in sessionSockets before it called. Its history and presence are
   * written here, between two messages of this actor, so the socket gets every message after its history, in order.
   */
  const enter = (state: RoomState, request: Extract<RoomRequest, { t: 'enter' }>): EnterReply => {
    const session = sessionSockets.get(request.pid.key)
    if (session === undefined) return false
    groups.join(state.sessions, request.pid)
    services.presence?.track(request.pid, state.room, request.user)
    const presence = presenceFrame(state.room, services.presence?.users(state.room) ?? [])
    session.presence.set(state.room, presence)
    services.writeTo(session.socket, state.room, historyFrame(state.room, state.history.messages()))
    services.writeTo(session.socket, state.room, presence)
    return true
  }
  /** The start's fill is over (its history came, or the wait ran out): the held sessions enter, in order. */
  const filled = (state: RoomState, ctx: Ctx): void => {
    state.filling = false
    services.filling.delete(state.room)
    for (const { from, request } of state.held.splice(0)) ctx.reply(from, enter(state, request))
  }

  return {
    name: 'chat.room',
    async init(room, ctx) {
      groups.join(roomGroup(room), ctx.self)
      try {
        await groups.synced({ timeoutMs: services.options.historySyncMs })
      } catch (err) {
        // A node that did not confirm in time gets this room's messages once it does; the room serves meanwhile.
        if (!isCohortError(err, 'COHORT_ERR_GROUPS_NOT_SYNCED')) throw err
        ctx.log.warn({ err, room }, 'room started before every node confirmed it')
      }
      services.presence?.watch(room)
      const history = services.historyOf(room, CHAT_LIMITS.historyLength, CHAT_LIMITS.historyChars)
      const peers = peerRooms(room, ctx)
      // A node that starts (or restarts) with no history of the room asks a peer for its history, and holds the
      // sessions that enter until it comes (or `historySyncMs` passes): otherwise a client that came in first got an
      // empty history frame, and what the catch-up brought a moment later went to the history only, never to it.
      // Asked with a message, not a call: two nodes starting one room at once would each wait on the other's init.
      const filling = history.size === 0 && peers.length > 0
      if (!filling) services.filling.delete(room)
      if (filling) {
        services.filling.add(room)
        ctx.send(peers[0]!, { t: 'historyWanted', from: ctx.self } satisfies RoomMessage)
        ctx.sendAfter(ctx.self, { t: 'fillTimeout' } satisfies RoomMessage, services.options.historySyncMs)
      }
      // Catch up at once with every peer known now; the periodic sync covers peers that appear later.
      for (const peer of peers) ctx.send(peer, { t: 'digest', from: ctx.self, digest: history.digest() } satisfies RoomMessage)
      ctx.sendAfter(ctx.self, { t: 'tick' } satisfies RoomMessage, firstTickMs(room, services.options.historySyncMs))
      return { room, sessions: sessionsGroup(room), history, quietTicks: 0, nextPeer: 0, filling, held: [] }
    },
    handleCall(request: RoomRequest, from: From, state) {
      if (request.t === 'enter') {
        if (state.filling) {
          state.held.push({ from, request })
          return { noreply: state }
        }
        return { reply: enter(state, request), state }
      }
      return { reply: state.history.messages(), state }
    },
    handleInfo(msg: RoomMessage, state, ctx) {
      switch (msg.t) {
        case 'message':
          if (!isChatMessage(msg.message)) return state
          // Delivered live whether or not a catch-up brought it into the history first: the broadcast reaches each
          // node's room actor once, and a catch-up running ahead of a busy node's queue must not swallow it.
          if (state.history.add(msg.message)) state.quietTicks = 0
          services.counters.messagesOut += deliver(state, frameJson(msg))
          return state
        case 'signal':
          // From any node: only a frame's JSON object and a pid are taken, anything else is dropped.
          if (msg.json instanceof Uint8Array && msg.json[0] === 0x7b && isPid(msg.from)) {
            deliver(state, Buffer.isBuffer(msg.json) ? msg.json : Buffer.from(msg.json.buffer, msg.json.byteOffset, msg.json.length), msg.from)
          }
          return state
        case 'presence':
          tellPresence(state, presenceFrame(state.room, msg.users))
          return state
        case 'digest':
          if (msg.digest !== state.history.digest()) ctx.send(msg.from, { t: 'ids', from: ctx.self, ids: state.history.ids(), answer: true } satisfies RoomMessage)
          return state
        case 'ids': {
          if (!Array.isArray(msg.ids)) return state
          // Each side sends the other only what it lacks: ids cross the wire, messages only when missing.
          const theirs = new Set(msg.ids)
          const missing = state.history.messages().filter((m) => !theirs.has(m.id))
          if (missing.length > 0) ctx.send(msg.from, { t: 'give', messages: missing } satisfies RoomMessage)
          if (msg.answer && msg.ids.some((id) => !state.history.has(id))) {
            ctx.send(msg.from, { t: 'ids', from: ctx.self, ids: state.history.ids(), answer: false } satisfies RoomMessage)
          }
          return state
        }
        case 'give':
          if (Array.isArray(msg.messages) && state.history.merge(msg.messages.filter(isChatMessage)) > 0) state.quietTicks = 0
          if (msg.fill === true && state.filling) filled(state, ctx)
          return state
        case 'historyWanted':
          if (isPid(msg.from)) ctx.send(msg.from, { t: 'give', messages: state.history.messages(), fill: true } satisfies RoomMessage)
          return state
        case 'fillTimeout':
          if (state.filling) {
            ctx.log.warn({ room: state.room }, 'no peer gave the room\'s history in time at start; it opens with what it has')
            filled(state, ctx)
          }
          return state
        case 'tick': {
          // A room whose history has not changed for a round of its peers has told them all it has: an idle room
          // costs nothing, however many rooms a node holds. A change (live or caught up) starts the rounds again.
          const peers = peerRooms(state.room, ctx)
          if (peers.length > 0 && state.quietTicks <= peers.length) {
            const peer = peers[state.nextPeer++ % peers.length]!
            ctx.send(peer, { t: 'digest', from: ctx.self, digest: state.history.digest() } satisfies RoomMessage)
          }
          state.quietTicks++
          ctx.sendAfter(ctx.self, { t: 'tick' } satisfies RoomMessage, services.options.historySyncMs)
          return state
        }
        case 'peerJoined':
          ctx.send(msg.peer, { t: 'digest', from: ctx.self, digest: state.history.digest() } satisfies RoomMessage)
          return state
        default:
          // Not from a chat node of this version: dropped, so a stray message never costs the room its state.
          ctx.log.warn({ msgType: typeof msg === 'object' && msg !== null ? String((msg as { t?: unknown }).t) : typeof msg }, 'room actor dropped an unknown message')
          return state
      }
    },
  }
}

/**
 * When a room's first sync tick comes: between half a period and a period after its start, at a point fixed by the
 * room's name. Rooms started together (every room of a node that just joined) would otherwise compare their
 * histories in the same millisecond, period after period: a burst of digests and id lists that delays every message
 * behind it. Spread by the name, not at random, so tests on a TestClock see the same schedule every run.
 */
export function firstTickMs(room: string, periodMs: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < room.length; i++) hash = Math.imul(hash ^ room.charCodeAt(i), 0x01000193) >>> 0
  const half = Math.floor(periodMs / 2)
  return periodMs - half + (hash % (half + 1))
}

/** The JSON of a message's frame: as the sender's node made it, or made here (a sender that did not, or sent junk). */
function frameJson(msg: { message: ChatMessage; json?: unknown }): Buffer {
  const json = msg.json
  if (json instanceof Uint8Array && json.length > 0 && json[0] === 0x7b) {
    return Buffer.isBuffer(json) ? json : Buffer.from(json.buffer, json.byteOffset, json.length)
  }
  return Buffer.from(JSON.stringify(msg.message))
}

/** A message as a peer's room actor sends it; anything else from the wire is dropped. */
function isChatMessage(value: unknown): value is ChatMessage {
  if (typeof value !== 'object' || value === null) return false
  const m = value as Record<string, unknown>
  return (
    typeof m['id'] === 'string' &&
    typeof m['at'] === 'number' &&
    typeof m['room'] === 'string' &&
    typeof m['node'] === 'string' &&
    typeof m['text'] === 'string' &&
    typeof m['user'] === 'string' &&
    (m['ref'] === undefined || checkRef(m['ref']) === undefined)
  )
}
