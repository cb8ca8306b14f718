/**
 * startChat: the chat's part of a node, on any ActorSystem — the groups and presence scopes, the node's services and
 * the supervision tree (`chat`, oneForOne: the room supervisor, the room directory, the session supervisor; stopped
 * in reverse, sessions first). run-chat-node.ts calls it on a transport node; tests call it on the in-memory network
 * of @cohort/core/testing.
 */
import { dynamicSupervisor, startGroups, startPresence, supervisor } from '@cohort/core'
import type { ActorSystem, ChildSpec, Pid } from '@cohort/core'
import { CHAT_NAMES, ChatServices, roomActorName } from './chat-services.ts'
import type { ChatOptions } from './chat-services.ts'
import { roomDirectoryBehaviour } from './room-directory.ts'
import { CHAT_SCOPE } from './room-groups.ts'
import { RoomPresence } from './room-presence.ts'
import { roomBehaviour } from './room.ts'
import { sessionBehaviour } from './session.ts'
import type { RoomMessage } from './room.ts'

/** The chat running on a node. */
export interface StartedChat {
  readonly services: ChatServices
  /** The chat's root supervisor. */
  readonly root: Pid
}

/**
 * Starts the chat on `system`; resolves once its supervision tree is up. `firstChildren` start under the chat's root
 * before its own children (run-chat-node.ts puts the cluster observer there, so it reports the whole tree).
 */
export async function startChat(system: ActorSystem, options: ChatOptions, firstChildren: readonly ChildSpec[] = []): Promise<StartedChat> {
  const groups = startGroups(system, { scope: CHAT_SCOPE })
  const services = new ChatServices(system, groups, options)
  services.presence = new RoomPresence(startPresence(system, { scope: CHAT_SCOPE }), (room, users) => {
    const pid = system.whereis(roomActorName(room))
    if (pid !== undefined) system.send(pid, { t: 'presence', users } satisfies RoomMessage)
  })
  // Defined by name so that child specs are plain data (they cross the supervisor's mailbox like any message).
  system.define(CHAT_NAMES.roomBehaviour, roomBehaviour(services))
  system.define(CHAT_NAMES.sessionBehaviour, sessionBehaviour(services))
  const root = await system.start(
    supervisor({
      name: 'chat',
      strategy: 'oneForOne',
      children: [
        ...firstChildren,
        { id: 'rooms', start: dynamicSupervisor({ name: CHAT_NAMES.rooms, intensity: { maxRestarts: 20, withinMs: 10_000 } }), name: CHAT_NAMES.rooms },
        { id: 'directory', start: roomDirectoryBehaviour(services), name: CHAT_NAMES.directory },
        // Sessions are temporary (never restarted), so their exits never count against an intensity.
        { id: 'sessions', start: dynamicSupervisor({ name: CHAT_NAMES.sessions }), name: CHAT_NAMES.sessions },
      ],
    }),
  )
  return { services, root }
}
