import { spawn } from 'node:child_process'
import { connect } from 'node:net'
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

  // A terminal's Ctrl-C goes to its foreground process group (here: the tour's own group); a `kill` reaches the tour alone.
  for (const [how, signal] of [['Ctrl-C in a terminal', 'SIGINT'], ['SIGTERM to the tour alone', 'SIGTERM']] as const) {
    it(`cut short by ${how}, still stops every node gracefully and leaves none running`, async () => {
      const [basePort] = await freePortRange(3)
      const child = spawn(process.execPath, [entry, 'demo', '--narrate', '--base-port', String(basePort)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      let out = ''
      const formed = new Promise<void>((resolve) => {
        const read = (d: Buffer): void => {
          out += d.toString()
          if (out.includes('the cluster formed')) resolve()
        }
        child.stdout.on('data', read)
        child.stderr.on('data', read)
      })
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      await formed
      if (signal === 'SIGINT') process.kill(-child.pid!, 'SIGINT')
      else child.kill('SIGTERM')
      expect(await exited, out).toBe(0)
      expect(out).toContain(`${signal}: the tour stops here; stopping every node gracefully`)
      expect(out).toContain('== every node stopped gracefully')
      expect(out).not.toContain('done: every node stopped gracefully')
      for (let i = 0; i < 3; i++) expect(await refuses(basePort! + i), `a node still listens on ${basePort! + i}:\n${out}`).toBe(true)
    })
  }
})

/** True when nothing listens on the port (the connection is refused). */
function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })
}
