/** Unit tests of node-name parsing. */
import { describe, expect, it } from 'vitest'
import { isNodeName, parseNodeName } from './node-name.ts'

describe('node names', () => {
  it('splits app@host, including IPv6 hosts', () => {
    expect(parseNodeName('chat@10.0.0.5')).toEqual({ app: 'chat', host: '10.0.0.5' })
    expect(parseNodeName('cache-1@pod.ns.svc')).toEqual({ app: 'cache-1', host: 'pod.ns.svc' })
    expect(parseNodeName('a@[::1]')).toEqual({ app: 'a', host: '[::1]' })
  })

  it('refuses names without app or host, with spaces, or too long', () => {
    for (const bad of ['chat', '@host', 'chat@', 'a b@h', 'a@h@i', 7, `${'a'.repeat(300)}@h`]) {
      expect(isNodeName(bad)).toBe(false)
      expect(() => parseNodeName(bad, 'peer.name')).toThrow(expect.objectContaining({ option: 'peer.name', code: 'COHORT_ERR_INVALID_OPTION' }))
    }
  })
})
