import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { freePortRange } from '../support/free-ports.ts'

const entry = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url))

describe('pnpm demo --narrate', () => {
  it('forms a cluster, survives a crashed actor and a killed node, and stops every node gracefully', async () => {
    // Below the kernel's ephemeral range, where no other suite's outgoing connection can take a node's port (the
    // tour kills a node and starts it again on the same port).
    const [basePort] = await freePortRange(3)
    const child = spawn(process.execPath, [entry, 'demo', '--narrate', '--base-port', String(basePort)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code, out).toBe(0)
    const steps = [
      'the cluster formed',
      "every node's chatter got a reply from every other node's greeter",
      'supervisor restarted greeter after: Error: crash requested by the demo',
      'the new greeter on',
      'nodedown demo-',
      '(noconnection)',
      'a new incarnation',
      'cluster of 3 nodes',
      '(leaving)',
      'exited with code 0',
      'done: every node stopped gracefully',
    ]
    let at = 0
    for (const step of steps) {
      const found = out.indexOf(step, at)
      expect(found, `"${step}" after position ${at} in:\n${out}`).toBeGreaterThanOrEqual(0)
      at = found
    }
  })
})
