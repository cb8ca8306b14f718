/**
 * The two nodes of the remote scenarios: a Cohort node in this process and peer-node.ts in a helper process,
 * connected over loopback. `close` stops both, whatever the scenario did. The `busyWaitMs` param sets both nodes'
 * option of that name (off unless given); `tls: true` connects them over wss:// (child/bench-tls.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startNode } from '@cohort/transport'
import type { CohortNode, TlsOptions } from '@cohort/transport'
import { startHelper } from '../../child/helper-process.ts'
import type { Helper } from '../../child/helper-process.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { COOKIE, HOST } from '../../child/wire.ts'
import { makeBenchTls } from '../../child/bench-tls.ts'

export interface TwoNodes {
  readonly node: CohortNode
  readonly peer: Helper
  readonly peerName: string
  close(): Promise<void>
}

export async function startTwoNodes(params: ScenarioParams): Promise<TwoNodes> {
  const peerName = `peer@${HOST}`
  const busyWaitMs = Number(params['busyWaitMs'] ?? 0)
  const tls = params['tls'] === true ? benchTls() : undefined
  const peer = await startHelper(import.meta.url, './peer-node.js', { name: peerName, busyWaitMs, tls }, params.cpuProfDir)
  const node = await startNode({ name: `bench@${HOST}`, host: HOST, port: 0, cookie: COOKIE, busyWaitMs, ...(tls !== undefined ? { tls } : {}) })
  const close = async (): Promise<void> => {
    await peer.close()
    await node.close()
  }
  try {
    const { url } = await peer.request<{ url: string }>({ type: 'info' })
    await node.connect({ name: peerName, url })
  } catch (error) {
    await close()
    throw error
  }
  return { node, peer, peerName, close }
}

/** The nodes' `tls` option: the certificates are made in a temporary directory, read, and the directory removed. */
function benchTls(): TlsOptions {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-tls-'))
  try {
    const { cert, key, ca } = makeBenchTls(dir)
    return { cert, key, ca }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
