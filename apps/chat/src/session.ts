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
 * frame, once for each run of dropped frames, so the answers to a flood are bounded by the limit too.
 */
import type { Pid, ServerBehaviour } from '@cohort/core'
import type { WebSocket } from 'ws'
import { errorFrame, isRefused, parseClientFrame, rateLimited } from './chat-protocol.ts'
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
  /** The client went over its rate limit: frames were dropped since the last one that passed. */
  | { t: 'rateLimited' }

interface SessionState {
  readonly socket: WebSocket
  readonly room: string
  readonly user: string
}

/** WebSocket close codes the chat uses. */
export const CHAT_CLOSE_CODES: Readonly<{ goingAway: number; serviceRestart: number; tooSlow: number; internalError: number }> =
  Object.freeze({ goingAway: 1001, serviceRestart: 1012, tooSlow: 1008, internalError: 1011 })

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
      const { maxMessagesPerSecond, messageBurst } = services.options
      const limit = maxMessagesPerSecond > 0 ? new MessageRateLimit(maxMessagesPerSecond, messageBurst) : undefined
      let dropping = false
      socket.on('message', (data: Buffer, binary: boolean) => {
        if (limit !== undefined && !limit.take()) {
          counters.framesRateLimited++
          if (!dropping) system.send(self, { t: 'rateLimited' } satisfies SessionMessage)
          dropping = true
          return
        }
        dropping = false
        system.send(self, { t: 'frame', data: binary ? data : data.toString('utf8'), binary } satisfies SessionMessage)
      })
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
          const message = services.stamp(state.room, state.user, frame.text)
          // The frame's JSON is made once here for every node, not once per node by each room actor.
          const json = Buffer.from(JSON.stringify(message))
          groups.broadcast(roomGroup(state.room), { t: 'message', message, json } satisfies RoomMessage, { sender: ctx })
          return state
        }
        case 'rateLimited':
          write(state, errorFrame(rateLimited(services.options.maxMessagesPerSecond, services.options.messageBurst)))
          return state
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
