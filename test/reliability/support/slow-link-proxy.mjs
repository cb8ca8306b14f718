/**
 * A slow link for tests, since `tc netem` is not available: a TCP proxy that delays every chunk by `delayMs` and
 * passes at most `bytesPerSecond` in each direction, holding at most `queueBytes` per direction before it stops
 * reading (as a router's small queue would), so that what does not fit stays in the sender's socket and the sender
 * feels it. Reports `{ type: 'ready', port }` over IPC.
 */
import { connect, createServer } from 'node:net'

const { listenHost, targetHost, targetPort, delayMs, bytesPerSecond, queueBytes = 256 * 1024 } = JSON.parse(process.argv[2])

/** Pipes `from` into `to` through a delaying, throttling queue. */
function slowPipe(from, to) {
  const queue = []
  let queued = 0
  let nextFreeAt = Date.now()
  let timer = null
  const pump = () => {
    timer = null
    const now = Date.now()
    while (queue.length > 0 && queue[0].at <= now) {
      const { chunk } = queue.shift()
      queued -= chunk.length
      to.write(chunk)
    }
    if (queued < queueBytes && from.isPaused()) from.resume()
    if (queue.length > 0) timer = setTimeout(pump, Math.max(1, queue[0].at - now))
  }
  from.on('data', (chunk) => {
    const now = Date.now()
    // The chunk leaves once the link has carried what came before it, and arrives delayMs later.
    nextFreeAt = Math.max(nextFreeAt, now) + (chunk.length * 1000) / bytesPerSecond
    queue.push({ chunk, at: nextFreeAt + delayMs })
    queued += chunk.length
    if (queued >= queueBytes) from.pause()
    if (timer === null) timer = setTimeout(pump, Math.max(1, queue[0].at - now))
  })
  from.on('end', () => to.end())
  from.on('error', () => to.destroy())
}

const server = createServer((client) => {
  const upstream = connect(targetPort, targetHost)
  slowPipe(client, upstream)
  slowPipe(upstream, client)
  upstream.on('error', () => client.destroy())
  client.on('error', () => upstream.destroy())
  upstream.on('close', () => client.destroy())
  client.on('close', () => upstream.destroy())
})
server.listen(0, listenHost, () => process.send?.({ type: 'ready', port: server.address().port }))
process.on('disconnect', () => process.exit(0))
