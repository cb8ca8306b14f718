import { describe, expect, it } from 'vitest'
import { runStrategy } from '../../test-support/run-strategy.ts'
import { localNodeName } from '../peer-address.ts'
import { localPorts } from './local-ports.ts'

describe('localPorts', () => {
  it('reports one peer per port of a range, named like localNodeName', () => {
    const r = runStrategy(localPorts({ ports: { from: 4370, to: 4372 }, basename: 'chat' }))
    expect(r.last()?.peers).toEqual([
      { name: 'chat-4370@127.0.0.1', url: 'ws://127.0.0.1:4370' },
      { name: 'chat-4371@127.0.0.1', url: 'ws://127.0.0.1:4371' },
      { name: 'chat-4372@127.0.0.1', url: 'ws://127.0.0.1:4372' },
    ])
    expect(r.names()).toContain(localNodeName({ basename: 'chat', host: '127.0.0.1', port: 4371 }))
  })

  it('accepts a list of ports and an IPv6 host, bracketed in URLs only', () => {
    const r = runStrategy(localPorts({ host: '::1', ports: [5000, 5000, 5002], basename: 'cache' }))
    expect(r.last()?.peers).toEqual([
      { name: 'cache-5000@::1', url: 'ws://[::1]:5000' },
      { name: 'cache-5002@::1', url: 'ws://[::1]:5002' },
    ])
  })

  it('rejects bad ports, ranges and basenames', () => {
    expect(() => localPorts({ ports: [0], basename: 'chat' })).toThrow(/invalid option ports\[0\]: 0/)
    expect(() => localPorts({ ports: { from: 10, to: 5 }, basename: 'chat' })).toThrow(/invalid option ports/)
    expect(() => localPorts({ ports: [1], basename: 'a@b' })).toThrow(/invalid option basename: "a@b"/)
  })
})
