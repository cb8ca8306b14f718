/** A node named after an address that is not this machine's is found out: by the check, and by startNode's warning. */
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { AddressInUseError } from './errors.ts'
import { checkNameHost, listenProblem } from './node/name-host-check.ts'
import { startNode } from './start-node.ts'
import { testNode, until } from './test-support/nodes.ts'

const io = { localAddresses: () => ['127.0.0.1', '10.0.0.5', 'fe80::1'], lookup: async (h: string) => (h === 'pod.svc' ? ['10.0.0.5'] : ['192.0.2.9']) }

describe('checkNameHost', () => {
  it('accepts an address of this machine, or a name that resolves to one', async () => {
    expect(await checkNameHost('10.0.0.5', io)).toMatchObject({ local: true, problem: undefined })
    expect(await checkNameHost('[fe80::1]', io)).toMatchObject({ local: true })
    expect(await checkNameHost('pod.svc', io)).toMatchObject({ local: true, addresses: ['10.0.0.5'] })
    expect(await checkNameHost('localhost')).toMatchObject({ local: true })
  })

  it('names the host and the fix when it is not this machine', async () => {
    const ip = await checkNameHost('10.9.9.9', io)
    expect(ip.local).toBe(false)
    expect(ip.problem).toMatch(/10\.9\.9\.9 is not an address of this machine.*COHORT_HOST/)
    const named = await checkNameHost('elsewhere.example', io)
    expect(named.problem).toContain('(192.0.2.9)')
    const missing = await checkNameHost('nowhere.invalid', { ...io, lookup: async () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' })) })
    expect(missing).toMatchObject({ local: false, addresses: [] })
    expect(missing.problem).toMatch(/does not resolve \(ENOTFOUND\)/)
  })

  it('finds a node that listens on one address while its name points at another', async () => {
    const here = await checkNameHost('10.0.0.5', io)
    expect(listenProblem('127.0.0.1', here)).toMatch(/listens on 127\.0\.0\.1 only, but peers dial the name's host 10\.0\.0\.5/)
    expect(listenProblem('0.0.0.0', here)).toBeUndefined()
    expect(listenProblem('10.0.0.5', here)).toBeUndefined()
    expect(listenProblem('127.0.0.1', await checkNameHost('127.0.0.1', io))).toBeUndefined()
  })

  it('startNode warns when its name points elsewhere, and not when it points here', async () => {
    const far = await testNode('y', { name: 'y@10.9.9.9' })
    await until(() => far.log.records.some((r) => String(r['msg']).startsWith('node name unreachable')), 'the warning')
    expect(far.log.records.find((r) => String(r['msg']).startsWith('node name unreachable'))).toMatchObject({ level: 40, host: '10.9.9.9' })
    const near = await testNode('z')
    // For an IP address the check needs no DNS: it settles within the turn, so a warning would be logged by the
    // time the next turn of the event loop runs.
    await new Promise((r) => setImmediate(r))
    expect(near.log.records.some((r) => String(r['msg']).startsWith('node name unreachable'))).toBe(false)
  })
})

describe('listening on a port in use', () => {
  it('rejects with AddressInUseError naming the address and the fix', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as AddressInfo).port
    try {
      const attempt = startNode({ name: 'a@127.0.0.1', cookie: 'c', host: '127.0.0.1', port })
      await expect(attempt).rejects.toBeInstanceOf(AddressInUseError)
      await expect(attempt).rejects.toMatchObject({
        code: 'COHORT_ERR_ADDRESS_IN_USE',
        message: expect.stringContaining(`127.0.0.1:${port}`),
      })
    } finally {
      await new Promise((r) => blocker.close(r))
    }
  })
})
