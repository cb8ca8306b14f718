/**
 * A cap on the connections a server (an app's HTTP port, the probe port) holds open at once, so that a flood of
 * sockets, idle or trickling their headers, costs the node a known number of descriptors instead of all it has.
 * Past the cap Node closes each new socket as it is accepted (net.Server's `maxConnections`), before a byte is read
 * or an HTTP parser attached, so a refused connection holds nothing; the connections already open keep being served.
 * Refusals are counted, and logged once per burst rather than once per socket, because a flood would otherwise
 * become a flood of log lines.
 */
import type { Server, Socket } from 'node:net'
import type { Logger } from 'pino'
import { InvalidOptionError } from '@cohort/core'
import { silentLogger } from './internal/silent-logger.ts'

/** Options of limitConnections. */
export interface ConnectionLimitOptions {
  /** Connections held open at once; the next one is closed as soon as it is accepted. @default 10000 */
  maxConnections?: number
  /** Where the first refusal of each burst is logged (warn). @default silent */
  logger?: Logger
  /** Names the server in the log line, e.g. "chat http". @default 'http' */
  name?: string
}

/** The defaults of ConnectionLimitOptions. */
export const DEFAULT_CONNECTION_LIMIT_OPTIONS: Readonly<{ maxConnections: number; name: string }> = Object.freeze({
  maxConnections: 10_000,
  name: 'http',
})

/** A server's connection cap and what it has done. */
export interface ConnectionLimit {
  readonly maxConnections: number
  /** Connections open now. */
  readonly open: number
  /** Connections closed on arrival since the cap was set, because `maxConnections` were open. */
  readonly refused: number
}

/**
 * Caps the connections `server` holds open at once. Call it before the server listens.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) when `maxConnections` is not a whole number of at least 1
 * @example const limit = limitConnections(server, { maxConnections: 5000, logger, name: 'chat http' })
 */
export function limitConnections(server: Server, options: ConnectionLimitOptions = {}): ConnectionLimit {
  const maxConnections = options.maxConnections ?? DEFAULT_CONNECTION_LIMIT_OPTIONS.maxConnections
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new InvalidOptionError('maxConnections', maxConnections, 'a whole number of at least 1')
  }
  const logger = options.logger ?? silentLogger()
  const name = options.name ?? DEFAULT_CONNECTION_LIMIT_OPTIONS.name
  let open = 0
  let refused = 0
  let inBurst = false
  server.maxConnections = maxConnections
  server.on('connection', (socket: Socket) => {
    open++
    socket.once('close', () => {
      open--
      // The burst is over once there is room again: the next refusal is news worth a line.
      if (open < maxConnections) inBurst = false
    })
  })
  server.on('drop', () => {
    refused++
    if (inBurst) return
    inBurst = true
    logger.warn({ server: name, maxConnections }, `${name} connection refused: ${maxConnections} connections are open`)
  })
  return {
    maxConnections,
    get open() {
      return open
    },
    get refused() {
      return refused
    },
  }
}
