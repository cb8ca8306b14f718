/**
 * A network of Linux network namespaces for fault tests: one namespace per node, each with its own address on a
 * bridge that lives in a namespace of its own (the "switch"), so nothing is added to the host's network and every
 * address exists only inside these namespaces. Links are cut without touching the processes: a partition drops
 * traffic between two groups with nft in the nodes' namespaces; `unplug` takes one node's link down.
 *
 * Names carry this process's pid and a counter, so parallel runs never collide, and everything is removed after each
 * test (and at exit, should a test die first). Needs root and iproute2 + nftables; `namespacesUnavailable()` says
 * why not, for the suites to skip with that reason.
 */
import { execFileSync } from 'node:child_process'
import { afterEach } from 'vitest'

let counter = 0
const live = new Set<Fabric>()

function run(args: string[], input?: string): string {
  return execFileSync(args[0] as string, args.slice(1), { input, encoding: 'utf8', stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
}

/** Why namespaces cannot be used here, or undefined when they can. */
export function namespacesUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'network namespaces need root (CI runs as root)'
  const probe = `crp${process.pid.toString(36)}`
  try {
    run(['ip', 'netns', 'add', probe])
    run(['ip', 'netns', 'exec', probe, 'nft', 'list', 'tables'])
    return undefined
  } catch (error) {
    return `cannot create a network namespace with nftables: ${(error as Error).message.split('\n')[0]}`
  } finally {
    try {
      run(['ip', 'netns', 'del', probe])
    } catch {
      // never created
    }
  }
}

/** One node's place in the fabric. */
export interface FabricHost {
  /** The namespace to run the node in. */
  readonly ns: string
  /** Its address on the bridge. */
  readonly address: string
}

/** Namespaces, veth pairs and a bridge; `destroy` removes all of it. */
export class Fabric {
  readonly id: string
  readonly hosts: FabricHost[] = []
  readonly #switchNs: string
  #destroyed = false

  constructor(count: number) {
    this.id = `cr${process.pid.toString(36)}${(counter++).toString(36)}`
    this.#switchNs = `${this.id}sw`
    // 10.250.x.0/24, x from the id: only ever configured inside these namespaces.
    const subnet = `10.250.${(process.pid + counter) % 250}`
    live.add(this)
    try {
      run(['ip', 'netns', 'add', this.#switchNs])
      run(['ip', '-n', this.#switchNs, 'link', 'add', 'br0', 'type', 'bridge'])
      run(['ip', '-n', this.#switchNs, 'link', 'set', 'br0', 'up'])
      for (let i = 0; i < count; i++) {
        const ns = `${this.id}n${i}`
        const address = `${subnet}.${i + 10}`
        run(['ip', 'netns', 'add', ns])
        run(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
        // Both ends are created straight inside their namespaces: no interface ever appears in the host's.
        run(['ip', 'link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', this.#switchNs])
        run(['ip', '-n', this.#switchNs, 'link', 'set', `p${i}`, 'master', 'br0', 'up'])
        run(['ip', '-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0'])
        run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up'])
        this.hosts.push({ ns, address })
      }
    } catch (error) {
      this.destroy()
      throw error
    }
  }

  /** Drops all traffic between the hosts of `a` and those of `b` (by index), silently, as a broken network does. */
  partition(a: number[], b: number[]): void {
    const side = (mine: number[], theirs: number[]): void => {
      const addrs = theirs.map((i) => (this.hosts[i] as FabricHost).address).join(', ')
      for (const i of mine) {
        const ns = (this.hosts[i] as FabricHost).ns
        run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], `table inet cohort_partition {
  chain in { type filter hook input priority 0; ip saddr { ${addrs} } drop; }
  chain out { type filter hook output priority 0; ip daddr { ${addrs} } drop; }
}
`)
      }
    }
    side(a, b)
    side(b, a)
  }

  /** Removes every partition. */
  heal(): void {
    for (const h of this.hosts) {
      try {
        run(['ip', 'netns', 'exec', h.ns, 'nft', 'delete', 'table', 'inet', 'cohort_partition'])
      } catch {
        // this host was not partitioned
      }
    }
  }

  /** Takes host `i`'s link down (or up again). */
  unplug(i: number, down = true): void {
    run(['ip', '-n', (this.hosts[i] as FabricHost).ns, 'link', 'set', 'eth0', down ? 'down' : 'up'])
  }

  /** Removes every namespace (and with them the veth pairs and the bridge). Idempotent. */
  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    live.delete(this)
    for (const ns of [...this.hosts.map((h) => h.ns), this.#switchNs]) {
      try {
        run(['ip', 'netns', 'del', ns])
      } catch {
        // already gone
      }
    }
  }
}

afterEach(() => {
  for (const f of [...live]) f.destroy()
})
process.once('exit', () => {
  for (const f of [...live]) f.destroy()
})
