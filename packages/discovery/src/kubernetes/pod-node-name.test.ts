import { describe, expect, it } from 'vitest'
import { dashedAddress, kubernetesNodeName } from './pod-node-name.ts'

const base = { basename: 'chat', service: 'cohort-headless', namespace: 'demo' }

describe('kubernetesNodeName', () => {
  it('uses the pod IP in ip mode', () => {
    expect(kubernetesNodeName({ ...base, nameMode: 'ip', address: '10.244.1.17' })).toBe('chat@10.244.1.17')
    expect(kubernetesNodeName({ ...base, nameMode: 'ip', address: 'fd00::5' })).toBe('chat@fd00::5')
  })

  it('uses the name CoreDNS serves in dns mode: hostname if any, else the dashed IP', () => {
    expect(kubernetesNodeName({ ...base, nameMode: 'dns', address: '10.244.1.17' })).toBe(
      'chat@10-244-1-17.cohort-headless.demo.svc.cluster.local',
    )
    expect(kubernetesNodeName({ ...base, nameMode: 'dns', address: '10.244.1.17', hostname: 'cohort-0', clusterDomain: 'k.example.' })).toBe(
      'chat@cohort-0.cohort-headless.demo.svc.k.example',
    )
  })

  it('needs a hostname in hostname mode', () => {
    expect(kubernetesNodeName({ ...base, nameMode: 'hostname', address: '1.2.3.4', hostname: 'cohort-2' })).toBe(
      'chat@cohort-2.cohort-headless.demo.svc.cluster.local',
    )
    expect(kubernetesNodeName({ ...base, nameMode: 'hostname', address: '1.2.3.4' })).toBeUndefined()
  })

  it('dashes IPv6 addresses like CoreDNS, appending 0 to a trailing dash', () => {
    expect(dashedAddress('fd00:10:244::')).toBe('fd00-10-244--0')
  })
})
