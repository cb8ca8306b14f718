/**
 * `cohort start --busy-wait-ms` reaches the running node: after a frame arrives, a node started with the flag keeps
 * its process on the CPU (its event loop polls instead of sleeping), and a node started without it goes back to
 * sleep. Both are real CLI processes; the frame is a call from a node in the test's own process, and the CPU each
 * process used is read from the kernel (`/proc/<pid>/stat`), not reported by the node itself.
 */
import { readFileSync } from 'node:fs'
import { startNode } from '@cohort/transport'
import type { CohortNode } from '@cohort/transport'
import { afterEach, describe, expect, it } from 'vitest'
import { CohortProcess } from '../support/cohort-process.ts'

const COOKIE = 'busy-wait-test-cookie-1234'
/** The measuring window: well inside the busy node's 1000 ms of polling after the call's frame. */
const WINDOW_MS = 400

const running: CohortProcess[] = []
let caller: CohortNode | undefined
afterEach(async () => {
  await caller?.close()
  caller = undefined
  for (const p of running.splice(0)) {
    p.kill('SIGKILL')
    await p.exited
  }
})

async function start(basename: string, args: string[]): Promise<{ process: CohortProcess; name: string; url: string }> {
  const p = new CohortProcess(['--basename', basename, '--host', '127.0.0.1', '--port', '0', '--discovery', 'static', '--probe-port', '0', '--log-level', 'warn', ...args], {
    COHORT_COOKIE: COOKIE,
  })
  running.push(p)
  const ready = await p.waitFor((e) => e.type === 'ready')
  return { process: p, name: `${basename}@127.0.0.1`, url: ready['url'] as string }
}

/** User plus system CPU time of `pid` so far, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** The share of one CPU each process used over the next `ms` of wall time. */
async function cpuShareOver(pids: number[], ms: number): Promise<number[]> {
  const before = pids.map(cpuTicks)
  const started = performance.now()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const seconds = (performance.now() - started) / 1000
  // Linux reports these times in USER_HZ, 100 ticks a second on every architecture Node runs on.
  return pids.map((pid, i) => (cpuTicks(pid) - before[i]!) / 100 / seconds)
}

describe('cohort start --busy-wait-ms', () => {
  it('keeps a node polling after a frame, while a node without it sleeps', async () => {
    const [busy, idle] = await Promise.all([start('busy', ['--busy-wait-ms', '1000']), start('idle', [])])
    caller = await startNode({ name: 'caller@127.0.0.1', host: '127.0.0.1', port: 0, cookie: COOKIE })
    for (const target of [busy, idle]) {
      await caller.connect({ name: target.name, url: target.url })
      // A call to a name nobody registered: its answer proves the node has read the call's frame.
      await expect(caller.system.call({ name: 'nobody', node: target.name }, 'ping', 5000)).rejects.toMatchObject({ code: 'COHORT_ERR_NOPROC' })
    }

    const [busyShare, idleShare] = await cpuShareOver([busy.process.child.pid!, idle.process.child.pid!], WINDOW_MS)
    // Spinning takes a whole CPU when one is free; other test files may share the machine, so ask for less.
    expect(busyShare).toBeGreaterThan(0.3)
    expect(idleShare).toBeLessThan(0.15)
  })
})
