import { describe, expect, it } from 'vitest'
import { fixture } from '../../test-support/fixtures.ts'
import { endpointsOfSlices } from './endpoint-slices.ts'
import type { KubeObject } from './list-watch.ts'

const labels = { 'kubernetes.io/service-name': 'svc' }
const slice = (endpoints: unknown, ports: unknown = [{ name: 'cluster', port: 4370 }]): KubeObject =>
  ({ metadata: { name: 'x', namespace: 'demo', labels }, endpoints, ports }) as KubeObject

describe('endpointsOfSlices', () => {
  it('merges every slice of the Service and classes endpoints as active or not', () => {
    const list = fixture<{ items: KubeObject[] }>('endpointslice-list.json')
    const found = endpointsOfSlices(list.items, { portName: 'cluster', namespace: 'demo' })
    expect(found.filter((e) => e.active).map((e) => e.address)).toEqual(['10.244.1.17', '10.244.2.23', '10.244.3.9'])
    expect(found.filter((e) => !e.active).map((e) => e.address)).toEqual(['10.244.1.31', '10.244.2.40'])
    expect(found[0]).toMatchObject({ hostname: 'cohort-0', service: 'cohort-headless', namespace: 'demo', port: 4370 })
  })

  it('treats absent conditions as ready and a terminating endpoint as inactive even when ready', () => {
    const found = endpointsOfSlices(
      [slice([{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'], conditions: { ready: true, terminating: true } }])],
      { portName: undefined, namespace: 'demo' },
    )
    expect(found.map((e) => [e.address, e.active])).toEqual([
      ['10.0.0.1', true],
      ['10.0.0.2', false],
    ])
  })

  it('de-duplicates an address listed in two slices, preferring the ready copy', () => {
    const found = endpointsOfSlices(
      [slice([{ addresses: ['10.0.0.1'], conditions: { ready: false } }]), slice([{ addresses: ['10.0.0.1'], conditions: { ready: true } }])],
      { portName: 'cluster', namespace: 'demo' },
    )
    expect(found).toHaveLength(1)
    expect(found[0]?.active).toBe(true)
  })

  it('accepts endpoints: null and ports: null (a bookmark-shaped or port-less slice)', () => {
    expect(endpointsOfSlices([slice(null)], { portName: undefined, namespace: 'demo' })).toEqual([])
    const found = endpointsOfSlices([slice([{ addresses: ['10.0.0.1'] }], null)], { portName: undefined, namespace: 'demo' })
    expect(found[0]?.port).toBeUndefined()
  })

  it('needs a port name when a slice has several ports', () => {
    const ports = [{ name: 'cluster', port: 4370 }, { name: 'http', port: 8080 }]
    expect(endpointsOfSlices([slice([{ addresses: ['a'] }], ports)], { portName: undefined, namespace: 'd' })[0]?.port).toBeUndefined()
    expect(endpointsOfSlices([slice([{ addresses: ['a'] }], ports)], { portName: 'http', namespace: 'd' })[0]?.port).toBe(8080)
  })
})
