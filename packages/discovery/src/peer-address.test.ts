import { describe, expect, it } from 'vitest'
import { nodeName } from '@cohort/core'
import { joinHostPort, localNodeName, peerUrl } from './peer-address.ts'

describe('peer addresses', () => {
  it('builds basename@host names and URLs with IPv6 bracketed', () => {
    expect(nodeName('chat', '10.0.0.5')).toBe('chat@10.0.0.5')
    expect(peerUrl('10.0.0.5', 4370)).toBe('ws://10.0.0.5:4370')
    expect(peerUrl('fd00::5', 4370, 'wss')).toBe('wss://[fd00::5]:4370')
    expect(joinHostPort('host.example', 1)).toBe('host.example:1')
  })

  it('names demo nodes <basename>-<port>@<host>', () => {
    expect(localNodeName({ basename: 'chat', host: '127.0.0.1', port: 4371 })).toBe('chat-4371@127.0.0.1')
  })
})
