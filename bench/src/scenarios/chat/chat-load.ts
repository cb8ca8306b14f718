/**
 * The chat load generator, one process for both sides: many WebSocket clients (generator-socket.ts for both, speaking
 * apps/chat's JSON protocol or socket.io's Engine.IO framing over the same kind of socket), in rooms of a fixed size whose
 * members are spread over the three servers. It runs a closed loop (each client keeps a few of its own messages in
 * flight: the most the servers deliver) and open loops (sends on a fixed schedule; every latency is measured from
 * the intended send time, so a stalled generator or server counts against the figure). It counts every delivery,
 * so a lost message shows, and reads its own CPU, send lag and event-loop delay so a generator-bound figure shows too.
 * Before each open loop it runs the same schedule alone (`floor`): what latency the generator and the machine add
 * by themselves at that rate, with no server in the path.
 *
 * Both sides are held to one definition: a delivery is a message frame a client receives (the sender's own copy
 * included); latency is from a message's intended send time to its receipt by a client connected to another server.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import hdr from 'hdr-histogram-js'
import { nowUs, onTicks } from '../../child/open-loop-schedule.ts'
import { GeneratorSocket } from './generator-socket.ts'

/** How a side's protocol looks on the socket. */
interface Dialect {
  url(base: string, room: string, user: string): string
  say(text: string): string
  /** Handles a control frame (handshake, ping); returns true once the client may send. */
  control(data: string, socket: GeneratorSocket): boolean | undefined
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
/** What precedes a message's text in both sides' frames: `"text":"<sender>|<seq>|<intended ms>|…`. */
const TEXT_FIELD = Buffer.from('"text":"')
const BAR = 0x7c

/** One generator client. */
interface Client {
  readonly index: number
  readonly server: number
  readonly room: number
  readonly socket: GeneratorSocket
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
  /**
   * p50 and p99 of the same latency to clients on the sender's own server (not in the figures): what the path
   * without the hop between servers shows, so the hop's share of a tail can be told apart.
   */
  sameServerP50Us: number
  sameServerP99Us: number
  /** p99 of (actual send − intended send): the generator's own delay. */
  sendLagP99Us: number
  /** p99 of the generator's event-loop delay (how late a timer ran): how long a receipt can wait to be read. */
  loopDelayP99Us: number
  /** The generator's CPU over the stretch, in vCPUs. */
  generatorCpu: number
  /** The CPU of the other processes over the stretch (servers, redis), in vCPUs, by the probe's name. */
  cpu: Record<string, number>
}

/**
 * How often the event-loop delay is sampled. Node's histogram records the whole interval between two samples, so an
 * idle loop reads this much (10 ms, not 0): `loopDelayUs` takes it off.
 */
const LOOP_DELAY_RESOLUTION_MS = 10

/** A reading of Node's event-loop delay histogram (ns, sampling interval included) as the delay alone, in µs. */
export function loopDelayUs(intervalNs: number): number {
  return Math.max(0, Math.round(intervalNs / 1000 - LOOP_DELAY_RESOLUTION_MS * 1000))
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
  #sameServer = newHistogram()
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
      ready.push(
        new Promise<void>((resolve, reject) => {
          let open = false
          let client: Client | undefined
          const onText = (data: Buffer, from: number, to: number): void => {
            if (!open || client === undefined) {
              if (client !== undefined && load.#dialect.control(data.toString('utf8', from, to), client.socket) === true) {
                open = true
                resolve()
              }
              return
            }
            const at = data.indexOf(TEXT_FIELD, from)
            if (at < 0 || at >= to) {
              load.#dialect.control(data.toString('utf8', from, to), client.socket)
              return
            }
            load.#receive(client, data, at + TEXT_FIELD.length)
          }
          GeneratorSocket.connect(load.#dialect.url(bases[server]!, `room${room}`, `u${i}`), onText, reject).then((socket) => {
            client = { index: i, server, room, socket, inflight: 0 }
            load.clients[i] = client
          }, reject)
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

  /**
   * Runs the closed loop, unmeasured, until the servers (the `servers` CPU probe) have spent `serverCpuSeconds` of CPU
   * on it or `maxMs` passed, then drains it; returns the CPU seconds spent. Warmth is CPU, not time: the servers'
   * code is compiled and optimized as it runs, and on a shared machine a warm-up of fixed length can leave a side's
   * servers a fraction of a vCPU, so its first trials measure code not yet optimized (five times the CPU per
   * delivery of later trials, seen in the first trial after a 1 s warm-up at load 10).
   */
  async warm(window: number, serverCpuSeconds: number, maxMs: number, drainMs: number): Promise<number> {
    this.#reset()
    this.#closedLoop = true
    this.#window = window
    const cpu = this.#cpuProbes['servers'] ?? (() => 0)
    const from = cpu()
    const deadline = Date.now() + maxMs
    for (const c of this.clients) for (let k = 0; k < window; k++) this.#sayOwn(c)
    while (cpu() - from < serverCpuSeconds && Date.now() < deadline) await pause(100)
    this.#closedLoop = false
    await this.#drain(drainMs)
    return cpu() - from
  }

  /** The open loop at `deliveredPerSecond` (sends of `deliveredPerSecond / roomSize` per second, round robin). */
  async offer(deliveredPerSecond: number, warmupMs: number, trialMs: number, trials: number, drainMs: number): Promise<{ stretches: Stretch[]; lost: number }> {
    this.#reset()
    const stop = this.#schedule(deliveredPerSecond, (n, intended) => this.#say(this.clients[n % this.clients.length]!, intended))
    const stretches = await this.#measure(warmupMs, trialMs, trials)
    stop()
    return { stretches, lost: await this.#drain(drainMs) }
  }

  /**
   * The generator alone at `deliveredPerSecond`, for as long as `offer`: the same schedule, the same frame built for
   * each send, but the send "arrives" as soon as it is issued (its latency is recorded then, once per recipient).
   * Its percentiles are what the generator and the machine add by themselves at that rate (the ticks' granularity,
   * sends released together, the process's pauses, the host descheduling it), with no server in the path.
   */
  async floor(deliveredPerSecond: number, warmupMs: number, trialMs: number, trials: number): Promise<Stretch[]> {
    this.#reset()
    const stop = this.#schedule(deliveredPerSecond, (n, intended) => {
      const client = this.clients[n % this.clients.length]!
      const now = performance.now()
      this.#dialect.say(this.#body(client, intended))
      this.#delivered += this.roomSize
      if (this.#measuring) {
        const latencyUs = Math.max(1, Math.round((performance.now() - intended) * 1000))
        this.#histogram.recordValueWithCount(latencyUs, this.roomSize)
        this.#lag.recordValue(Math.max(1, Math.round((now - intended) * 1000)))
      }
    })
    const stretches = await this.#measure(warmupMs, trialMs, trials)
    stop()
    return stretches
  }

  /**
   * Calls `send(n, intended)` for send n at its intended time, on the open loops' shared schedule (`onTicks`,
   * open-loop-schedule.ts: the metronome's ticks, every 250 µs; the schedule starts at the first tick). `onTicks` keeps
   * time in µs on the monotonic clock that `performance.now()` reads from another origin, so intended times are moved
   * to that origin once. Returns the function that stops it.
   */
  #schedule(deliveredPerSecond: number, send: (n: number, intendedMs: number) => void): () => void {
    const originUs = nowUs() - performance.now() * 1000
    return onTicks(deliveredPerSecond / this.roomSize, (n, intendedUs) => send(n, (intendedUs - originUs) / 1000))
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.socket.terminate()))
  }

  async #measure(warmupMs: number, trialMs: number, trials: number): Promise<Stretch[]> {
    await pause(warmupMs)
    const stretches: Stretch[] = []
    for (let t = 0; t < trials; t++) {
      this.#histogram.reset()
      this.#sameServer.reset()
      this.#lag.reset()
      this.#measuring = true
      const fromDelivered = this.#delivered
      const fromCpu = process.cpuUsage()
      const fromProbes = Object.entries(this.#cpuProbes).map(([name, probe]) => [name, probe()] as const)
      const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS })
      loopDelay.enable()
      const from = performance.now()
      await pause(trialMs)
      loopDelay.disable()
      const seconds = (performance.now() - from) / 1000
      const cpu = process.cpuUsage(fromCpu)
      const others = Object.fromEntries(fromProbes.map(([name, start]) => [name, Math.round(((this.#cpuProbes[name]!() - start) / seconds) * 100) / 100]))
      this.#measuring = false
      stretches.push({
        delivered: (this.#delivered - fromDelivered) / seconds,
        p50Us: this.#histogram.getValueAtPercentile(50),
        p99Us: this.#histogram.getValueAtPercentile(99),
        p999Us: this.#histogram.getValueAtPercentile(99.9),
        sameServerP50Us: this.#sameServer.getValueAtPercentile(50),
        sameServerP99Us: this.#sameServer.getValueAtPercentile(99),
        sendLagP99Us: this.#lag.getValueAtPercentile(99),
        loopDelayP99Us: loopDelayUs(loopDelay.percentile(99)),
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
    client.socket.send(this.#dialect.say(this.#body(client, intendedMs)))
    this.#sent++
    this.#expected += this.roomSize
  }

  #body(client: Client, intendedMs: number): string {
    const body = `${client.index}|${++this.#seq}|${intendedMs.toFixed(3)}|`
    return body + PAD.slice(body.length)
  }

  /** A delivery to `client`; its text (`<sender>|<seq>|<intended ms>|…`) starts at `data[from]`. */
  #receive(client: Client, data: Buffer, from: number): void {
    this.#delivered++
    const bar1 = data.indexOf(BAR, from)
    const bar2 = data.indexOf(BAR, bar1 + 1)
    const bar3 = data.indexOf(BAR, bar2 + 1)
    const sender = this.clients[decimalAt(data, from, bar1)]
    if (sender === undefined) return
    if (this.#measuring) {
      const latencyUs = Math.max(1, Math.round((performance.now() - decimalAt(data, bar2 + 1, bar3)) * 1000))
      if (sender.server !== client.server) this.#histogram.recordValue(latencyUs)
      else this.#sameServer.recordValue(latencyUs)
    }
    if (this.#closedLoop && sender === client) {
      client.inflight--
      while (client.inflight < this.#window) this.#sayOwn(client)
    }
  }
}

/** The non-negative decimal number written in `data[from, to)` as ASCII digits with an optional point. */
function decimalAt(data: Buffer, from: number, to: number): number {
  let value = 0
  let i = from
  for (; i < to; i++) {
    const digit = data[i]! - 0x30
    if (digit < 0 || digit > 9) break
    value = value * 10 + digit
  }
  if (i < to && data[i] === 0x2e) {
    let scale = 0.1
    for (i++; i < to; i++) {
      const digit = data[i]! - 0x30
      if (digit < 0 || digit > 9) break
      value += digit * scale
      scale /= 10
    }
  }
  return value
}

function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 })
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
