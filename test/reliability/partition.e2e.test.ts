/**
 * A 5-node cluster, each node in its own network namespace, partitioned 2/3 by nft and healed. Both sides notice
 * within the tick window, both keep working on their own (each side writes to the replicated map, a key written on
 * both sides among them, and sees only its own side in presence), and after the heal the links come back
 * (joinCluster redials) and the groups, global names, the replicated map and presence converge on all five.
 */
import { describe, expect, it } from 'vitest'
import type { NodeProcess } from '../support/spawn-node.ts'
import { Fabric, namespacesUnavailable } from './support/fabric.ts'
import { waitUntil } from '../support/wait-until.ts'
import { startReliabilityNode } from './support/reliability-nodes.ts'
import { record } from './support/figures.ts'

const unavailable = namespacesUnavailable()
if (unavailable !== undefined) console.warn(`reliability: network-namespace scenarios skipped: ${unavailable}`)

const TICK_MS = 1000
const PORT = 4370

describe.skipIf(unavailable !== undefined)('a 5-node cluster partitioned 2/3 across network namespaces', () => {
  it('detects the partition within the tick window on both sides, keeps each side working, and converges after the heal', async () => {
    const fabric = new Fabric(5)
    const names = fabric.hosts.map((_, i) => `n${i}@${fabric.hosts[i]!.address}`)
    const peers = fabric.hosts.map((h, i) => ({ name: names[i]!, url: `ws://${h.address}:${PORT}` }))
    const nodes: NodeProcess[] = await Promise.all(
      fabric.hosts.map((h, i) => startReliabilityNode({ name: names[i]!, host: h.address, port: PORT, tickMs: TICK_MS }, h.ns)),
    )
    for (const n of nodes) await n.request('services')
    for (const n of nodes) await n.request('join', { peers })
    const all = [...names].sort()
    for (const n of nodes) await waitUntil(`${n.name} to see 5 members`, () => n.request<string[]>('members'), (m) => m.length === 5)
    for (const n of nodes) await waitUntil(`${n.name} to see 5 global names`, () => n.request<string[]>('globalNames'), (g) => g.length === 5)
    for (const n of nodes) await waitUntil(`${n.name} to see 5 nodes in presence`, () => n.request<string[]>('presence'), (p) => p.length === 5)
    const [a, b] = [[0, 1], [2, 3, 4]] as const
    const cutAt = Date.now()
    fabric.partition([...a], [...b])
    // nodedown for every node across the cut, on both sides, within tickMs (plus a quarter for the check interval).
    const detections: number[] = []
    for (const i of [...a, ...b]) {
      const others = (a.includes(i as never) ? b : a) as readonly number[]
      for (const j of others) {
        const e = await nodes[i]!.waitEvent((ev) => ev.kind === 'nodedown' && ev['node'] === names[j] && (ev['at'] as number) >= cutAt, 10_000)
        detections.push((e['at'] as number) - cutAt)
      }
    }
    const worst = Math.max(...detections)
    expect(worst).toBeLessThanOrEqual(TICK_MS * 1.25 + 500)
    // Each side keeps working: it drops the other side's members and still agrees within itself.
    for (const i of a) await waitUntil(`${names[i]} to drop the far side`, () => nodes[i]!.request<string[]>('members'), (m) => m.length === 2)
    for (const i of b) await waitUntil(`${names[i]} to drop the far side`, () => nodes[i]!.request<string[]>('members'), (m) => m.length === 3)
    // Presence drops the far side's entries at its nodedown.
    for (const i of a) await waitUntil(`${names[i]} presence to drop the far side`, () => nodes[i]!.request<string[]>('presence'), (p) => p.length === 2)
    for (const i of b) await waitUntil(`${names[i]} presence to drop the far side`, () => nodes[i]!.request<string[]>('presence'), (p) => p.length === 3)
    // Both sides take writes: distinct keys, and one key written on each side (last writer wins after the heal).
    const KEYS = 200
    await nodes[0]!.request('mapWrite', { prefix: 'a', count: KEYS })
    await nodes[0]!.request('mapWrite', { prefix: 'both', count: 1 })
    await nodes[2]!.request('mapWrite', { prefix: 'b', count: KEYS })
    await nodes[2]!.request('mapWrite', { prefix: 'both', count: 1 })
    // Within a side the writes replicate; across the cut nothing arrives. The wait is on each side's last write
    // ('both0', after the 200 keys): deltas keep their order, so it brings the rest, whereas a wait on the last of the
    // 200 keys could end before 'both0' had arrived.
    await waitUntil(`${names[1]} to see its side's writes`, () => nodes[1]!.request<string | null>('mapGet', { key: 'both0' }), (v) => v === names[0])
    await waitUntil(`${names[4]} to see its side's writes`, () => nodes[4]!.request<string | null>('mapGet', { key: 'both0' }), (v) => v === names[2])
    expect(await nodes[1]!.request('mapGet', { key: `a${KEYS - 1}` })).toBe(names[0])
    expect(await nodes[4]!.request('mapGet', { key: `b${KEYS - 1}` })).toBe(names[2])
    expect(await nodes[1]!.request('mapGet', { key: 'b0' })).toBeNull()
    expect(await nodes[4]!.request('mapGet', { key: 'a0' })).toBeNull()
    const healAt = Date.now()
    fabric.heal()
    for (const n of nodes) await waitUntil(`${n.name} to reconnect to all`, () => n.request<string[]>('nodes'), (ns) => ns.length === 4, { timeoutMs: 20_000 })
    const reconnectedMs = Date.now() - healAt
    for (const n of nodes) await waitUntil(`${n.name} groups to converge`, () => n.request<string[]>('members'), (m) => JSON.stringify(m) === JSON.stringify(all))
    for (const n of nodes) await waitUntil(`${n.name} global names to converge`, () => n.request<string[]>('globalNames'), (g) => g.length === 5)
    const convergedMs = Date.now() - healAt
    // The map: every node holds both sides' keys and the same winner of the key written on both sides.
    type Digest = { size: number; digest: string }
    const digestsOf = (): Promise<Digest[]> => Promise.all(nodes.map((n) => n.request<Digest>('mapDigest')))
    await waitUntil("every map to hold both sides' writes", digestsOf, (ds) => ds.every((d) => d.size === 2 * KEYS + 1))
    const mapSizesMs = Date.now() - healAt
    await waitUntil('every map to agree', digestsOf, (ds) => ds.every((d) => d.size === 2 * KEYS + 1 && d.digest === ds[0]!.digest))
    const mapConvergedMs = Date.now() - healAt
    const winner = await nodes[0]!.request<string>('mapGet', { key: 'both0' })
    expect([names[0], names[2]]).toContain(winner)
    for (const n of nodes) expect(await n.request('mapGet', { key: 'both0' })).toBe(winner)
    for (const n of nodes) await waitUntil(`${n.name} presence to converge`, () => n.request<string[]>('presence'), (p) => JSON.stringify(p) === JSON.stringify(all))
    const presenceConvergedMs = Date.now() - healAt
    record('partition', {
      nodes: 5,
      split: '2/3',
      tickMs: TICK_MS,
      worstDetectionMs: worst,
      detections: detections.length,
      reconnectedMs,
      convergedMs,
      mapKeysWrittenDuringPartition: 2 * KEYS + 2,
      mapSizesMs,
      mapConvergedMs,
      presenceConvergedMs,
    })
  })
})
