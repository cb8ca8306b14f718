/**
 * Consecutive free TCP ports on 127.0.0.1, for the suites whose nodes must know each other's ports before they start
 * (the localPorts discovery takes a range). Everything else listens on port 0 and reports the port it got.
 *
 * A port found free can still be taken before the node binds it. The search stays below the kernel's ephemeral range
 * (net.ipv4.ip_local_port_range), where the outgoing connections of every other test pick their local ports, so the
 * only competitors left are other listeners, and it starts at a random place so that parallel runs rarely meet.
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** The first port of the kernel's ephemeral range (32768 when it cannot be read). */
function ephemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)
    const n = Number(low)
    return Number.isInteger(n) && n > 20_000 ? n : 32_768
  } catch {
    return 32_768
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** `count` consecutive ports on 127.0.0.1 that nothing listens on now, below the ephemeral range. */
export async function freePortRange(count: number): Promise<number[]> {
  const high = ephemeralStart() - count
  const low = 20_000
  const first = low + Math.floor(Math.random() * (high - low))
  for (let tried = 0; tried < high - low; tried += count) {
    const base = low + ((first - low + tried) % (high - low))
    const ports = Array.from({ length: count }, (_, i) => base + i)
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return ports
  }
  throw new Error(`no ${count} consecutive free ports on 127.0.0.1 between ${low} and ${high}`)
}
