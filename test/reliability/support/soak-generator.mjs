/**
 * The load generator of the soak scenarios, a process of its own so its work does not share an event loop with the
 * test's sampling. Given `{ kind, targets, clients, intervalMs, durationMs, windowMs }` as its argument, it offers
 * steady load to the targets and reports over IPC, every `windowMs`, what it saw in that window: `{ type: 'window',
 * ops, errors, p50Ms, p99Ms, maxMs }`, then `{ type: 'done', ... }` with the totals.
 *
 * - `chat`: `clients` WebSocket clients spread over the targets' `/ws` in one room, each saying a numbered message
 *   every `intervalMs`. Every client checks every message it receives: per sender, numbers must follow each other
 *   (a gap or a reordering is an error); latency is from the sender's send to each delivery.
 * - `cache`: `clients` RESP connections spread over the targets, each doing SET then GET of its own key every
 *   `intervalMs`; a reply other than `+OK` and the value just written is an error; latency per request.
 *
 * A closed connection, an error frame or an error reply counts as an error; the scenario asserts there were none.
 */
import { connect } from 'node:net'
import { WebSocket } from 'ws'

const config = JSON.parse(process.argv[2] ?? '{}')
const { kind, targets, clients, intervalMs, durationMs, windowMs = 5000 } = config
const send = (m) => process.send?.(m)

let window = { ops: 0, errors: 0, latencies: [] }
const totals = { ops: 0, errors: 0, windows: 0, errorSamples: [] }
const error = (what) => {
  window.errors++
  totals.errors++
  if (totals.errorSamples.length < 10) totals.errorSamples.push(what)
}
const observe = (ms) => {
  window.ops++
  totals.ops++
  window.latencies.push(ms)
}
const percentile = (sorted, p) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))])
const flushWindow = () => {
  const sorted = window.latencies.sort((a, b) => a - b)
  send({ type: 'window', ops: window.ops, errors: window.errors, p50Ms: +percentile(sorted, 0.5).toFixed(2), p99Ms: +percentile(sorted, 0.99).toFixed(2), maxMs: +(sorted.at(-1) ?? 0).toFixed(2) })
  totals.windows++
  window = { ops: 0, errors: 0, latencies: [] }
}

const stops = []
let running = true

async function chat() {
  const sockets = []
  for (let i = 0; i < clients; i++) {
    const base = new URL('/ws', targets[i % targets.length])
    base.protocol = 'ws:'
    base.searchParams.set('room', 'soak')
    base.searchParams.set('user', `gen${i}`)
    const ws = new WebSocket(base)
    const last = new Map()
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString('utf8'))
      if (f.type === 'error') return error(`error frame ${f.code}`)
      if (f.type !== 'message') return
      const [sender, seq, at] = String(f.text).split(' ')
      const n = Number(seq)
      const prev = last.get(sender)
      if (prev !== undefined && n !== prev + 1) error(`client ${i} got ${sender} #${n} after #${prev}`)
      last.set(sender, n)
      observe(performance.timeOrigin + performance.now() - Number(at))
    })
    ws.on('close', (code) => {
      if (running) error(`client ${i} closed with ${code}`)
    })
    ws.on('error', (e) => error(`client ${i}: ${e.message}`))
    // Its session is in the room once the history arrives.
    await new Promise((resolve, reject) => {
      ws.on('message', function onFirst(data) {
        if (JSON.parse(data.toString('utf8')).type !== 'history') return
        ws.off('message', onFirst)
        resolve()
      })
      ws.once('error', reject)
    })
    sockets.push(ws)
  }
  // Every client must see every other's first message: start counting only once all are in the room.
  sockets.forEach((ws, i) => {
    let seq = 0
    const timer = setInterval(() => ws.send(JSON.stringify({ type: 'say', text: `gen${i} ${seq++} ${performance.timeOrigin + performance.now()}` })), intervalMs)
    stops.push(() => clearInterval(timer))
  })
  stops.push(() => {
    for (const ws of sockets) ws.close()
  })
}

async function cache() {
  for (let i = 0; i < clients; i++) {
    const { host, port } = targets[i % targets.length]
    const socket = connect(port, host)
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    socket.on('error', (e) => error(`connection ${i}: ${e.message}`))
    socket.on('close', () => {
      if (running) error(`connection ${i} closed`)
    })
    const pending = []
    let buffer = ''
    socket.on('data', (d) => {
      buffer += d.toString('latin1')
      for (;;) {
        const head = pending[0]
        if (head === undefined) return
        const end = buffer.indexOf('\r\n')
        if (end < 0) return
        let reply
        if (buffer[0] === '$') {
          const len = Number(buffer.slice(1, end))
          if (len < 0) {
            reply = null
            buffer = buffer.slice(end + 2)
          } else {
            if (buffer.length < end + 2 + len + 2) return
            reply = buffer.slice(end + 2, end + 2 + len)
            buffer = buffer.slice(end + 2 + len + 2)
          }
        } else {
          reply = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
        }
        pending.shift()
        if (reply !== head.expect) error(`connection ${i}: expected ${JSON.stringify(head.expect)}, got ${JSON.stringify(reply)}`)
        observe(performance.now() - head.at)
      }
    })
    let seq = 0
    const timer = setInterval(() => {
      const key = `soak:${i}`
      const value = `${i}:${seq++}:${'x'.repeat(100)}`
      const at = performance.now()
      pending.push({ expect: '+OK', at }, { expect: value, at })
      socket.write(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`)
    }, intervalMs)
    stops.push(() => {
      clearInterval(timer)
      socket.end()
    })
  }
}

await (kind === 'chat' ? chat() : cache())
send({ type: 'started' })
const windows = setInterval(flushWindow, windowMs)
setTimeout(() => {
  running = false
  clearInterval(windows)
  for (const stop of stops) stop()
  flushWindow()
  send({ type: 'done', ...totals })
  setTimeout(() => process.exit(0), 200)
}, durationMs)
process.on('disconnect', () => process.exit(0))
