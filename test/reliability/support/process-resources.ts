/**
 * What another process of this machine holds, read from /proc: its open file descriptors and its resident memory.
 * The app suites measure their node processes from the outside with it, as an operator's monitoring would, so the
 * apps need no test hook. Also raw TCP clients for those suites: a socket that sends bytes and collects the reply,
 * and sockets held open on purpose (half-open floods), all destroyed after each test.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { afterEach } from 'vitest'

/** Open descriptors and resident memory of process `pid`. */
export interface ProcessResources {
  fds: number
  rssMiB: number
}

/** Reads process `pid`'s descriptors and RSS now. */
export function resourcesOf(pid: number): ProcessResources {
  const fds = readdirSync(`/proc/${pid}/fd`).length
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? Number.NaN)
  return { fds, rssMiB: +(kib / 1024).toFixed(1) }
}

const open = new Set<Socket>()
afterEach(() => {
  for (const s of open) s.destroy()
  open.clear()
})

/** A connected TCP socket to `host:port`, destroyed after the test. */
export async function tcp(port: number, host = '127.0.0.1'): Promise<Socket> {
  const socket = connect(port, host)
  open.add(socket)
  socket.on('error', () => undefined)
  socket.once('close', () => open.delete(socket))
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('error', reject)
  })
  return socket
}

/** What the server answered to a raw request, and whether it closed the connection. */
export interface RawReply {
  reply: string
  closedByServer: boolean
}

/**
 * Sends `bytes` on a new connection and collects what comes back until the server closes it, or (when the server
 * keeps it open) until the reply contains `until`.
 */
export async function rawExchange(port: number, bytes: string | Buffer, until?: string, host = '127.0.0.1'): Promise<RawReply> {
  const socket = await tcp(port, host)
  return new Promise((resolve) => {
    let reply = ''
    let done = false
    const finish = (closedByServer: boolean): void => {
      if (done) return
      done = true
      if (!closedByServer) socket.destroy()
      resolve({ reply, closedByServer })
    }
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1')
      if (until !== undefined && reply.includes(until)) finish(false)
    })
    socket.once('close', () => finish(true))
    socket.write(bytes)
  })
}

/** Opens `count` connections and writes `bytes` on each, leaving them open: a half-open flood. */
export async function holdOpen(count: number, port: number, bytes: string | Buffer, host = '127.0.0.1'): Promise<Socket[]> {
  const sockets: Socket[] = []
  // In batches, so the flood does not wait on the listen backlog all at once.
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => tcp(port, host)))
    for (const s of batch) s.write(bytes)
    sockets.push(...batch)
  }
  return sockets
}

/** A flood against a connection cap: the sockets the server took, and those it closed unanswered on arrival. */
export interface CappedFlood {
  held: Socket[]
  dropped: number
}

/**
 * Opens `count` connections and writes `bytes` on each, then waits until the server has closed at least `atLeast`
 * of them without answering a byte (the ones past its cap); the rest stay open.
 */
export async function floodPastCap(count: number, atLeast: number, port: number, bytes: string | Buffer, host = '127.0.0.1'): Promise<CappedFlood> {
  let dropped = 0
  let enough: () => void = () => undefined
  const reached = new Promise<void>((resolve) => (enough = resolve))
  const sockets = await holdOpen(count, port, bytes, host)
  const closedUnanswered = new Set<Socket>()
  for (const socket of sockets) {
    let answered = false
    socket.on('data', () => (answered = true))
    const onClose = (): void => {
      if (answered) return
      closedUnanswered.add(socket)
      if (++dropped >= atLeast) enough()
    }
    if (socket.destroyed) onClose()
    else socket.once('close', onClose)
  }
  await reached
  return { held: sockets.filter((s) => !closedUnanswered.has(s)), dropped }
}

/** Destroys `sockets` and resolves once every one of them has closed. */
export async function closeAll(sockets: readonly Socket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.destroyed) return resolve()
          s.once('close', () => resolve())
          s.destroy()
        }),
    ),
  )
}

/**
 * A raw socket upgraded to a WebSocket at `path` by hand; resolves once the server's 101 has arrived (whatever it
 * sends afterwards is ignored), or with the HTTP answer that refused the upgrade.
 */
export async function upgradedSocket(port: number, path: string, host = '127.0.0.1'): Promise<{ socket: Socket; head: string }> {
  const socket = await tcp(port, host)
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  )
  const head = await new Promise<string>((resolve) => {
    let text = ''
    const onData = (d: Buffer): void => {
      text += d.toString('latin1')
      if (!text.includes('\r\n\r\n')) return
      socket.off('data', onData)
      resolve(text.slice(0, text.indexOf('\r\n\r\n')))
    }
    socket.on('data', onData)
    socket.once('close', () => resolve(text))
  })
  // Keep reading (and dropping) what the server sends, so its writes never stall on this socket.
  socket.resume()
  return { socket, head }
}

/** The header of a masked client frame (zero key) of `opcode` announcing `length` payload bytes. */
export function clientFrameHeader(length: number, opcode = 0x2): Buffer {
  const b = Buffer.alloc(14)
  b[0] = 0x80 | opcode
  b[1] = 0x80 | 127
  b.writeBigUInt64BE(BigInt(length), 2)
  return b
}
