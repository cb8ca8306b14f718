/**
 * The node's listening side: one HTTP(S) server with one `ws` WebSocketServer on it. Plain HTTP requests get 426;
 * failed TLS handshakes and bad upgrade requests are logged and dropped; upgraded sockets go to the node.
 * Gotchas: `headersTimeout` bounds how long a socket may take to send its upgrade request; the transport's own
 * handshake deadline starts once it is a WebSocket.
 */
import { createServer as createHttpServer } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'
import { AddressInUseError } from '../errors.ts'
import type { ResolvedNodeOptions } from './node-options.ts'
import { serverTlsOptions } from './tls-options.ts'
import { MAX_FRAME_BYTES } from '../wire/wire-codec.ts'

/** A bound server. */
export interface NodeServer {
  readonly port: number
  /** Stops listening and resolves once every socket has closed. */
  close(): Promise<void>
}

export interface NodeServerHooks {
  /** A WebSocket was upgraded. */
  connection(ws: WebSocket, req: IncomingMessage): void
  /** A TLS handshake failed (a peer without a certificate the CA signed, say). */
  tlsFailure(): void
}

/** Listens on `o.host:o.port` and resolves once bound. @throws AddressInUseError (COHORT_ERR_ADDRESS_IN_USE), or the listen error */
export async function listenNodeServer(o: ResolvedNodeOptions, log: Logger, hooks: NodeServerHooks): Promise<NodeServer> {
  // Sockets that never send a complete upgrade request are checked for this often (Node's default is 30 s).
  const http = { connectionsCheckingInterval: Math.min(o.handshakeTimeoutMs, 1000) }
  const server: Server = o.tls === undefined ? createHttpServer(http) : createHttpsServer({ ...http, ...serverTlsOptions(o.tls) })
  // A socket that never finishes its upgrade request is dropped as a handshake that never finishes would be.
  server.headersTimeout = o.handshakeTimeoutMs
  server.requestTimeout = o.handshakeTimeoutMs
  server.on('request', (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('cohort node: WebSocket only\n')
  })
  server.on('tlsClientError', (err: Error, socket: { remoteAddress?: string; remotePort?: number }) => {
    hooks.tlsFailure()
    log.warn({ peer: `${socket.remoteAddress}:${socket.remotePort}`, reason: err.message }, 'tls handshake failed')
  })
  const wss = new WebSocketServer({ server, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false })
  wss.on('connection', (ws, req) => hooks.connection(ws, req))
  wss.on('error', (err) => log.error({ err }, 'websocket server error'))
  wss.on('wsClientError', (err, socket) => {
    log.debug({ peer: (socket as { remoteAddress?: string }).remoteAddress, reason: err.message }, 'bad websocket upgrade request')
    socket.destroy()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new AddressInUseError(o.host, o.port, { cause: error }) : error),
    )
    server.listen(o.port, o.host, () => {
      server.removeAllListeners('error')
      resolve()
    })
  })
  server.on('error', (err) => log.error({ err }, 'server error'))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        wss.close()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** The URL peers dial: the explicit one, else the host of the node's name and the bound port. */
export function advertisedUrl(o: ResolvedNodeOptions, port: number): string {
  if (o.url !== undefined) return o.url
  const host = o.nameHost.includes(':') && !o.nameHost.startsWith('[') ? `[${o.nameHost}]` : o.nameHost
  return `${o.tls === undefined ? 'ws' : 'wss'}://${host}:${port}`
}
