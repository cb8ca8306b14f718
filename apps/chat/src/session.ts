/**
 * The session actor: one per WebSocket, under the node's session supervisor (temporary: a crashed session closes its
 * socket and the page reconnects). It enters the room its URL names through the room actor, which writes the history
 * and presence frames and adds the session to the room's groups, and so every room the client joins later (up to
 * `maxRoomsPerConnection`); it checks every frame the client sends, and broadcasts each valid `say` to its room's
 * group (one copy per node). Leaving a room takes the session out of its groups and its presence.
 *
 * Slow clients: a socket's unsent bytes are checked after each write; past `maxBufferedBytes` the socket is cut
 * (close code 1008 is not sendable through a full buffer, so the socket is terminated). Writes never wait, so one
 * client that does not read never slows the room for the others.
 *
 * Access that ends: a user authenticated until `expiresAt` (an access token's `exp`) has the socket closed with 4401
 * then, and reconnects with a new token, as a browser session's cookie would be renewed.
 *
 * Fast clients: frames past the connection's rate limit (`maxMessagesPerSecond`, message-rate-limit.ts) are dropped
 * in the socket's listener, before they cost a mailbox entry or a broadcast, and the client is told with an error
 * frame: once for each run of dropped frames, and for each dropped frame that had a `ref` (a client that names its
 * frames is answered for every one). A client that keeps sending far past it is cut off (`listenForFrames`).
 */
import type { Ctx, Pid, ServerBehaviour } from '@cohort/core'
import type { WebSocket } from 'ws'
import { ackFrame, errorFrame, isRefused, notInRoom, parseClientFrame, rateLimited, refOfDropped, signalFrame } from './chat-protocol.ts'
import type { ChatErrorCode, MessageRef } from './chat-protocol.ts'
import { CHAT_NAMES } from './chat-services.ts'
import type { ChatServices } from './chat-services.ts'
import { MessageRateLimit } from './message-rate-limit.ts'
import type { EnterReply, RoomMessage } from './room.ts'
import { roomAllowed } from './room-access.ts'
import { roomGroup, sessionsGroup } from './room-groups.ts'
import { sayMessage } from './say-message.ts'

/** The arguments of a session: its parked socket, room and user. */
export interface SessionArgs {
  socketId: number
  room: string
  user: string
  /** The rooms the user may be in (room-access.ts); absent: every room. */
  rooms?: string[]
  /** When the user's access ends (ms since 1970): the socket is closed with 4401 then. Absent: never. */
  expiresAt?: number
}

/** What a session actor receives besides its room's frames. */
export type SessionMessage =
  | { t: 'frame'; data: string | Buffer; binary: boolean }
  | { t: 'closed' }
  | { t: 'reconnect'; json: string }
  /** The client went over its rate limit: a frame was dropped (named `ref`, when it had one). */
  | { t: 'rateLimited'; ref?: MessageRef }
  /** The user's access ended (SessionArgs.expiresAt). */
  | { t: 'accessExpired' }
  /** The user was signed out from server code (disconnect-user.ts), for `reason`. */
  | { t: 'revoke'; reason: string }

interface SessionState {
  readonly socket: WebSocket
  /** The room of the connection's URL: where a `say` that names no room goes. */
  readonly home: string
  readonly user: string
  /** The rooms this connection is in: its URL's, unless it left, and those it joined. */
  readonly rooms: Set<string>
  /** The rooms its user may be in (room-access.ts); undefined: every room. */
  readonly allowed: readonly string[] | undefined
}

/** How entering a room went: entered, refused by the directory (the node holds its most rooms), or not found. */
type Entered = 'entered' | 'refused' | 'failed'

/** WebSocket close codes the chat uses. */
export const CHAT_CLOSE_CODES: Readonly<{
  goingAway: number
  serviceRestart: number
  tooSlow: number
  flooding: number
  internalError: number
  accessExpired: number
  accessRevoked: number
}> = Object.freeze({ goingAway: 1001, serviceRestart: 1012, tooSlow: 1008, flooding: 1008, internalError: 1011, accessExpired: 4401, accessRevoked: 4403 })

/**
 * A client that has had this many bursts of frames dropped in a row, with none let through between, is cut off. A
 * client a little over its rate has a frame let through at every refill and is never cut off; one sending thousands
 * of frames a second cost the node most of a vCPU in reading them alone (measured: one client's 106,000 frames a
 * second took 0.84 vCPU and raised the others' p50 from 0.8 to 9 ms), and is cut off within a few milliseconds.
 */
export const FLOOD_CUTOFF_BURSTS = 10

/**
 * Listens for `socket`'s frames and hands each to the session `self`, checked against the connection's rate limit:
 * a frame over it is dropped and counted, the session is told once per run of drops and for each dropped frame with
 * a `ref` (it answers with an error frame, in order after what it has written), and past `FLOOD_CUTOFF_BURSTS`
 * bursts in a row the socket is closed with 1008 and no longer read, so the rest of a flood costs nothing.
 */
function listenForFrames(services: ChatServices, socket: WebSocket, self: Pid, room: string): void {
  const { system, counters } = services
  const { maxMessagesPerSecond, messageBurst } = services.options
  const limit = maxMessagesPerSecond > 0 ? new MessageRateLimit(maxMessagesPerSecond, messageBurst) : undefined
  const cutoff = FLOOD_CUTOFF_BURSTS * messageBurst
  let droppedInARow = 0
  socket.on('message', (data: Buffer, binary: boolean) => {
    if (socket.readyState !== socket.OPEN) return
    if (limit !== undefined && !limit.take()) {
      counters.framesRateLimited++
      const ref = refOfDropped(data, binary)
      if (ref !== undefined) system.send(self, { t: 'rateLimited', ref } satisfies SessionMessage)
      else if (droppedInARow === 0) system.send(self, { t: 'rateLimited' } satisfies SessionMessage)
      if (++droppedInARow > cutoff) cutOff(services, socket, self, room)
      return
    }
    droppedInARow = 0
    system.send(self, { t: 'frame', data: binary ? data : data.toString('utf8'), binary } satisfies SessionMessage)
  })
}

/**
 * Closes a flooding client's socket with 1008 and stops reading it: the close frame and the end of the connection
 * still go out, and the frames it keeps sending stay in the kernel's buffers (then its window), unread, until the
 * client closes or `ws` gives up waiting for it (its close timeout). The session ends now, not then, so the user
 * leaves the room's presence at once.
 */
function cutOff(services: ChatServices, socket: WebSocket, self: Pid, room: string): void {
  services.counters.floodsCutOff++
  services.system.logger.info({ room }, 'client sends far over its message rate limit; disconnecting it')
  socket.close(CHAT_CLOSE_CODES.flooding, 'sending far over the message rate limit')
  const raw = (socket as unknown as { _socket?: { pause(): void; end(): void } })._socket
  raw?.pause()
  raw?.end()
  services.system.send(self, { t: 'closed' } satisfies SessionMessage)
}

/** The session actor's behaviour. */
export function sessionBehaviour(services: ChatServices): ServerBehaviour<SessionState, SessionArgs> {
  const { system, groups, counters, sessionSockets } = services
  const write = (state: SessionState, json: string): void => services.writeTo(state.socket, state.home, json)
  const refuse = (state: SessionState, code: ChatErrorCode, reason: string, ref: MessageRef | undefined): void =>
    write(state, errorFrame(ref === undefined ? { code, reason } : { code, reason, ref }))
  /** Joins `room` (a no-op but the ack when the connection is in it), answering the frame named `ref`. */
  const join = async (room: string, ref: MessageRef | undefined, state: SessionState, ctx: Ctx): Promise<SessionState> => {
    if (!state.rooms.has(room)) {
      if (!roomAllowed(state.allowed, room)) {
        refuse(state, 'COHORT_ERR_CHAT_ROOM_FORBIDDEN', `${state.user} may not enter room ${JSON.stringify(room)}`, ref)
        return state
      }
      const max = services.options.maxRoomsPerConnection
      if (state.rooms.size >= max) {
        refuse(state, 'COHORT_ERR_CHAT_TOO_MANY_ROOMS', `this connection is in ${max} rooms, the most it may be in: leave one first`, ref)
        return state
      }
      let entered: Entered
      try {
        entered = await enter(room, state.user, ctx)
      } catch (err) {
        ctx.log.warn({ err, room }, 'could not enter a room a client joined')
        entered = 'failed'
      }
      if (entered !== 'entered') {
        refuse(state, 'COHORT_ERR_CHAT_ROOM_REFUSED', entered === 'refused' ? 'this node holds too many rooms; try another node' : 'could not enter the room; try again', ref)
        return state
      }
      state.rooms.add(room)
    }
    if (ref !== undefined) write(state, ackFrame(ref))
    return state
  }
  /** Enters `room` through its room actor, which writes the history and presence to the session's listed socket. */
  const enter = async (room: string, user: string, ctx: Ctx): Promise<Entered> => {
    const pid = await ctx.call<Pid | undefined>(CHAT_NAMES.directory, { t: 'ensure', room })
    if (pid === undefined) return 'refused'
    return (await ctx.call<EnterReply>(pid, { t: 'enter', pid: ctx.self, user })) ? 'entered' : 'failed'
  }

  return {
    name: 'chat.session',
    async init(args, ctx) {
      const socket = services.takeSocket(args.socketId)
      if (socket === undefined || socket.readyState !== socket.OPEN) return { stop: 'normal' }
      const self = ctx.self
      // Trapped so that the supervisor's shutdown runs terminate, which closes the socket.
      ctx.trapExit(true)
      listenForFrames(services, socket, self, args.room)
      socket.on('close', () => {
        // Here too, not only in terminate: a session killed outright ('kill') runs no terminate.
        sessionSockets.delete(self.key)
        system.send(self, { t: 'closed' } satisfies SessionMessage)
      })
      // Listed before entering: the room writes the history, the presence and then the room's frames to it.
      sessionSockets.set(self.key, { socket, presence: new Map(), pid: self, user: args.user })
      let entered: Entered
      try {
        entered = await enter(args.room, args.user, ctx)
      } catch (err) {
        sessionSockets.delete(self.key)
        throw err
      }
      if (entered !== 'entered') {
        sessionSockets.delete(self.key)
        if (entered === 'refused') {
          // The same error frame a `join` gets, then the close that sends a client to another node.
          const reason = 'this node holds too many rooms; try another node'
          services.writeTo(socket, args.room, errorFrame({ code: 'COHORT_ERR_CHAT_ROOM_REFUSED', reason }))
          socket.close(CHAT_CLOSE_CODES.serviceRestart, reason)
        } else socket.close(CHAT_CLOSE_CODES.internalError, 'could not enter the room')
        return { stop: 'normal' }
      }
      counters.sockets++
      if (args.expiresAt !== undefined) {
        ctx.sendAfter(ctx.self, { t: 'accessExpired' } satisfies SessionMessage, Math.max(0, args.expiresAt - system.clock.now()))
      }
      return { socket, home: args.room, user: args.user, rooms: new Set([args.room]), allowed: args.rooms }
    },
    handleInfo(msg: SessionMessage, state, ctx) {
      switch (msg.t) {
        case 'frame': {
          const frame = parseClientFrame(msg.data, msg.binary)
          if (isRefused(frame)) {
            write(state, errorFrame(frame))
            return state
          }
          // The only answer that waits (for the room actor): frames after it wait too, so they stay in order.
          if (frame.type === 'join') return join(frame.room, frame.ref, state, ctx)
          if (frame.type === 'leave') {
            if (!state.rooms.delete(frame.room)) {
              refuse(state, 'COHORT_ERR_CHAT_NOT_IN_ROOM', notInRoom(frame.room), frame.ref)
              return state
            }
            groups.leave(sessionsGroup(frame.room), ctx.self)
            services.presence?.untrack(ctx.self, frame.room)
            sessionSockets.get(ctx.self.key)?.presence.delete(frame.room)
            if (frame.ref !== undefined) write(state, ackFrame(frame.ref))
            return state
          }
          const room = frame.room ?? state.home
          if (!state.rooms.has(room)) {
            refuse(state, 'COHORT_ERR_CHAT_NOT_IN_ROOM', notInRoom(room), frame.ref)
            return state
          }
          if (frame.type === 'signal') {
            counters.signalsIn++
            const json = Buffer.from(signalFrame(room, state.user, frame.name, frame.data))
            groups.broadcast(roomGroup(room), { t: 'signal', json, from: ctx.self } satisfies RoomMessage, { sender: ctx })
            if (frame.ref !== undefined) write(state, ackFrame(frame.ref))
            return state
          }
          const message = sayMessage(services, room, state.user, frame.text, frame.ref, ctx)
          // Written by the session itself, so the answer does not depend on the room actor's copy reaching the socket.
          if (frame.ref !== undefined) write(state, ackFrame(frame.ref, message.id))
          return state
        }
        case 'rateLimited': {
          const refused = rateLimited(services.options.maxMessagesPerSecond, services.options.messageBurst)
          refuse(state, refused.code, refused.reason, msg.ref)
          return state
        }
        case 'accessExpired':
          // Closed, not only told: a client that ignored an error frame would go on chatting as a user it no longer is.
          // The session ends now, not when the client answers the close, so the user leaves presence at once.
          counters.accessExpired++
          state.socket.close(CHAT_CLOSE_CODES.accessExpired, 'access expired; reconnect with a new access token')
          return { stop: 'normal', state }
        case 'revoke':
          // As an expired access: closed, and the session ends now, so the user leaves presence at once.
          counters.accessRevoked++
          state.socket.close(CHAT_CLOSE_CODES.accessRevoked, msg.reason)
          return { stop: 'normal', state }
        case 'reconnect':
          write(state, msg.json)
          state.socket.close(CHAT_CLOSE_CODES.serviceRestart, 'node shutting down; reconnect')
          return state
        case 'closed':
          return { stop: 'normal', state }
        default:
          ctx.log.warn({ msgType: typeof msg === 'object' && msg !== null ? String((msg as { t?: unknown }).t) : typeof msg }, 'session dropped an unknown message')
          return state
      }
    },
    terminate(reason, state, ctx) {
      sessionSockets.delete(ctx.self.key)
      counters.sockets--
      if (state.socket.readyState === state.socket.OPEN) {
        state.socket.close(reason === 'normal' || reason === 'shutdown' ? CHAT_CLOSE_CODES.goingAway : CHAT_CLOSE_CODES.internalError)
      }
    },
  }
}
