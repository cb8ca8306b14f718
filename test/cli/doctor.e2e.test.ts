/**
 * `cohort doctor` as a user runs it, against `cohort start` nodes in their own processes: one node shares the
 * cookie, one does not; the doctor passes the first, fails the second with the fix, and exits 1.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { CohortProcess } from '../support/cohort-process.ts'

const entry = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url))
const cookie = 'doctor-e2e-cookie-5f1c2a9b'
const running: CohortProcess[] = []

afterEach(async () => {
  for (const p of running.splice(0)) {
    p.kill('SIGKILL')
    await p.exited
  }
})

async function start(basename: string, nodeCookie: string): Promise<string> {
  const p = new CohortProcess(
    ['--basename', basename, '--host', '127.0.0.1', '--port', '0', '--probe-port', '0', '--discovery', 'static', '--log-level', 'info'],
    { COHORT_COOKIE: nodeCookie },
  )
  running.push(p)
  return (await p.waitFor((e) => e.type === 'ready'))['url'] as string
}

function doctor(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [entry, 'doctor', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', ...env } })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })))
}

describe('cohort doctor', () => {
  it('passes the peer that shares the cookie, fails the one that does not, with the fix, and exits 1', async () => {
    const good = await start('good', cookie)
    const odd = await start('odd', 'another-cookie-entirely-77')
    const { code, out } = await doctor(
      ['--name', 'doc@127.0.0.1', '--host', '127.0.0.1', '--port', '0', '--probe-port', '0', '--discovery', 'static', '--peers', `good@127.0.0.1=${good},odd@127.0.0.1=${odd}`],
      { COHORT_COOKIE: cookie },
    )
    expect(code, out).toBe(1)
    expect(out).toMatch(/^PASS {2}cookie /m)
    expect(out).toMatch(/^PASS {2}name {7}127\.0\.0\.1 is an address of this machine/m)
    expect(out).toMatch(/^PASS {2}discovery {2}static answered: 2 peers/m)
    expect(out).toContain(`PASS  handshake  good@127.0.0.1 at ${good} accepted this cookie`)
    expect(out).toMatch(/^PASS {2}tick {7}good@127\.0\.0\.1 uses the same tickMs \(15000\)/m)
    expect(out).toContain(`FAIL  handshake  odd@127.0.0.1 at ${odd}`)
    expect(out).toMatch(/fix: the cookies differ/)
    expect(out).toContain('1 of 9 checks failed')
  })
})
