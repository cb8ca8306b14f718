/**
 * A hidden node for the CLI: it connects to a cluster without joining the mesh (it never shows in `nodes()`), asks
 * the observers, and leaves. Used by `cohort cluster`, `cohort ping` and the demo.
 */
import { randomBytes } from 'node:crypto'
import { startNode } from '@cohort/transport'
import type { CohortNode } from '@cohort/transport'

/** A peer to reach: its node name and the URL it listens on. */
export interface Target {
  name: string
  url: string
}

/**
 * Reads a target: a node name with the port it listens on (`chat@10.0.0.5:4370`, `chat@[fd00::5]:4370`), or a local
 * demo node's name, whose URL its name tells (`demo-4370@127.0.0.1` listens on ws://127.0.0.1:4370), or any name
 * with an explicit `url`.
 */
export function parseTarget(name: string, url: string | undefined): Target {
  if (url !== undefined) return { name, url }
  const withPort = /^([^@]+)@(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(name)
  if (withPort !== null) {
    const host = withPort[2]!
    return { name: `${withPort[1]}@${host.replace(/^\[|\]$/g, '')}`, url: `ws://${host}:${withPort[3]}` }
  }
  const local = /^[^@]*-(\d+)@(.+)$/.exec(name)
  if (local === null) {
    throw new Error(`cannot tell the URL of ${name}; pass --url ws://host:port`)
  }
  const host = local[2]!.includes(':') ? `[${local[2]}]` : local[2]!
  return { name, url: `ws://${host}:${local[1]}` }
}

/** Starts a hidden node and connects it to `target`. */
export async function connectHidden(target: Target, cookie: string): Promise<CohortNode> {
  const node = await startNode({
    name: `cohort-cli-${randomBytes(3).toString('hex')}@127.0.0.1`,
    host: '127.0.0.1',
    port: 0,
    cookie,
    hidden: true,
  })
  try {
    await node.connect(target)
  } catch (error) {
    await node.close()
    throw error
  }
  return node
}
