import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startNode } from '@cohort/transport'
import { distributionContract } from './distribution.contract.ts'

const CHILD = fileURLToPath(new URL('../support/node-process.mjs', import.meta.url))
const cookie = 'contract-cookie'
let serial = 0

distributionContract('@cohort/transport between two processes', async () => {
  const id = ++serial
  const a = await startNode({ name: `a${id}@127.0.0.1`, host: '127.0.0.1', port: 0, cookie, tickMs: 1000 })
  const child = fork(CHILD, [JSON.stringify({ name: `b${id}@127.0.0.1`, cookie, tickMs: 1000, contract: true, logLevel: 'silent' })], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    // Plain node on the compiled packages: not vitest's loader flags and source conditions.
    execArgv: [],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const b = await new Promise<{ name: string; url: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { name: string; url: string }))
    child.once('exit', (code) => reject(new Error(`contract node exited with ${code} before it was ready`)))
  })
  await a.connect(b)
  return {
    a: a.system,
    b: b.name,
    compactCalls: true,
    killB: async () => {
      child.kill('SIGKILL')
      await exited
    },
    // Real sockets: wait on the event loop until the condition holds (a deadline turns a hang into a failure).
    waitFor: async (predicate) => {
      const deadline = Date.now() + 10_000
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error('contract condition not met within 10 s')
        await new Promise((resolve) => setImmediate(resolve))
      }
    },
    close: async () => {
      child.kill('SIGKILL')
      await exited
      await a.close()
    },
  }
})
