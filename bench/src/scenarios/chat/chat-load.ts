/**
 * The chat load generator, one process for both sides: many WebSocket clients (the `ws` package for both, speaking
 * apps/chat's JSON protocol or socket.io's Engine.IO framing over the same socket), in rooms of a fixed size whose
 * members are spread over the three servers. It runs a closed loop (each client keeps a few of its own messages in
 * flight: the most the servers deliver) and open loops (sends on a fixed schedule; every latency is measured from
 * the intended send time, so a stalled generator or server counts against the figure). It counts every delivery,
 * so a lost message shows, and reads its own CPU and send lag so a generator-bound figure shows too.
 *
 * Both sides are held to one definition: a delivery is a message frame a client receives (the sender's own copy
 * included); latency is from a message's intended send time to its receipt by a client connected to another server.
 */
import hdr from 'hdr-histogram-js'
import { WebSocket } from 'ws'

/** How a side's protocol looks on the socket. */
interface Dialect {
  url(base: string, room: string, user: string): string
  say(text: string): string
  /** Handles a control frame (handshake, ping); returns true once the client may send. */
  control(data: string, socket: WebSocket): boolean | undefined
}

const COHORT: Dialect = {
  url: (base, room, user) => `${base}/ws?room=${encodeURIComponent(room)}&user=${encodeURIComponent(user)}`,
  say: (text) => `{"type":"say","text":${JSON.stringify(text)}}`,
  control: (data) => (data.startsWith('{"type":"history"') ? true : undefined),
}

/** socket.io 4 over a bare WebSocket: Engine.IO open `0{…}`, then `40` connects the namespace, `2` is a ping. */
const SOCKET_IO: Dialect = {
  url: (base, room, user) => `${base}/socket.io/?EIO=4&transport=websocket&room=${encodeURIComponent(room)}&user=${encodeURIComponent(user)}`,
  say: (text) => `42["say",${JSON.stringify(text)}]`,
  control: (data, socket) => {
    if (data === '2') socket.send('3')
    else if (data.startsWith('0{')) socket.send('40')
    else if (data.startsWith('40')) return true
    return undefined
  },
}

/** A chat text carrying its sender, sequence and intended send time, padded to a typical chat line's length. */
const TEXT_BYTES = 100
const PAD = '.'.repeat(TEXT_BYTES)

/** One generator client. */
interface Client {
  readonly index: number
  readonly server: number
  readonly room: number
  readonly socket: WebSocket
  /** Own messages sent and not yet received back (closed loop). */
  inflight: number
}

/** What one measured stretch produced. */
export interface Stretch {
  /** Deliveries per second. */
  delivered: number
  p50Us: number
  p99Us: number
  p999Us: number
  /** p99 of (actual send − intended send): the generator's own delay. */
  sendLagP99Us: number
  /** The generator's CPU over the stretch, in vCPUs. */
  generatorCpu: number
  /** The CPU of the other processes over the stretch (servers, redis), in vCPUs, by the probe's name. */
  cpu: Record<string, number>
}

/** The clients of one side, and the counters of the running phase. */
export class ChatLoad {
  readonly clients: Client[] = []
  readonly roomSize: number
  #dialect: Dialect
  #sent = 0
  #delivered = 0
  #expected = 0
  #histogram = newHistogram()
  #lag = newHistogram()
  #measuring = false
  #closedLoop = false
  #window = 0
  #seq = 0

  readonly #cpuProbes: Record<string, () => number>

  private constructor(dialect: Dialect, roomSize: number, cpuProbes: Record<string, () => number>) {
    this.#dialect = dialect
    this.roomSize = roomSize
    this.#cpuProbes = cpuProbes
  }

  /** Connects `clients` clients in rooms of `roomSize`, member j of room r on server (r·size + j) mod servers. */
  static async connect(
    side: 'cohort' | 'socketio',
    bases: string[],
    clients: number,
    roomSize: number,
    cpuProbes: Record<string, () => number>,
  ): Promise<ChatLoad> {
    const load = new ChatLoad(side === 'cohort' ? COHORT : SOCKET_IO, roomSize, cpuProbes)
    const ready: Promise<void>[] = []
    for (let i = 0; i < clients; i++) {
      const room = Math.floor(i / roomSize)
      const server = i % bases.length
      const socket = new WebSocket(load.#dialect.url(bases[server]!, `room${room}`, `u${i}`), { perMessageDeflate: false })
      const client: Client = { index: i, server, room, socket, inflight: 0 }
      load.clients.push(client)
      ready.push(
        new Promise<void>((resolve, reject) => {
          let open = false
          socket.on('error', reject)
          socket.on('message', (raw: Buffer) => {
            const data = raw.toString()
            if (!open) {
              if (load.#dialect.control(data, socket) === true) {
                open = true
                resolve()
              }
              return
            }
            const at = data.indexOf('"text":"')
            if (at < 0) {
              load.#dialect.control(data, socket)
              return
            }
            load.#receive(client, data, at + 8)
          })
        }),
      )
    }
    await Promise.all(ready)
    return load
  }

  /** Sends probe rounds until one reaches every client of every room: then every server knows every other. */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      this.#reset()
      for (const c of this.clients) this.#say(c, performance.now())
      const round = Date.now() + 1000
      while (this.#delivered < this.#expected && Date.now() < round) await pause(20)
      if (this.#delivered >= this.#expected) {
        // Stragglers of earlier rounds must not count in the next phase.
        await pause(200)
        return
      }
      if (Date.now() > deadline) throw new Error(`the servers did not deliver a probe round to every client within ${timeoutMs} ms`)
    }
  }

  /**
   * The closed loop: every client keeps `window` own messages in flight. Returns one stretch per trial after the
   * warm-up, and the messages lost (counted once every reply is in, or after `drainMs`).
   */
  async saturate(window: number, warmupMs: number, trialMs: number, trials: number, drainMs: number): Promise<{ stretches: Stretch[]; lost: number }> {
    this.#reset()
    this.#closedLoop = true
    this.#window = window
    for (const c of this.clients) for (let k = 0; k < window; k++) this.#sayOwn(c)
    const stretches = await this.#measure(warmupMs, trialMs, trials)
    this.#closedLoop = false
    return { stretches, lost: await this.#drain(drainMs) }
  }

  /** The open loop at `deliveredPerSecond` (sends of `deliveredPerSecond / roomSize` per second, round robin). */
  async offer(deliveredPerSecond: number, warmupMs: number, trialMs: number, trials: number, drainMs: number): Promise<{ stretches: Stretch[]; lost: number }> {
    this.#reset()
    const sendsPerMs = deliveredPerSecond / this.roomSize / 1000
    const started = performance.now()
    let running = true
    let sent = 0
    const tick = (): void => {
      if (!running) return
      const due = Math.floor((performance.now() - started) * sendsPerMs)
      for (; sent < due; sent++) {
        const intended = started + sent / sendsPerMs
        this.#say(this.clients[sent % this.clients.length]!, intended)
      }
      setTimeout(tick, 1)
    }
    tick()
    const stretches = await this.#measure(warmupMs, trialMs, trials)
    running = false
    return { stretches, lost: await this.#drain(drainMs) }
  }

  async close(): Promise<void> {
    await Promise.all(
      this.clients.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.socket.readyState === WebSocket.CLOSED) return resolve()
            c.socket.once('close', () => resolve())
            c.socket.terminate()
          }),
      ),
    )
  }

  async #measure(warmupMs: number, trialMs: number, trials: number): Promise<Stretch[]> {
    await pause(warmupMs)
    const stretches: Stretch[] = []
    for (let t = 0; t < trials; t++) {
      this.#histogram.reset()
      this.#lag.reset()
      this.#measuring = true
      const fromDelivered = this.#delivered
      const fromCpu = process.cpuUsage()
      const fromProbes = Object.entries(this.#cpuProbes).map(([name, probe]) => [name, probe()] as const)
      const from = performance.now()
      await pause(trialMs)
      const seconds = (performance.now() - from) / 1000
      const cpu = process.cpuUsage(fromCpu)
      const others = Object.fromEntries(fromProbes.map(([name, start]) => [name, Math.round(((this.#cpuProbes[name]!() - start) / seconds) * 100) / 100]))
      this.#measuring = false
      stretches.push({
        delivered: (this.#delivered - fromDelivered) / seconds,
        p50Us: this.#histogram.getValueAtPercentile(50),
        p99Us: this.#histogram.getValueAtPercentile(99),
        p999Us: this.#histogram.getValueAtPercentile(99.9),
        sendLagP99Us: this.#lag.getValueAtPercentile(99),
        generatorCpu: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100) / 100,
        cpu: others,
      })
    }
    return stretches
  }

  /** Waits until every expected delivery arrived, or `drainMs`; returns how many did not. */
  async #drain(drainMs: number): Promise<number> {
    const deadline = Date.now() + drainMs
    while (this.#delivered < this.#expected && Date.now() < deadline) await pause(20)
    return Math.max(0, this.#expected - this.#delivered)
  }

  #reset(): void {
    this.#sent = 0
    this.#delivered = 0
    this.#expected = 0
    this.#measuring = false
    for (const c of this.clients) c.inflight = 0
  }

  #sayOwn(client: Client): void {
    client.inflight++
    this.#say(client, performance.now())
  }

  #say(client: Client, intendedMs: number): void {
    const now = performance.now()
    if (this.#measuring) this.#lag.recordValue(Math.max(1, Math.round((now - intendedMs) * 1000)))
    const body = `${client.index}|${++this.#seq}|${intendedMs.toFixed(3)}|`
    client.socket.send(this.#dialect.say(body + PAD.slice(body.length)))
    this.#sent++
    this.#expected += this.roomSize
  }

  #receive(client: Client, data: string, from: number): void {
    this.#delivered++
    const bar1 = data.indexOf('|', from)
    const bar2 = data.indexOf('|', bar1 + 1)
    const bar3 = data.indexOf('|', bar2 + 1)
    const sender = this.clients[Number(data.slice(from, bar1))]
    if (sender === undefined) return
    if (this.#measuring && sender.server !== client.server) {
      const latencyUs = Math.round((performance.now() - Number(data.slice(bar2 + 1, bar3))) * 1000)
      this.#histogram.recordValue(Math.max(1, latencyUs))
    }
    if (this.#closedLoop && sender === client) {
      client.inflight--
      while (client.inflight < this.#window) this.#sayOwn(client)
    }
  }
}

function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 })
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
