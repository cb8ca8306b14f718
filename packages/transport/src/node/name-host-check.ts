/**
 * Whether a node's name points at this machine. Peers dial the host of a node's name (`chat@10.0.0.5` is dialled at
 * 10.0.0.5), so a node named after an address that is not one of this machine's, and does not resolve to one, starts
 * and reports ready while no peer can reach it. startNode warns about it once it listens, and `cohort doctor` checks
 * it. A name's host that resolves to an address of this machine (a pod's DNS name, `localhost`) is fine.
 * Gotchas: behind NAT or a port-forward the dialled address is legitimately not local; the warning says so, and
 * `url` (the advertised URL) is what peers dial when it is set, so a node with an explicit `url` is not checked.
 */
import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { networkInterfaces } from 'node:os'

/** What the check found. */
export interface NameHostCheck {
  /** The host of the node's name. */
  readonly host: string
  /** True when the host is, or resolves to, an address of this machine. */
  readonly local: boolean
  /** The addresses the host resolved to (the host itself for an IP address); empty when it does not resolve. */
  readonly addresses: readonly string[]
  /** Why it is not local, in a sentence; undefined when it is. */
  readonly problem: string | undefined
}

/** Where the check looks; injected in tests. */
export interface NameHostCheckIo {
  /** Every address `host` resolves to. @default dns.promises.lookup with `all: true` */
  lookup?: (host: string) => Promise<string[]>
  /** This machine's addresses. @default every address of os.networkInterfaces() */
  localAddresses?: () => string[]
}

function machineAddresses(): string[] {
  const out: string[] = []
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.push(a.address)
  return out
}

async function lookupAll(host: string): Promise<string[]> {
  return (await dnsLookup(host, { all: true })).map((a) => a.address)
}

/** Strips IPv6 brackets and a zone, and lowercases, so addresses compare. */
function normal(address: string): string {
  return address.replace(/^\[|\]$/g, '').replace(/%.*$/, '').toLowerCase()
}

/**
 * When the node listens on one address (not every interface) and the name's host resolves to others, peers dial an
 * address nothing listens on: `cohort start --name chat@10.0.0.5` with the default `--host 127.0.0.1`, say. Returns
 * that problem in a sentence, or undefined.
 */
export function listenProblem(listenHost: string, check: NameHostCheck): string | undefined {
  const listen = normal(listenHost)
  if (listen === '0.0.0.0' || listen === '::' || check.addresses.length === 0) return undefined
  if (check.addresses.includes(listen) || check.addresses.includes('0.0.0.0') || check.addresses.includes('::')) return undefined
  if (isIP(listen) === 0 && normal(check.host) === listen) return undefined
  return (
    `the node listens on ${listenHost} only, but peers dial the name's host ${check.host} (${check.addresses.join(', ')}); ` +
    'listen on that address or on every interface (--host/COHORT_HOST, or startNode\'s host: 0.0.0.0)'
  )
}

/** Checks whether `host` (the part of a node name after `@`) is, or resolves to, an address of this machine. */
export async function checkNameHost(host: string, io: NameHostCheckIo = {}): Promise<NameHostCheck> {
  const local = new Set((io.localAddresses ?? machineAddresses)().map(normal))
  const bare = normal(host)
  let addresses: string[]
  if (isIP(bare) !== 0) {
    addresses = [bare]
  } else {
    try {
      addresses = (await (io.lookup ?? lookupAll)(bare)).map(normal)
    } catch (error) {
      const reason = (error as { code?: string }).code ?? (error as Error).message
      return { host, local: false, addresses: [], problem: `the name's host ${host} does not resolve (${reason}), so no peer can dial this node` }
    }
  }
  if (addresses.some((a) => local.has(a) || a === '0.0.0.0' || a === '::')) return { host, local: true, addresses, problem: undefined }
  return {
    host,
    local: false,
    addresses,
    problem:
      `the name's host ${host}${isIP(bare) === 0 ? ` (${addresses.join(', ')})` : ''} is not an address of this machine, ` +
      'so peers that dial it will not reach this node; name the node after an address of this machine ' +
      '(--host/--name, COHORT_HOST/COHORT_NODE_NAME), or set url if a NAT or proxy forwards that address here',
  }
}
