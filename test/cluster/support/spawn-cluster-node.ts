/**
 * Spawns node processes that run the cluster services (cluster-node.mjs), reusing NodeProcess from the shared
 * spawn-node support for IPC requests and events. Readiness is the child's `ready` message; every child is killed
 * after each test.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, onTestFailed } from 'vitest'
import { NodeProcess } from '../../support/spawn-node.ts'

const SCRIPT = fileURLToPath(new URL('./cluster-node.mjs', import.meta.url))

export interface ClusterNodeOptions {
  name: string
  /** Run a manager of the 'ticker' singleton. */
  singleton?: boolean
  tickMs?: number
}

const running = new Set<NodeProcess>()

afterEach(async () => {
  const all = [...running]
  running.clear()
  await Promise.all(
    all.map(async (p) => {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
      await p.exited
    }),
  )
})

export async function spawnClusterNode(options: ClusterNodeOptions): Promise<NodeProcess> {
  const log: string[] = []
  onTestFailed(() => console.error(`---- log of ${options.name} ----\n${log.join('')}`))
  const env = { ...process.env }
  delete env['NODE_OPTIONS']
  const child = fork(SCRIPT, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv: [], env })
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => log.push(chunk))
  const ready = await new Promise<{ name: string; url: string; port: number; creation: number }>((resolve, reject) => {
    const onMessage = (m: { type: string }): void => {
      if (m.type !== 'ready') return
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(m as never)
    }
    const onExit = (code: number | null): void => reject(new Error(`node ${options.name} exited with ${code} before ready:\n${log.join('')}`))
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
  const p = new NodeProcess(child, ready, log)
  running.add(p)
  return p
}
