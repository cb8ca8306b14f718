/**
 * The WebSocket endpoint `GET /ws?room=<room>&user=<name>`: checks the room and user before the upgrade (a bad one
 * gets an HTTP 400 naming what was wrong), then hands each socket to a new session actor. With an authenticator, the
 * user is the one it names and a refused request gets 401 with its reason (the `user` parameter is then ignored); an
 * access that ends (`expiresAt`) is the session's to end.
 * While the node is leaving it refuses new sockets (503) and tells the connected ones to reconnect elsewhere.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { startChild } from '@cohort/core'
import { WebSocketServer } from 'ws'
import { readAuthentication } from './authenticate.ts'
import type { Access, Authentication, ChatAuthenticator } from './authenticate.ts'
import { checkRoomName, checkUserName, reconnectFrame } from './chat-protocol.ts'
import { roomAllowed } from './room-access.ts'
import { CHAT_NAMES } from './chat-services.ts'
import type { ChatServices } from './chat-services.ts'
import type { SessionArgs, SessionMessage } from './session.ts'
import { sessionsGroup } from './room-groups.ts'

/**
 * The largest frame a client may send. Above the 4 KiB text limit on purpose: a too-long text gets an error frame
 * and the connection stays open; only a frame past this is refused by closing (1009).
 */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024

/** The WebSocket side of a chat node. */
export class SocketEndpoint {
  readonly #services: ChatServices
  readonly #authenticate: ChatAuthenticator | undefined
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES, clientTracking: true })
  #leaving = false

  constructor(services: ChatServices, authenticate?: ChatAuthenticator) {
    this.#services = services
    this.#authenticate = authenticate
  }

  /** Handles an HTTP upgrade for `/ws`. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    const room = url.searchParams.get('room')
    const user = url.searchParams.get('user')
    if (this.#leaving) return refuse(socket, '503 Service Unavailable', 'this node is shutting down; connect to another node')
    const refused = checkRoomName(room) ?? (this.#authenticate === undefined ? checkUserName(user) : undefined)
    if (refused !== undefined) return refuse(socket, '400 Bad Request', refused)
    if (this.#authenticate === undefined) return this.#accept(req, socket, head, { room: room!, user: user!.trim() })
    let auth: Authentication | PromiseLike<Authentication>
    try {
      auth = this.#authenticate(req, url)
    } catch (err) {
      return this.#authFailed(socket, err)
    }
    if (!isPromiseLike(auth)) return this.#authenticated(req, socket, head, room!, auth)
    auth.then(
      (answer) => {
        // The client may have gone while the authenticator was deciding.
        if (!socket.destroyed) this.#authenticated(req, socket, head, room!, answer)
      },
      (err: unknown) => this.#authFailed(socket, err),
    )
  }

  #authenticated(req: IncomingMessage, socket: Duplex, head: Buffer, room: string, auth: Authentication): void {
    let access: Access | { readonly refused: string }
    try {
      access = readAuthentication(auth, this.#services.system.clock.now())
    } catch (err) {
      return this.#authFailed(socket, err)
    }
    if ('refused' in access) return this.#refuseAuth(socket, access.refused)
    if (!roomAllowed(access.rooms, room)) {
      this.#services.counters.authRefused++
      return refuse(socket, '403 Forbidden', `${access.user} may not enter room ${JSON.stringify(room)}`)
    }
    this.#accept(req, socket, head, { room, ...access })
  }

  #refuseAuth(socket: Duplex, reason: string): void {
    this.#services.counters.authRefused++
    refuse(socket, '401 Unauthorized', reason, 'www-authenticate: Bearer\r\n')
  }

  #authFailed(socket: Duplex, err: unknown): void {
    this.#services.system.logger.error({ err }, 'the chat authenticator failed; refusing the WebSocket')
    refuse(socket, '500 Internal Server Error', 'could not authenticate the request')
  }

  /** Upgrades the request and starts its session. */
  #accept(req: IncomingMessage, socket: Duplex, head: Buffer, access: Access & { readonly room: string }): void {
    const { room, user, rooms, expiresAt } = access
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      // A client's bad frame (one over MAX_CLIENT_FRAME_BYTES, a broken mask, invalid UTF-8) is an 'error' on its
      // socket, which ws then closes with the matching code (1009, 1002, 1007). Without a listener that error would
      // be thrown out of the event loop and take the whole node down with every other client's socket.
      ws.on('error', (err: Error & { code?: string }) => {
        this.#services.system.logger.info({ room, code: err.code, reason: err.message }, 'client sent a bad frame; its socket is closed')
      })
      const socketId = this.#services.parkSocket(ws)
      startChild(this.#services.system, CHAT_NAMES.sessions, {
        start: CHAT_NAMES.sessionBehaviour,
        args: {
          socketId,
          room,
          user,
          ...(rooms === undefined ? {} : { rooms: [...rooms] }),
          ...(expiresAt === undefined ? {} : { expiresAt }),
        } satisfies SessionArgs,
        restart: 'temporary',
      }).catch((err: unknown) => {
        this.#services.takeSocket(socketId)
        // A session that closed its socket itself (a node holding too many rooms) said why in its close.
        if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) return
        this.#services.system.logger.warn({ err, room }, 'could not start a session; closing its socket')
        ws.close(1011, 'could not start a session')
      })
    })
  }

  /** Refuses new sockets and tells every connected session to reconnect to one of `endpoints`. */
  leave(endpoints: readonly string[]): void {
    this.#leaving = true
    const json = reconnectFrame('this node is shutting down', endpoints)
    const { groups } = this.#services
    for (const room of this.#services.histories.keys()) {
      for (const pid of groups.localMembers(sessionsGroup(room))) this.#services.system.send(pid, { t: 'reconnect', json } satisfies SessionMessage)
    }
  }

  /** Closes every socket still open. */
  close(): void {
    for (const ws of this.#wss.clients) ws.terminate()
    this.#wss.close()
  }
}

/** Answers an upgrade with `status` and `reason` as text, and closes the connection. */
function refuse(socket: Duplex, status: string, reason: string, headers = ''): void {
  const body = `${reason}\n`
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${headers}connection: close\r\n\r\n${body}`)
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown }).then === 'function'
}
