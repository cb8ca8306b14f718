/**
 * A small network of namespaces for partition tests: one network namespace per node, each with its own address on a
 * bridge that the test process (in the root namespace) also sits on, so the test reaches every node while the nodes'
 * own traffic can be cut. A partition is an nftables table inside a node's namespace that drops packets to and from
 * the other side; healing deletes it. Everything is created by the test and removed by `dispose`.
 *
 * Needs root, `ip` (iproute2) and `nft` (nftables); without them the suite fails with a message saying so.
 */
import { execFileSync } from 'node:child_process'
import { randomInt } from 'node:crypto'

function sh(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Throws a clear error when the prerequisites are missing. */
export function requireNetworkTools(): void {
  if (process.getuid?.() !== 0) throw new Error('partition tests need root to create network namespaces (CI runs them as root)')
  for (const tool of ['ip', 'nft']) {
    try {
      sh('sh', ['-c', `command -v ${tool}`])
    } catch {
      throw new Error(`${tool} is missing: install Debian's ${tool === 'ip' ? 'iproute2' : 'nftables'} package to run the partition tests`)
    }
  }
}

export interface CacheNetwork extends AsyncDisposable {
  /** Each node's address, in the order of `namespaces`. */
  readonly hosts: string[]
  readonly namespaces: string[]
  /** Cuts node `index` off from the nodes in `others` (both directions); the test still reaches every node. */
  partition(index: number, others: number[]): void
  /** Removes every cut. */
  heal(): void
  dispose(): void
}

/** Creates `count` namespaces on a fresh bridge with a random 10.x.y.0/24 subnet. */
export function createCacheNetwork(count: number): CacheNetwork {
  requireNetworkTools()
  const tag = `${process.pid % 100000}${randomInt(10, 99)}`
  const bridge = `cbr${tag}`
  const subnet = `10.${randomInt(200, 250)}.${randomInt(0, 255)}`
  const namespaces = Array.from({ length: count }, (_, i) => `cache-${tag}-${i}`)
  const hosts = namespaces.map((_, i) => `${subnet}.${i + 2}`)
  const cut = new Set<number>()
  const dispose = (): void => {
    for (const ns of namespaces) {
      try {
        sh('ip', ['netns', 'del', ns])
      } catch {
        // Not created (setup failed part way) or already gone.
      }
    }
    try {
      sh('ip', ['link', 'del', bridge])
    } catch {
      // Not created or already gone.
    }
  }
  try {
    sh('ip', ['link', 'add', bridge, 'type', 'bridge'])
    sh('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge])
    sh('ip', ['link', 'set', bridge, 'up'])
    namespaces.forEach((ns, i) => {
      const veth = `cv${tag}${i}`
      sh('ip', ['netns', 'add', ns])
      sh('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns])
      sh('ip', ['link', 'set', veth, 'master', bridge, 'up'])
      sh('ip', ['-n', ns, 'addr', 'add', `${hosts[i]}/24`, 'dev', 'eth0'])
      sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up'])
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    })
  } catch (err) {
    dispose()
    throw err
  }
  return {
    hosts,
    namespaces,
    partition(index, others) {
      const ns = namespaces[index]!
      const peers = `{ ${others.map((o) => hosts[o]).join(', ')} }`
      sh('ip', ['netns', 'exec', ns, 'nft', 'add', 'table', 'inet', 'partition'])
      sh('ip', ['netns', 'exec', ns, 'nft', 'add', 'chain', 'inet', 'partition', 'in', '{ type filter hook input priority 0; }'])
      sh('ip', ['netns', 'exec', ns, 'nft', 'add', 'chain', 'inet', 'partition', 'out', '{ type filter hook output priority 0; }'])
      sh('ip', ['netns', 'exec', ns, 'nft', 'add', 'rule', 'inet', 'partition', 'in', 'ip', 'saddr', peers, 'drop'])
      sh('ip', ['netns', 'exec', ns, 'nft', 'add', 'rule', 'inet', 'partition', 'out', 'ip', 'daddr', peers, 'drop'])
      cut.add(index)
    },
    heal() {
      for (const index of cut) sh('ip', ['netns', 'exec', namespaces[index]!, 'nft', 'delete', 'table', 'inet', 'partition'])
      cut.clear()
    },
    dispose,
    async [Symbol.asyncDispose]() {
      dispose()
    },
  }
}
