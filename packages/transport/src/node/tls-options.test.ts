/** TLS: option validation, and wss between nodes with certificates made by the openssl CLI at test time. */
import { beforeAll, describe, expect, it } from 'vitest'
import { resolveTlsOptions } from './tls-options.ts'
import { logged, testNode, until } from '../test-support/nodes.ts'
import { makeTestCertificates } from '../test-support/test-certificates.ts'

let ca: string
let good: { cert: string; key: string }
let rogue: { cert: string; key: string }

beforeAll(() => {
  const made = makeTestCertificates()
  ca = made.ca
  good = made.good
  rogue = made.rogue
})

describe('tls', () => {
  it('validates the options, never echoing the key', () => {
    expect(() => resolveTlsOptions({ cert: '', key: 'k' })).toThrow(expect.objectContaining({ option: 'tls.cert' }))
    try {
      resolveTlsOptions({ cert: 'c', key: 42 as never })
      expect.unreachable()
    } catch (error) {
      expect(error).toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'tls.key', value: 'number' })
    }
  })

  it('connects two nodes over wss with certificates signed by the CA, and carries large Buffers over it', async () => {
    const a = await testNode('a', { tls: { ...good, ca } })
    const b = await testNode('b', { tls: { ...good, ca } })
    expect(a.node.url).toMatch(/^wss:\/\/127\.0\.0\.1:/)
    await b.node.connect({ name: a.node.name, url: a.node.url })
    const pid = a.node.system.spawn({ init: () => null, handleCall: (r: unknown, _f: unknown, s: null) => ({ reply: r, state: s }) })
    expect(await b.node.system.call(pid, 'secure')).toBe('secure')
    // Large Buffers both ways, as attachments (64 KiB) and as a stream (300 KiB), through the corked TLS socket.
    for (const size of [64 * 1024, 300_000]) {
      const data = Buffer.alloc(size)
      for (let i = 0; i < size; i += 101) data[i] = i % 251
      const back = await b.node.system.call<{ data: Buffer }>(pid, { data })
      expect(Buffer.from(back.data).equals(data)).toBe(true)
    }
    // TLS sockets read large frames in place too (what they decrypt goes straight into the frame's Buffer).
    for (const { node, log } of [a, b]) {
      expect(node.stats().peers[0]!.framesReadInPlace).toBeGreaterThan(0)
      expect(log.records.filter((r) => String(r['msg']).startsWith('reading large frames in place'))).toEqual([])
    }
  })

  it('refuses a peer whose certificate the CA did not sign, in both directions', async () => {
    const a = await testNode('a', { tls: { ...good, ca } })
    const intruder = await testNode('intruder', { tls: { ...rogue, ca } })
    await expect(intruder.node.connect({ name: a.node.name, url: a.node.url })).rejects.toMatchObject({ code: 'COHORT_ERR_HANDSHAKE_FAILED' })
    await until(() => logged(a.log, 'tls handshake failed').length > 0, 'the tls refusal to be logged')
    await expect(a.node.connect({ name: intruder.node.name, url: intruder.node.url })).rejects.toMatchObject({ code: 'COHORT_ERR_HANDSHAKE_FAILED' })
    expect(a.node.nodes()).toEqual([])
    expect(intruder.node.nodes()).toEqual([])
  })
})
