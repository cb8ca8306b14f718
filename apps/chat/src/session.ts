/**
 * The session actor: one per WebSocket, under the node's session supervisor (temporary: a crashed session closes its
 * socket and the page reconnects). It enters its room through the room actor, which answers with the history and
 * presence frames and adds the session to the room's groups; then it writes every frame the room hands it, checks
 * every frame the client sends, and broadcasts each valid `say` to the room's group (one copy per node).
 *
 * Slow clients: a socket's unsent bytes are checked after each write; past `maxBufferedBytes` the socket is cut
 * (close code 1008 is not sendable through a full buffer, so the socket is terminated). Writes never wait, so one
 * client that does not read never slows the room for the others.
 *
 * Fast clients: frames past the connection's rate limit (`maxMessagesPerSecond`, message-rate-limit.ts) are dropped
 * in the socket's listener, before they cost a mailbox entry or a broadcast, and the client is told with an error
 * frame: once for each run of dropped frames, and for each dropped frame that had a `ref` (a client that names its
 * frames is answered for every one). A client that keeps sending far past it is cut off (`listenForFrames`).
 */
import type { Pid, ServerBehaviour } from '@cohort/core'
import type { WebSocket } from 'ws'
import { ackFrame, errorFrame, isRefused, parseClientFrame, rateLimited, refOfDropped } from './chat-protocol.ts'
import type { MessageRef } from './chat-protocol.ts'
import { CHAT_NAMES } from './chat-services.ts'
import type { ChatServices } from './chat-services.ts'
import { MessageRateLimit } from './message-rate-limit.ts'
import type { EnterReply, RoomMessage } from './room.ts'
import { roomGroup } from './room-groups.ts'

/** The arguments of a session: its parked socket, room and user. */
export interface SessionArgs {
  socketId: number
  room: string
  user: string
}

/** What a session actor receives besides its room's frames. */
export type SessionMessage =
  | { t: 'frame'; data: string | Buffer; binary: boolean }
  | { t: 'closed' }
  | { t: 'reconnect'; json: string }
  /** The client went over its rate limit: a frame was dropped (named `ref`, when it had one). */
  | { t: 'rateLimited'; ref?: MessageRef }

interface SessionState {
  readonly socket: WebSocket
  readonly room: string
  readonly user: string
}

/** WebSocket close codes the chat uses. */
export const CHAT_CLOSE_CODES: Readonly<{ goingAway: number; serviceRestart: number; tooSlow: number; flooding: number; internalError: number }> =
  Object.freeze({ goingAway: 1001, serviceRestart: 1012, tooSlow: 1008, flooding: 1008, internalError: 1011 })

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
  const write = (state: SessionState, json: string): void => services.writeTo(state.socket, state.room, json)

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
      const room = await ctx.call<Pid | undefined>(CHAT_NAMES.directory, { t: 'ensure', room: args.room })
      if (room === undefined) {
        socket.close(CHAT_CLOSE_CODES.serviceRestart, 'this node holds too many rooms; try another node')
        return { stop: 'normal' }
      }
      // Listed before entering: the room writes the history, the presence and then the room's frames to it.
      sessionSockets.set(self.key, { socket, room: args.room, presence: '' })
      let entered: EnterReply
      try {
        entered = await ctx.call<EnterReply>(room, { t: 'enter', pid: self, user: args.user })
      } catch (err) {
        sessionSockets.delete(self.key)
        throw err
      }
      if (!entered) {
        sessionSockets.delete(self.key)
        socket.close(CHAT_CLOSE_CODES.internalError, 'could not enter the room')
        return { stop: 'normal' }
      }
      counters.sockets++
      return { socket, room: args.room, user: args.user }
    },
    handleInfo(msg: SessionMessage, state, ctx) {
      switch (msg.t) {
        case 'frame': {
          const frame = parseClientFrame(msg.data, msg.binary)
          if (isRefused(frame)) {
            write(state, errorFrame(frame))
            return state
          }
          counters.messagesIn++
          const message = services.stamp(state.room, state.user, frame.text, frame.ref)
          // The frame's JSON is made once here for every node, not once per node by each room actor.
          const json = Buffer.from(JSON.stringify(message))
          groups.broadcast(roomGroup(state.room), { t: 'message', message, json } satisfies RoomMessage, { sender: ctx })
          // Written by the session itself, so the answer does not depend on the room actor's copy reaching the socket.
          if (frame.ref !== undefined) write(state, ackFrame(frame.ref, message.id))
          return state
        }
        case 'rateLimited': {
          const refused = rateLimited(services.options.maxMessagesPerSecond, services.options.messageBurst)
          write(state, errorFrame(msg.ref === undefined ? refused : { ...refused, ref: msg.ref }))
          return state
        }
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
