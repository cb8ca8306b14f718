/**
 * The session actor: one per WebSocket, under the node's session supervisor (temporary: a crashed session closes its
 * socket and the page reconnects). It enters its room through the room actor, which answers with the history and
 * presence frames and adds the session to the room's groups; then it writes every frame the room hands it, checks
 * every frame the client sends, and broadcasts each valid `say` to the room's group (one copy per node).
 *
 * Slow clients: a socket's unsent bytes are checked after each write; past `maxBufferedBytes` the socket is cut
 * (close code 1008 is not sendable through a full buffer, so the socket is terminated). Writes never wait, so one
 * client that does not read never slows the room for the others.
 */
import type { Pid, ServerBehaviour } from '@cohort/core'
import type { WebSocket } from 'ws'
import { errorFrame, isRefused, parseClientFrame } from './chat-protocol.ts'
import { CHAT_NAMES } from './chat-services.ts'
import type { ChatServices } from './chat-services.ts'
import type { EnterReply, OutFrame, RoomMessage } from './room.ts'
import { roomGroup } from './room-groups.ts'

/** The arguments of a session: its parked socket, room and user. */
export interface SessionArgs {
  socketId: number
  room: string
  user: string
}

/** What a session actor receives besides its room's frames. */
export type SessionMessage =
  | OutFrame
  | { t: 'frame'; data: string | Buffer; binary: boolean }
  | { t: 'closed' }
  | { t: 'reconnect'; json: string }

interface SessionState {
  readonly socket: WebSocket
  readonly room: string
  readonly user: string
  /** The last presence frame written: the one `enter` returned and a broadcast of the same set are one change. */
  presence: string
}

/** WebSocket close codes the chat uses. */
export const CHAT_CLOSE_CODES: Readonly<{ goingAway: number; serviceRestart: number; tooSlow: number; internalError: number }> =
  Object.freeze({ goingAway: 1001, serviceRestart: 1012, tooSlow: 1008, internalError: 1011 })

/** The session actor's behaviour. */
export function sessionBehaviour(services: ChatServices): ServerBehaviour<SessionState, SessionArgs> {
  const { system, groups, counters } = services
  const write = (state: SessionState, json: string | Buffer): void => {
    const socket = state.socket
    if (socket.readyState !== socket.OPEN) return
    // A Buffer is sent as a text frame as it is: encoded once by the room actor for all its sessions.
    services.batcher.write(socket, json)
    if (socket.bufferedAmount > services.options.maxBufferedBytes) {
      system.logger.info({ room: state.room, bufferedBytes: socket.bufferedAmount }, 'client does not read its socket; disconnecting it')
      socket.terminate()
    }
  }

  return {
    name: 'chat.session',
    async init(args, ctx) {
      const socket = services.takeSocket(args.socketId)
      if (socket === undefined || socket.readyState !== socket.OPEN) return { stop: 'normal' }
      const self = ctx.self
      // Trapped so that the supervisor's shutdown runs terminate, which closes the socket.
      ctx.trapExit(true)
      socket.on('message', (data: Buffer, binary: boolean) => {
        system.send(self, { t: 'frame', data: binary ? data : data.toString('utf8'), binary } satisfies SessionMessage)
      })
      socket.on('close', () => system.send(self, { t: 'closed' } satisfies SessionMessage))
      const room = await ctx.call<Pid | undefined>(CHAT_NAMES.directory, { t: 'ensure', room: args.room })
      if (room === undefined) {
        socket.close(CHAT_CLOSE_CODES.serviceRestart, 'this node holds too many rooms; try another node')
        return { stop: 'normal' }
      }
      const entered = await ctx.call<EnterReply>(room, { t: 'enter', pid: self, user: args.user })
      counters.sockets++
      const state: SessionState = { socket, room: args.room, user: args.user, presence: entered.presence }
      write(state, entered.history)
      write(state, entered.presence)
      return state
    },
    handleInfo(msg: SessionMessage, state, ctx) {
      switch (msg.t) {
        case 'out':
          if (typeof msg.json === 'string' && msg.presence) {
            if (msg.json === state.presence) return state
            state.presence = msg.json
          }
          write(state, msg.json)
          return state
        case 'frame': {
          const frame = parseClientFrame(msg.data, msg.binary)
          if (isRefused(frame)) {
            write(state, errorFrame(frame))
            return state
          }
          counters.messagesIn++
          const message = services.stamp(state.room, state.user, frame.text)
          groups.broadcast(roomGroup(state.room), { t: 'message', message } satisfies RoomMessage, { sender: ctx })
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
    terminate(reason, state) {
      counters.sockets--
      if (state.socket.readyState === state.socket.OPEN) {
        state.socket.close(reason === 'normal' || reason === 'shutdown' ? CHAT_CLOSE_CODES.goingAway : CHAT_CLOSE_CODES.internalError)
      }
    },
  }
}
