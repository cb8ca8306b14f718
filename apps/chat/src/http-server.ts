/**
 * The one HTTP port of a chat node: the page (`/`, `/chat.js`), the WebSocket (`/ws`), the probes (`/livez`,
 * `/readyz`), `/metrics` and the observer (all three answered by @cohort/discovery's probe handler), `GET /cluster`,
 * `GET /endpoints`, `GET /rooms` (the cluster's rooms), each room's `/rooms/<room>/history` and
 * `/rooms/<room>/presence`, and `POST /rooms/<room>/messages` (message-route.ts); the room routes ask the
 * authenticator first, when there is one: a room's history is what its users said.
 * Every answer is JSON or text with a status that says what went wrong; a failing handler answers 500 and never
 * takes the node down.
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { limitConnections } from '@cohort/discovery'
import type { ConnectionLimit, ProbeHandler } from '@cohort/discovery'
import { readAuthentication } from './authenticate.ts'
import { roomAllowed } from './room-access.ts'
import type { Access, ChatAuthenticator } from './authenticate.ts'
import { DEFAULT_CHAT_CONFIG } from './chat-config.ts'
import { checkRoomName } from './chat-protocol.ts'
import type { ChatMessage } from './chat-protocol.ts'
import type { ChatServices } from './chat-services.ts'
import type { SocketEndpoint } from './socket-endpoint.ts'
import { MessagePosts } from './message-route.ts'
import { roomGroup, roomOfRoomGroup } from './room-groups.ts'
import type { RoomRequest } from './room.ts'

/** What the HTTP server asks of the node. */
export interface ChatHttpOptions {
  host: string
  port: number
  services: ChatServices
  sockets: SocketEndpoint
  /** Answers `/livez`, `/readyz`, `/metrics` and the observer's routes (probeRequestHandler). */
  probes: ProbeHandler
  /** The public URLs of the other nodes (for pages to reconnect to when this node is gone). */
  endpoints: () => Promise<string[]>
  /**
   * Connections (page loads, API calls and WebSockets together) held open at once; past it a new one is closed on
   * arrival. @default DEFAULT_CHAT_CONFIG.maxConnections
   */
  maxConnections?: number
  /** Asked before a room's history or presence is read; a refusal is answered 401. @default none: anyone may read */
  authenticate?: ChatAuthenticator
}

/** A listening chat HTTP server. */
export interface ChatHttpServer {
  readonly port: number
  readonly server: Server
  /** The connection cap and how many it has refused. */
  readonly connections: ConnectionLimit
  close(): Promise<void>
}

const PUBLIC = new URL('../public/', import.meta.url)
const STATIC: ReadonlyMap<string, { type: string; body: Buffer }> = new Map([
  ['/', { type: 'text/html; charset=utf-8', body: readFileSync(new URL('index.html', PUBLIC)) }],
  ['/chat.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('chat.js', PUBLIC)) }],
])

/** Starts the server; resolves once it listens. */
export async function startChatHttpServer(options: ChatHttpOptions): Promise<ChatHttpServer> {
  const { services, sockets, probes } = options
  const { system } = services
  const send = (res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8'): void => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
    res.end(res.req.method === 'HEAD' ? undefined : body)
  }
  const json = (res: ServerResponse, status: number, value: unknown): void => send(res, status, JSON.stringify(value), 'application/json')

  const posts = new MessagePosts(services)
  /** Nodeups seen (a new node, or one back from a partition), and how many there were when the groups last synced. */
  let nodeups = 0
  let syncedAt = -1
  const stopWatchingNodes = system.monitorNodes((event) => {
    if (event.type === 'nodeup') nodeups++
  })
  /**
   * Waits, up to a second, until the groups hold every connected node's snapshot (a peer answers the barrier after
   * its snapshot), so a node that has just started knows the cluster's rooms. Once per nodeup, not per request: a
   * barrier pings every node, which each `/rooms` of a page's load or reconnection would otherwise pay.
   */
  const groupsKnown = async (): Promise<void> => {
    if (syncedAt === nodeups) return
    const asOf = nodeups
    await services.groups.synced({ timeoutMs: 1_000 }).then(
      () => (syncedAt = asOf),
      () => undefined,
    )
  }
  /**
   * Who asks, by the authenticator: without one, anyone (`{}`). A refusal or an access that has ended is answered 401
   * here, and an authenticator that throws, rejects or answers what the chat cannot use 500 (as a WebSocket's upgrade
   * is); both resolve undefined.
   */
  const whoAsks = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<Partial<Access> | undefined> => {
    if (options.authenticate === undefined) return {}
    let access: Access | { readonly refused: string }
    try {
      access = readAuthentication(await options.authenticate(req, url), system.clock.now())
    } catch (err) {
      system.logger.error({ err }, 'the chat authenticator failed; refusing the request')
      json(res, 500, { error: 'could not authenticate the request' })
      return undefined
    }
    if (!('refused' in access)) return access
    services.counters.authRefused++
    res.setHeader('www-authenticate', 'Bearer')
    json(res, 401, { error: access.refused })
    return undefined
  }
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (await probes.handle(req, res)) return
    const url = new URL(req.url ?? '/', 'http://chat')
    const path = url.pathname
    const room = /^\/rooms\/([^/]*)\/(history|presence|messages)$/.exec(path)
    if (room?.[2] === 'messages') {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST')
        return send(res, 405, 'method not allowed: /rooms/<room>/messages takes POST\n')
      }
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      return send(res, 405, 'method not allowed: only GET and HEAD\n')
    }
    const file = STATIC.get(path === '/index.html' ? '/' : path)
    if (file !== undefined) return send(res, 200, file.body, file.type)
    switch (path) {
      case '/cluster':
        return json(res, 200, { node: system.node, nodes: system.nodes().sort() })
      case '/rooms': {
        // Every room is on every node, so any node lists the cluster's; a token's rooms claim hides the others. The
        // room groups too, not only the histories held here: a node that has just restarted knows the cluster's rooms
        // from the groups' snapshots before its directory has started them all.
        const asker = await whoAsks(req, res, url)
        if (asker === undefined) return
        const known = new Set(services.histories.keys())
        await groupsKnown()
        for (const group of services.groups.whichGroups()) {
          const room = roomOfRoomGroup(group)
          if (room !== undefined) known.add(room)
        }
        const rooms = [...known].filter((r) => roomAllowed(asker.rooms, r)).sort()
        return json(res, 200, { rooms: rooms.map((r) => ({ room: r, users: services.presence?.users(r).length ?? 0 })) })
      }
      case '/endpoints':
        // Read by pages served by another node, to know where to go if theirs dies: public, so any origin may read it.
        res.setHeader('access-control-allow-origin', '*')
        return json(res, 200, { node: services.options.publicUrl, endpoints: await options.endpoints() })
    }
    if (room !== null) {
      let name: string
      try {
        name = decodeURIComponent(room[1]!)
      } catch {
        return json(res, 400, { error: 'the room name in the path is not valid percent-encoding' })
      }
      const invalid = checkRoomName(name)
      if (invalid !== undefined) return json(res, 400, { error: invalid })
      const asker = await whoAsks(req, res, url)
      if (asker === undefined) return
      if (!roomAllowed(asker.rooms, name)) {
        services.counters.authRefused++
        return json(res, 403, { error: `${asker.user} may not ${room[2] === 'messages' ? 'post in' : 'read'} room ${JSON.stringify(name)}` })
      }
      if (room[2] === 'messages') return posts.answer(req, res, name, asker.user)
      if (room[2] === 'history') return json(res, 200, { room: name, messages: await historyOf(services, name, groupsKnown) })
      return json(res, 200, { room: name, users: services.presence?.users(name) ?? [] })
    }
    return send(res, 404, 'not found: try /, /ws, /cluster, /endpoints, /rooms/<room>/history, /rooms/<room>/presence, POST /rooms/<room>/messages, /rooms, /livez, /readyz, /metrics or /observer\n')
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      system.logger.error({ err }, 'chat HTTP request failed')
      if (!res.headersSent) send(res, 500, 'internal error\n')
      else res.destroy()
    })
  })
  const connections = limitConnections(server, {
    maxConnections: options.maxConnections ?? DEFAULT_CHAT_CONFIG.maxConnections,
    logger: system.logger,
    name: 'chat http',
  })
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    const url = new URL(req.url ?? '/', 'http://chat')
    if (url.pathname !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
      return
    }
    sockets.upgrade(req, socket, head, url)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  let closing: Promise<void> | undefined
  return {
    port: (server.address() as AddressInfo).port,
    server,
    connections,
    close() {
      stopWatchingNodes()
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}

/**
 * A room's history as this node serves it: its own copy, or, while it holds none yet or its room actor is still
 * waiting for a peer's (the node has just started or restarted), a peer room actor's, so a read right after a
 * restart is not an empty or partial history where the room has one. What it holds when no peer answers in a second.
 */
async function historyOf(services: ChatServices, room: string, groupsKnown: () => Promise<void>): Promise<ChatMessage[]> {
  const held = services.histories.get(room)
  if (held !== undefined && !services.filling.has(room)) return held.messages()
  // Which nodes hold the room is known once every connected node's group snapshot came.
  await groupsKnown()
  for (const peer of services.groups.members(roomGroup(room))) {
    if (peer.node === services.system.node) continue
    try {
      const messages = await services.system.call<unknown>(peer, { t: 'history' } satisfies RoomRequest, 1_000)
      if (Array.isArray(messages)) return messages as ChatMessage[]
    } catch {
      // The next peer, if any.
    }
  }
  return held?.messages() ?? []
}
