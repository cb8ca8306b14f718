import { afterEach, describe, expect, it } from 'vitest'
import { startNode } from '@cohort/transport'
import type { CohortNode } from '@cohort/transport'
import { CohortProcess } from '../support/cohort-process.ts'
import { freePortRange } from '../support/free-ports.ts'
import { waitUntil } from '../support/wait-until.ts'

const cookie = 'shutdown-test-cookie'
const procs: CohortProcess[] = []
const hidden: CohortNode[] = []

afterEach(async () => {
  for (const n of hidden.splice(0)) await n.close()
  for (const p of procs.splice(0)) {
    p.kill('SIGKILL')
    await p.exited
  }
})

async function readyz(url: string): Promise<number> {
  const response = await fetch(`${url.replace('0.0.0.0', '127.0.0.1')}/readyz`)
  await response.text()
  return response.status
}

describe('graceful shutdown across real processes', () => {
  it('turns /readyz false while still serving, drains what it accepted, and its peers see a departure', async () => {
    const ports = await freePortRange(3)
    const names = ports.map((p) => `node-${p}@127.0.0.1`)
    for (const port of ports) {
      procs.push(
        new CohortProcess(
          ['--basename', 'node', '--host', '127.0.0.1', '--port', String(port), '--discovery', 'localPorts', '--local-ports', `${ports[0]}-${ports[2]}`, '--probe-port', '0', '--demo', '--log-level', 'info'],
          { COHORT_COOKIE: cookie, COHORT_DRAIN_DELAY_MS: '3000', COHORT_GRACE_PERIOD_MS: '10000', COHORT_TICK_MS: '4000' },
        ),
      )
    }
    const [a, b, c] = procs as [CohortProcess, CohortProcess, CohortProcess]
    const readyC = await c.waitFor((e) => e.type === 'ready')
    for (const [p, others] of [[a, [names[1], names[2]]], [b, [names[0], names[2]]], [c, [names[0], names[1]]]] as const) {
      for (const other of others) await p.waitFor((e) => e.type === 'nodeup' && e['node'] === other)
    }
    const probes = String(readyC['probes'])
    await waitUntil('node c to report ready', () => readyz(probes), (status) => status === 200)

    const cli = await startNode({ name: 'shutdown-test@127.0.0.1', host: '127.0.0.1', port: 0, cookie, hidden: true })
    hidden.push(cli)
    await cli.connect({ name: names[2]!, url: `ws://127.0.0.1:${ports[2]}` })
    // Calls accepted before the drain: every one must be answered, none lost to the shutdown.
    const accepted = Array.from({ length: 200 }, () => cli.system.call<string>({ name: 'greeter', node: names[2]! }, 'hello', 10_000))

    c.kill('SIGTERM')
    await waitUntil('node c to report not ready after SIGTERM', () => readyz(probes), (status) => status === 503, { intervalMs: 10 })
    // Not ready, yet still serving: endpoint removal races SIGTERM, so traffic still arriving is answered. (The drain
    // delay of 3 s is this window: long enough for a loaded machine to get the call in.)
    expect(await cli.system.call<string>({ name: 'greeter', node: names[2]! }, 'hello', 5000)).toMatch(/^hello from node-/)

    const replies = await Promise.all(accepted)
    expect(replies.every((r) => r.startsWith(`hello from ${names[2]}`))).toBe(true)

    const departureA = await a.waitFor((e) => e.type === 'nodedown' && e['node'] === names[2])
    const departureB = await b.waitFor((e) => e.type === 'nodedown' && e['node'] === names[2])
    expect([departureA['reason'], departureB['reason']]).toEqual(['leaving', 'leaving'])
    expect(await c.exited).toBe(0)
    // The peers log a departure, not a crash.
    for (const peer of [a, b]) {
      await peer.waitForLog((line) => line.includes(names[2]!) && line.includes('"msg":"peer left"'))
      const about = peer.log.filter((line) => line.includes(names[2]!))
      expect(about.some((line) => line.includes('"level":50') || line.includes('peer lost'))).toBe(false)
    }
  })
})
