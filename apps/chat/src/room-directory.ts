/**
 * The room directory: one actor per node (`chat.directory`) that starts the node's room actors under the room
 * supervisor, one per room, on demand. A room is started when a local session enters it and also when a room actor
 * of another node joins the room's group, so every node keeps every room's history. Starts go through this one
 * actor, so two sessions entering a new room at once start one room actor. It also tells other nodes this node's
 * public URL (`endpoint`), which a leaving node passes on to its browsers, and closes a user's sessions on this node
 * when any node asks (`disconnect`, disconnect-user.ts).
 */
import { isGroupEvent, startChild } from '@cohort/core'
import type { Ctx, From, GroupEvent, Pid, ServerBehaviour } from '@cohort/core'
import { CHAT_NAMES, roomActorName } from './chat-services.ts'
import type { ChatServices } from './chat-services.ts'
import { roomOfRoomGroup } from './room-groups.ts'
import type { RoomMessage } from './room.ts'
import type { SessionMessage } from './session.ts'
import { MAX_CLOSE_REASON_BYTES } from './disconnect-user.ts'

/** What the directory answers. */
export type DirectoryRequest =
  | { t: 'ensure'; room: string }
  | { t: 'whereis'; room: string }
  | { t: 'endpoint' }
  /** Closes every session of `user` on this node (disconnect-user.ts); answers how many. */
  | { t: 'disconnect'; user: string; reason: string }

/** The directory's behaviour. */
export function roomDirectoryBehaviour(services: ChatServices): ServerBehaviour<null, void> {
  const { system, groups } = services

  const ensure = async (name: string, ctx: Ctx): Promise<Pid | undefined> => {
    const registered = roomActorName(name)
    const running = system.whereis(registered)
    if (running !== undefined) return running
    if (services.histories.size >= services.options.maxRooms && !services.histories.has(name)) {
      ctx.log.warn({ room: name, maxRooms: services.options.maxRooms }, 'room refused: the node holds maxRooms rooms')
      return undefined
    }
    try {
      return await startChild(ctx, CHAT_NAMES.rooms, { id: `room:${name}`, start: CHAT_NAMES.roomBehaviour, args: name, name: registered, restart: 'permanent' })
    } catch (err) {
      // The supervisor may have restarted a crashed room actor under this name meanwhile.
      const again = system.whereis(registered)
      if (again !== undefined) return again
      throw err
    }
  }

  return {
    name: 'chat.directory',
    init(_args, ctx) {
      const { groups: present } = groups.monitorScope(ctx.self)
      for (const group of present) {
        const name = roomOfRoomGroup(group)
        if (name !== undefined) ctx.send(ctx.self, { t: 'remoteRoom', room: name })
      }
      return null
    },
    async handleCall(request: DirectoryRequest, _from: From, state, ctx) {
      switch (request.t) {
        case 'ensure':
          return { reply: await ensure(request.room, ctx), state }
        case 'whereis':
          return { reply: system.whereis(roomActorName(request.room)), state }
        case 'endpoint':
          return { reply: services.options.publicUrl, state }
        case 'disconnect': {
          // Asked by any node of the cluster: a request of another shape than disconnectUser's closes nothing.
          const { user, reason } = request
          if (typeof user !== 'string' || typeof reason !== 'string' || Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) return { reply: 0, state }
          let told = 0
          for (const session of services.sessionSockets.values()) {
            if (session.user !== user) continue
            system.send(session.pid, { t: 'revoke', reason } satisfies SessionMessage)
            told++
          }
          return { reply: told, state }
        }
      }
    },
    async handleInfo(msg: GroupEvent | { t: 'remoteRoom'; room: string }, state, ctx) {
      const name = isGroupEvent(msg) ? remoteRoomJoined(msg, system.node) : msg.room
      if (name === undefined) return state
      try {
        const room = await ensure(name, ctx)
        // A peer's room actor appeared (a new or restarted node, or a partition that healed): compare histories now,
        // whether or not this room is still syncing on its own.
        if (room !== undefined && isGroupEvent(msg)) {
          for (const peer of msg.pids) if (peer.node !== system.node) ctx.send(room, { t: 'peerJoined', peer } satisfies RoomMessage)
        }
      } catch (err) {
        // Only this node's copy of the room's history is missing; the next join or a session entering retries.
        ctx.log.warn({ err, room: name }, 'could not start the room actor for a room of another node')
      }
      return state
    },
  }
}

/** The room whose group a room actor of another node joined, or undefined. */
function remoteRoomJoined(event: GroupEvent, node: string): string | undefined {
  if (event.type !== 'join' || !event.pids.some((p) => p.node !== node)) return undefined
  return roomOfRoomGroup(event.group)
}
