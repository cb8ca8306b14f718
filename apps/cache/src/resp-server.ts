/**
 * The RESP2 listener: one TCP server, one parser, writer and session per connection. Commands run synchronously
 * against the local replica in the order they arrived; the replies to everything one received chunk held leave as
 * one write, so pipelining costs one syscall per batch, not per command. WAIT is the one command that blocks: its
 * connection (only) runs nothing more until its reply is known (`CommandSession.blocked`), then goes on.
 *
 * Bad input stays with its connection: an unknown command or a wrong argument gets a `-ERR` reply and the connection
 * goes on; bytes that are not RESP or a request past the size limit get a `-ERR` reply and that connection (only) is
 * closed, since the stream cannot be read further. A client that pipelines without reading its replies is paused
 * once `maxPendingReplyBytes` wait unsent, and resumed when its socket drains. Past `maxClients` open connections a
 * new one gets Redis's own `-ERR max number of clients reached` and is closed, so a flood of idle or half-sent
 * connections holds at most that many descriptors and their buffers, whatever the machine's descriptor limit.
 *
 * Commands run in batches (ready-connections.ts): a received chunk only marks its connection ready, and every ready
 * connection runs in one callback right after the event loop's poll phase (`setImmediate`, before any timer), then
 * every one's replies are written. So the writes of the fifty clients whose requests arrived together are applied in
 * one synchronous run, and the replicated map sends them to each peer as one delta instead of fifty, the way Redis
 * serves every ready client in one event-loop iteration; that delta is written before the replies
 * (ready-connections.ts). A connection's commands still run in the order they arrived, so a client reads its own
 * writes.
 *
 * Hot path: `onData`, `run` and `reply` run for every received chunk. `GET key` and a plain `SET key value` run from
 * the parser's offsets (get-set-fast-path.ts); every other command gets its arguments as Buffers and the command
 * table.
 */
import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import type { Buffer } from 'node:buffer'
import type { Logger } from 'pino'
import type { CacheMap } from './cache-map.ts'
import { CommandSession } from './command-session.ts'
import type { ServerFacts } from './command-session.ts'
import { executeCommand } from './command-table.ts'
import { runGetOrSet } from './get-set-fast-path.ts'
import { CacheError } from './errors.ts'
import { ReadyConnections } from './ready-connections.ts'
import type { ReadyConnection } from './ready-connections.ts'
import { RespParser } from './resp-parser.ts'
import type { RespLimits } from './resp-parser.ts'
import { RespWriter } from './resp-writer.ts'
import type { MemoryLimit } from './memory-limit.ts'
import type { Password } from './password.ts'

/** Options of startRespServer. */
export interface RespServerOptions {
  /** The replicated map the commands read and write. */
  map: CacheMap
  /** Port; 0 picks a free one. */
  port: number
  /** @default '127.0.0.1' */
  host?: string
  /** The clock the map's TTLs use (`system.clock.now`). */
  now: () => number
  /** This node's name, for INFO. */
  nodeName: string
  /** Request size limits. @default DEFAULT_RESP_LIMITS */
  limits?: RespLimits
  /**
   * Unsent reply bytes after which a connection stops being read until its socket drains.
   * @default 4_194_304 (4 MiB) — a pipelining client that never reads cannot grow the node's memory without bound
   */
  maxPendingReplyBytes?: number
  /**
   * Open connections past which a new one is refused with `-ERR max number of clients reached` and closed.
   * @default 10_000 — Redis's `maxclients` default
   */
  maxClients?: number
  /** The cache's version for INFO. @default '0.1.0' */
  version?: string
  /** What AUTH must present before a connection runs any other command (`CACHE_PASSWORD`). @default none: no AUTH */
  password?: Password
  /**
   * `CACHE_MAX_MEMORY`: past it, commands that add data get `-OOM command not allowed when used memory > 'maxmemory'.`
   * @default none: no limit
   */
  memoryLimit?: MemoryLimit
  /**
   * True while the node does not hold its peers' data yet: commands without Redis's `loading` flag (GET, SET, PING…)
   * get `-LOADING …` and INFO says `loading:1`, as Redis while it reads its data set at start.
   * @default none: never loading
   */
  loading?: () => boolean
  logger: Logger
}

/** The defaults of RespServerOptions. */
export const DEFAULT_RESP_SERVER_OPTIONS: Readonly<{ host: string; maxPendingReplyBytes: number; maxClients: number; version: string }> = Object.freeze({
  host: '127.0.0.1',
  maxPendingReplyBytes: 4 * 1024 * 1024,
  maxClients: 10_000,
  version: '0.1.0',
})

/** A listening RESP server. */
export interface RespServer extends AsyncDisposable {
  readonly port: number
  readonly host: string
  /** Open connections. */
  readonly connections: number
  /** Commands processed since start. */
  readonly commandsProcessed: number
  /** Connections refused since start because `maxClients` were open. */
  readonly refusedClients: number
  /** Stops accepting connections (open ones go on until close). */
  stopAccepting(): void
  /** Stops listening and closes every connection. Idempotent. */
  close(): Promise<void>
}

/** Starts listening; resolves once bound. */
export async function startRespServer(options: RespServerOptions): Promise<RespServer> {
  const host = options.host ?? DEFAULT_RESP_SERVER_OPTIONS.host
  const maxPending = options.maxPendingReplyBytes ?? DEFAULT_RESP_SERVER_OPTIONS.maxPendingReplyBytes
  const maxClients = options.maxClients ?? DEFAULT_RESP_SERVER_OPTIONS.maxClients
  if (!Number.isInteger(maxClients) || maxClients < 1) throw new RangeError(`maxClients must be a whole number of at least 1, got ${maxClients}`)
  // Logged once per time the server fills up, not once per refused socket: a flood must not become a log flood.
  let full = false
  let refusedClients = 0
  const logger = options.logger
  const sockets = new Set<Socket>()
  const refusing = new Set<Socket>()
  let nextId = 1
  let finishedCommands = 0
  const sessions = new Set<CommandSession>()
  let port = 0
  const ready = new ReadyConnections(() => options.map.flush())
  const facts: ServerFacts = {
    nodeName: options.nodeName,
    version: options.version ?? DEFAULT_RESP_SERVER_OPTIONS.version,
    startedAt: options.now(),
    get port() {
      return port
    },
    connectedClients: () => sockets.size,
    totalCommands: () => {
      let n = finishedCommands
      for (const s of sessions) n += s.commandsProcessed
      return n
    },
    memory: () => {
      const m = process.memoryUsage()
      return { rss: m.rss, heapUsed: m.heapUsed }
    },
    password: options.password,
    memoryLimit: options.memoryLimit,
    loading: options.loading,
  }

  const server: Server = createServer((socket) => {
    if (sockets.size >= maxClients) {
      refusedClients++
      if (!full) logger.warn({ maxClients }, 'resp connection refused: max number of clients reached')
      full = true
      // Kept until closed, so that close() can end a refusal the client never acknowledged.
      refusing.add(socket)
      socket.on('close', () => refusing.delete(socket))
      socket.on('error', (err) => logger.debug({ err }, 'refused resp connection error'))
      socket.end('-ERR max number of clients reached\r\n')
      // Read and drop what it sends: a socket nobody reads never sees the client's FIN and would never close.
      socket.resume()
      return
    }
    socket.setNoDelay(true)
    sockets.add(socket)
    const session = new CommandSession(options.map, options.now, facts, nextId++)
    sessions.add(session)
    const parser = new RespParser(options.limits)
    const out = new RespWriter()
    let closed = false

    const flush = (): void => {
      const parts = out.take()
      if (parts.length === 1) socket.write(parts[0]!)
      else if (parts.length > 1) {
        socket.cork()
        for (const part of parts) socket.write(part)
        socket.uncork()
      }
    }

    const run = (): void => {
      if (closed || session.blocked !== undefined) return
      try {
        for (let argc = parser.parse(); argc !== 0; argc = parser.parse()) {
          try {
            if (!runGetOrSet(argc, parser, session, out)) executeCommand(parser.args(argc), session, out)
          } catch (err) {
            // A handler bug must not take the connection or the node with it; the client learns the command failed.
            logger.error({ err }, 'resp command failed')
            out.error(`ERR internal error: ${err instanceof Error ? err.message : String(err)}`)
          }
          if (session.closeRequested) break
          if (session.blocked !== undefined) {
            unblockWhenSettled(session.blocked)
            break
          }
        }
      } catch (err) {
        if (err instanceof CacheError) {
          logger.warn({ err, conn: session.id }, 'resp connection closed for bad input')
          out.error(`ERR ${err.message}`)
        } else {
          // Not the client's fault and not expected: this connection ends, the node and the others go on.
          logger.error({ err, conn: session.id }, 'resp connection failed')
          out.error('ERR internal error')
        }
        closed = true
      }
    }

    const reply = (): void => {
      flush()
      if (closed || session.closeRequested) {
        closed = true
        socket.end()
        return
      }
      if (socket.writableLength > maxPending && !socket.isPaused()) {
        socket.pause()
        socket.once('drain', () => socket.resume())
      }
    }

    /** A blocking command's reply, once settled, goes after the replies before it; then the commands behind it run. */
    const unblockWhenSettled = (blocked: Promise<(o: RespWriter) => void>): void => {
      void blocked.then(
        (write) => {
          session.blocked = undefined
          if (closed) return
          write(out)
          ready.add(connection)
        },
        (err: unknown) => {
          session.blocked = undefined
          if (closed) return
          logger.error({ err, conn: session.id }, 'resp blocking command failed')
          out.error(`ERR internal error: ${err instanceof Error ? err.message : String(err)}`)
          ready.add(connection)
        },
      )
    }

    const connection: ReadyConnection = { run, reply }
    const onData = (chunk: Buffer): void => {
      if (closed) return
      parser.push(chunk)
      ready.add(connection)
    }

    socket.on('data', onData)
    socket.on('error', (err) => logger.debug({ err, conn: session.id }, 'resp connection error'))
    socket.on('close', () => {
      // A blocked command that settles later has no one to answer.
      closed = true
      sockets.delete(socket)
      if (sockets.size < maxClients) full = false
      sessions.delete(session)
      finishedCommands += session.commandsProcessed
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as AddressInfo).port
  logger.info({ port, host }, 'resp server listening')

  let closing: Promise<void> | undefined
  const resp: RespServer = {
    port,
    host,
    get connections() {
      return sockets.size
    },
    get commandsProcessed() {
      return facts.totalCommands()
    },
    get refusedClients() {
      return refusedClients
    },
    stopAccepting() {
      if (server.listening) server.close()
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (server.listening) server.close(() => resolve())
        else resolve()
        for (const socket of sockets) socket.destroy()
        for (const socket of refusing) socket.destroy()
      })
      return closing
    },
    [Symbol.asyncDispose]() {
      return resp.close()
    },
  }
  return resp
}
