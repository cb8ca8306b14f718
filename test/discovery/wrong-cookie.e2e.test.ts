/**
 * A node started with the wrong cookie, as an operator would meet it: both nodes log at error level that the cookies
 * differ and where to set them, the odd node's /readyz answers 503 (it is cut off from every peer discovery gives
 * it), and /metrics counts the failed handshakes by reason.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CohortProcess } from '../support/cohort-process.ts'

const running: CohortProcess[] = []
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.kill('SIGKILL')
    await p.exited
  }
})

function start(args: string[], cookie: string): CohortProcess {
  const p = new CohortProcess(['--host', '127.0.0.1', '--probe-port', '0', '--log-level', 'info', ...args], { COHORT_COOKIE: cookie })
  running.push(p)
  return p
}

describe('a node with the wrong cookie', () => {
  it('is told apart on both sides, reports not ready, and is counted in /metrics', async () => {
    const right = start(['--basename', 'right', '--port', '0', '--discovery', 'static'], 'the-cluster-cookie-1234')
    const rightUrl = (await right.waitFor((e) => e.type === 'ready'))['url'] as string
    const wrong = start(['--basename', 'wrong', '--port', '0', '--discovery', 'static', '--peers', `right@127.0.0.1=${rightUrl}`], 'a-wrong-cookie-5678')
    const probes = (await wrong.waitFor((e) => e.type === 'ready'))['probes'] as string

    const cutOff = await wrong.waitForLog((l) => l.includes('cannot join any of the 1 peers'))
    expect(JSON.parse(cutOff)).toMatchObject({ level: 50 })
    expect(cutOff).toContain('COHORT_COOKIE')
    for (const p of [right, wrong]) {
      const line = JSON.parse(await p.waitForLog((l) => l.includes('handshake failed: cookies differ'))) as Record<string, unknown>
      expect(line).toMatchObject({ level: 50, closeCode: 4001, fix: expect.stringContaining('COHORT_COOKIE') })
    }
    expect(right.log.join('\n')).not.toContain('a-wrong-cookie-5678')

    const ready = await fetch(`${probes}/readyz`)
    expect(ready.status).toBe(503)
    expect(await ready.text()).toMatch(/cut off: every peer discovery reports refused this node's handshake \(check the cookie/)
    const metrics = await (await fetch(`${probes}/metrics`)).text()
    expect(metrics).toMatch(/cohort_handshake_failures_total\{reason="cookie"\} [1-9]/)
    expect(metrics).toContain('cohort_connected_peers 0')
  })
})
