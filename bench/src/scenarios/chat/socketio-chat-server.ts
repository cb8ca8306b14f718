/**
 * The baseline chat server: the minimal socket.io 4 chat that teams run across Node processes today, with
 * `@socket.io/redis-adapter` over a real redis-server so that a room's broadcast reaches the sockets of every server.
 * Same protocol semantics as apps/chat: a client joins one room (query `room`, `user`), says a text, and every client
 * of the room, the sender included, receives the message object apps/chat sends (`type`, `room`, `user`, `text`,
 * `at`, `id`, `node`); a text over 4 KiB is refused. It keeps no history and no presence, which only favours it.
 *
 * Started by the chat scenario with PORT and REDIS_URL; prints `{"type":"ready","port":N}` once it listens.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdapter } from '@socket.io/redis-adapter'
import { createClient } from 'redis'
import { Server } from 'socket.io'

const TEXT_LIMIT_BYTES = 4096

const pub = createClient({ url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379' })
const sub = pub.duplicate()
await Promise.all([pub.connect(), sub.connect()])
const http = createServer()
const io = new Server(http, { adapter: createAdapter(pub, sub), transports: ['websocket'], serveClient: false })
const node = `socketio-${process.pid}`
let seq = 0

io.on('connection', (socket) => {
  const room = String(socket.handshake.query['room'] ?? '')
  const user = String(socket.handshake.query['user'] ?? '')
  void socket.join(room)
  socket.on('say', (text: unknown) => {
    if (typeof text !== 'string' || text === '' || Buffer.byteLength(text) > TEXT_LIMIT_BYTES) {
      socket.emit('failure', { type: 'error', reason: 'text must be a non-empty string of at most 4096 bytes' })
      return
    }
    io.to(room).emit('message', { type: 'message', room, user, text, at: Date.now(), id: `${node}~${++seq}`, node })
  })
})

http.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ type: 'ready', port: (http.address() as AddressInfo).port })}\n`)
})
// Ends with the scenario that started it, even one killed on a timeout.
process.on('disconnect', () => process.exit(0))
process.on('SIGTERM', () => {
  void io.close()
  void Promise.allSettled([pub.quit(), sub.quit()]).then(() => process.exit(0))
})
