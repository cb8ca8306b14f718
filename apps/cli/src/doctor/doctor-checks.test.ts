/** `cohort doctor` against real nodes on loopback, through createProgram with injected output. */
import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startNode } from '@cohort/transport'
import type { CohortNode } from '@cohort/transport'
import { createProgram } from '../program.ts'
import type { ProgramIO } from '../program-io.ts'
import type { DoctorCheck } from './doctor-checks.ts'

const cookie = 'doctor-test-cookie-0123456789'
const closers: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const c of closers.splice(0)) await c()
})

async function node(basename: string, options: { cookie?: string; tickMs?: number; port?: number } = {}): Promise<CohortNode> {
  const n = await startNode({ name: `${basename}@127.0.0.1`, host: '127.0.0.1', port: options.port ?? 0, cookie: options.cookie ?? cookie, tickMs: options.tickMs ?? 15_000 })
  closers.push(() => n.close())
  return n
}

/** A port some other program listens on (it accepts and says nothing). */
async function blocker(): Promise<number> {
  const server: Server = createServer((socket) => sockets.push(socket))
  const sockets: Socket[] = []
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  closers.push(() => {
    for (const s of sockets) s.destroy()
    return new Promise((r) => server.close(r))
  })
  return (server.address() as AddressInfo).port
}

/** A port nothing listens on (connections are refused at once). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  await new Promise((r) => server.close(r))
  return port
}

async function doctor(args: string[], env: Record<string, string> = {}): Promise<{ checks: DoctorCheck[]; text: string; exitCode: number | undefined }> {
  const out: string[] = []
  let exitCode: number | undefined
  const io = (): ProgramIO => ({
    stdout: (t) => void out.push(t),
    stderr: () => undefined,
    env: { COHORT_PROBE_PORT: '0', ...env },
    signals: { on: () => undefined, off: () => undefined },
    exit: (code) => void (exitCode = code),
    entry: 'unused',
  })
  await createProgram(io()).exitOverride().parseAsync(['doctor', '--json', ...args], { from: 'user' })
  const checks = JSON.parse(out.join('')) as DoctorCheck[]
  out.length = 0
  const textExit = exitCode
  await createProgram(io()).exitOverride().parseAsync(['doctor', ...args], { from: 'user' })
  return { checks, text: out.join(''), exitCode: textExit }
}

const byCheck = (checks: DoctorCheck[], check: string) => checks.filter((c) => c.check === check)

describe('cohort doctor', () => {
  it('passes a sound configuration: cookie, name, ports, discovery, handshakes and ticks', async () => {
    const a = await node('a')
    const b = await node('b')
    const peers = `${a.name}=${a.url},${b.name}=${b.url}`
    const { checks, text, exitCode } = await doctor(['--name', 'doc@127.0.0.1', '--port', '0', '--discovery', 'static', '--peers', peers], { COHORT_COOKIE: cookie })
    expect(checks.filter((c) => !c.ok)).toEqual([])
    expect(checks.map((c) => c.check)).toEqual(['config', 'cookie', 'name', 'port', 'probePort', 'discovery', 'handshake', 'tick', 'handshake', 'tick'])
    expect(byCheck(checks, 'discovery')[0]?.detail).toBe('static answered: 2 peers (a@127.0.0.1, b@127.0.0.1)')
    expect(exitCode).toBeUndefined()
    expect(text).toMatch(/^PASS {2}config /)
    expect(text).toContain('all 10 checks passed')
    // The doctor's own hidden node never joined the cluster.
    expect(a.nodes()).toEqual([])
  })

  it('fails what is wrong, each with the fix, and exits 1', async () => {
    const good = await node('good', { tickMs: 30_000 })
    const odd = await node('odd', { cookie: 'a-different-cookie-entirely' })
    const taken = await blocker()
    const peers = `${good.name}=${good.url},${odd.name}=${odd.url},gone@127.0.0.1=ws://127.0.0.1:${await closedPort()}`
    const { checks, text, exitCode } = await doctor(
      ['--name', 'doc@10.9.9.9', '--host', '127.0.0.1', '--port', String(taken), '--discovery', 'static', '--peers', peers, '--cookie', 'secret', '--timeout-ms', '1000'],
    )
    expect(exitCode).toBe(1)
    expect(byCheck(checks, 'cookie')[0]).toMatchObject({ ok: false, detail: 'the cookie is a well-known example value' })
    expect(byCheck(checks, 'name')[0]).toMatchObject({ ok: false, fix: expect.stringContaining('COHORT_HOST') })
    expect(byCheck(checks, 'port')[0]).toMatchObject({ ok: false, detail: `127.0.0.1:${taken} is taken by another process` })
    const handshakes = byCheck(checks, 'handshake')
    expect(handshakes.map((c) => c.ok)).toEqual([false, false, false]) // 'secret' is nobody's cookie
    expect(handshakes[0]?.fix).toMatch(/cookies differ/)
    expect(text).toContain('FAIL  cookie')
    expect(text).toMatch(/fix: generate one/)
  })

  it('reports a peer with another tick and a peer with another cookie', async () => {
    const slow = await node('slow', { tickMs: 30_000 })
    const odd = await node('odd', { cookie: 'a-different-cookie-entirely' })
    const { checks } = await doctor(['--name', 'doc@127.0.0.1', '--port', '0', '--discovery', 'static', '--peers', `${slow.name}=${slow.url},${odd.name}=${odd.url}`], {
      COHORT_COOKIE: cookie,
    })
    expect(byCheck(checks, 'tick')[0]).toMatchObject({ ok: false, detail: expect.stringContaining('slow@127.0.0.1 uses tickMs 30000, this node 15000') })
    expect(byCheck(checks, 'handshake')[1]).toMatchObject({ ok: false, fix: expect.stringContaining('the cookies differ') })
  })

  it('accepts ports held by this very node when run beside it', async () => {
    const self = await node('doc')
    const { checks } = await doctor(['--name', self.name, '--host', '127.0.0.1', '--port', String(self.port), '--discovery', 'static'], { COHORT_COOKIE: cookie })
    expect(byCheck(checks, 'port')[0]).toMatchObject({ ok: true, detail: `127.0.0.1:${self.port} is this node (doc@127.0.0.1), running` })
  })

  it('reports a missing cookie or a broken variable, naming the fix', async () => {
    const missing = await doctor([])
    expect(missing.checks).toEqual([expect.objectContaining({ check: 'cookie', ok: false, fix: expect.stringContaining('COHORT_COOKIE_FILE') })])
    expect(missing.exitCode).toBe(1)
    const broken = await doctor(['--tick-ms', 'soon'], { COHORT_COOKIE: cookie })
    expect(broken.checks[0]).toMatchObject({ check: 'config', ok: false, detail: expect.stringContaining('COHORT_TICK_MS') })
    const spinning = await doctor(['--busy-wait-ms', '2000'], { COHORT_COOKIE: cookie })
    expect(spinning.checks[0]).toMatchObject({ check: 'config', ok: false, detail: expect.stringContaining('COHORT_BUSY_WAIT_MS: expected an integer in 0..1000, got "2000"') })
  })

  it('reports discovery that does not answer', async () => {
    const { checks } = await doctor(['--discovery', 'dnsA', '--dns-query', 'cohort-doctor-test.invalid'], { COHORT_COOKIE: cookie, COHORT_DNS_SERVERS: '127.0.0.1:9' })
    expect(byCheck(checks, 'discovery')[0]).toMatchObject({ ok: false, fix: expect.stringContaining('cohort-doctor-test.invalid') })
  })
})
