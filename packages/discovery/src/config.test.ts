import { describe, expect, it } from 'vitest'
import { loadConfig, readConfigVariables } from './config.ts'
import { strategyFromConfig } from './strategy-from-config.ts'

const noFiles = async (path: string): Promise<string> => {
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' })
}
const filesOf =
  (files: Record<string, string>) =>
  async (path: string): Promise<string> => {
    const v = files[path]
    if (v === undefined) return noFiles(path)
    return v
  }

describe('loadConfig', () => {
  it('applies the defaults', async () => {
    const config = await loadConfig({ env: { COHORT_COOKIE: 's3cret' }, readFile: noFiles })
    expect(config).toEqual({
      node: { name: 'cohort@127.0.0.1', basename: 'cohort', host: '127.0.0.1', port: 4370, cookie: 's3cret', tickMs: 15_000, maskFrames: false, busyWaitMs: 0 },
      discovery: { strategy: 'static', peers: [] },
      probes: { host: '0.0.0.0', port: 8081 },
      shutdown: { drainDelayMs: 2_000, gracePeriodMs: 20_000 },
      logLevel: 'info',
    })
  })

  it('reads the cookie from a file mounted from a Secret, trimmed', async () => {
    const config = await loadConfig({
      env: { COHORT_COOKIE_FILE: '/etc/cohort/cookie' },
      readFile: filesOf({ '/etc/cohort/cookie': 'from-secret\n' }),
    })
    expect(config.node.cookie).toBe('from-secret')
  })

  it('reads any variable from a _FILE twin (ConfigMap keys mounted as files)', async () => {
    const config = await loadConfig({
      env: { COHORT_COOKIE: 'c', COHORT_DNS_QUERY_FILE: '/cfg/query', COHORT_DISCOVERY: 'dnsA' },
      readFile: filesOf({ '/cfg/query': 'chat.\n' }),
    })
    expect(config.discovery).toMatchObject({ strategy: 'dnsA', query: 'chat.' })
  })

  it('fails when the cookie is missing, or its file cannot be read, naming the variable', async () => {
    await expect(loadConfig({ env: {}, readFile: noFiles })).rejects.toMatchObject({
      code: 'COHORT_ERR_INVALID_CONFIG',
      variable: 'COHORT_COOKIE',
    })
    await expect(loadConfig({ env: { COHORT_COOKIE_FILE: '/nope' }, readFile: noFiles })).rejects.toThrow(
      'invalid COHORT_COOKIE_FILE: cannot read "/nope"',
    )
    await expect(loadConfig({ env: { COHORT_COOKIE: 'a', COHORT_COOKIE_FILE: '/x' }, readFile: noFiles })).rejects.toThrow(
      'set either COHORT_COOKIE or COHORT_COOKIE_FILE, not both',
    )
  })

  it('rejects malformed numbers and enums, naming the variable and value', async () => {
    const env = { COHORT_COOKIE: 'c' }
    await expect(loadConfig({ env: { ...env, COHORT_PORT: '43x' }, readFile: noFiles })).rejects.toThrow(
      'invalid COHORT_PORT: expected an integer in 0..65535, got "43x"',
    )
    await expect(loadConfig({ env: { ...env, COHORT_DISCOVERY: 'consul' }, readFile: noFiles })).rejects.toThrow(
      'invalid COHORT_DISCOVERY: expected one of static, localPorts, dnsA, dnsSrv, kubernetes, got "consul"',
    )
    await expect(loadConfig({ env: { ...env, COHORT_LOG_LEVEL: 'loud' }, readFile: noFiles })).rejects.toMatchObject({
      variable: 'COHORT_LOG_LEVEL',
    })
    await expect(loadConfig({ env: { ...env, COHORT_MASK_FRAMES: 'yes' }, readFile: noFiles })).rejects.toThrow(
      'invalid COHORT_MASK_FRAMES: expected one of true, false, got "yes"',
    )
    await expect(
      loadConfig({ env: { ...env, COHORT_DRAIN_DELAY_MS: '30000', COHORT_GRACE_PERIOD_MS: '20000' }, readFile: noFiles }),
    ).rejects.toMatchObject({ variable: 'COHORT_GRACE_PERIOD_MS' })
  })

  it('reads COHORT_MASK_FRAMES as the transport option maskFrames', async () => {
    const env = { COHORT_COOKIE: 'c' }
    expect((await loadConfig({ env: { ...env, COHORT_MASK_FRAMES: 'true' }, readFile: noFiles })).node.maskFrames).toBe(true)
    expect((await loadConfig({ env: { ...env, COHORT_MASK_FRAMES: 'false' }, readFile: noFiles })).node.maskFrames).toBe(false)
  })

  it('reads COHORT_BUSY_WAIT_MS as the transport option busyWaitMs, within its bounds', async () => {
    const env = { COHORT_COOKIE: 'c' }
    expect((await loadConfig({ env: { ...env, COHORT_BUSY_WAIT_MS: '2' }, readFile: noFiles })).node.busyWaitMs).toBe(2)
    await expect(loadConfig({ env: { ...env, COHORT_BUSY_WAIT_MS: '1001' }, readFile: noFiles })).rejects.toThrow(
      'invalid COHORT_BUSY_WAIT_MS: expected an integer in 0..1000, got "1001"',
    )
    await expect(loadConfig({ env: { ...env, COHORT_BUSY_WAIT_MS: '0.5' }, readFile: noFiles })).rejects.toMatchObject({ variable: 'COHORT_BUSY_WAIT_MS' })
  })

  it('never shows the cookie in an error', async () => {
    await expect(loadConfig({ env: { COHORT_COOKIE: 'c', COHORT_PEERS: 'bad' }, readFile: noFiles })).rejects.toThrow(
      'invalid COHORT_PEERS: entry "bad" is neither',
    )
  })

  it('parses static peers in both forms', async () => {
    const config = await loadConfig({
      env: { COHORT_COOKIE: 'c', COHORT_PEERS: 'chat@10.0.0.5=ws://10.0.0.5:4370, chat@[fd00::6]:4371' },
      readFile: noFiles,
    })
    expect(config.discovery).toEqual({
      strategy: 'static',
      peers: [
        { name: 'chat@10.0.0.5', url: 'ws://10.0.0.5:4370' },
        { name: 'chat@fd00::6', url: 'ws://[fd00::6]:4371' },
      ],
    })
  })

  it('names a local demo node <basename>-<port>@<host>, as localPorts does', async () => {
    const config = await loadConfig({
      env: { COHORT_COOKIE: 'c', COHORT_BASENAME: 'chat', COHORT_PORT: '4371', COHORT_DISCOVERY: 'localPorts', COHORT_LOCAL_PORTS: '4370-4372' },
      readFile: noFiles,
    })
    expect(config.node.name).toBe('chat-4371@127.0.0.1')
    expect(config.discovery).toMatchObject({ ports: [4370, 4371, 4372] })
    await expect(
      loadConfig({ env: { COHORT_COOKIE: 'c', COHORT_DISCOVERY: 'localPorts', COHORT_LOCAL_PORTS: '9-1' }, readFile: noFiles }),
    ).rejects.toMatchObject({ variable: 'COHORT_LOCAL_PORTS' })
  })

  it('finds its own address with COHORT_HOST=auto, as a docker-compose container must', async () => {
    const iface = (address: string, family: 'IPv4' | 'IPv6', internal: boolean) =>
      ({ address, family, internal, netmask: '', mac: '', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) }) as never
    const env = { COHORT_COOKIE: 'c', COHORT_BASENAME: 'chat', COHORT_HOST: 'auto', COHORT_DISCOVERY: 'dnsA', COHORT_DNS_QUERY: 'chat' }
    const v4 = await loadConfig({
      env,
      readFile: noFiles,
      networkInterfaces: () => ({ lo: [iface('127.0.0.1', 'IPv4', true)], eth0: [iface('fe80::1', 'IPv6', false), iface('172.18.0.3', 'IPv4', false)] }),
    })
    expect(v4.node).toMatchObject({ host: '172.18.0.3', name: 'chat@172.18.0.3' })
    const v6 = await loadConfig({ env, readFile: noFiles, networkInterfaces: () => ({ eth0: [iface('fe80::1', 'IPv6', false), iface('fd00::3', 'IPv6', false)] }) })
    expect(v6.node.host).toBe('fd00::3')
    await expect(loadConfig({ env, readFile: noFiles, networkInterfaces: () => ({ lo: [iface('127.0.0.1', 'IPv4', true)] }) })).rejects.toMatchObject({
      code: 'COHORT_ERR_INVALID_CONFIG',
      variable: 'COHORT_HOST',
      message: expect.stringContaining('no network interface other than loopback'),
    })
  })

  it('takes the host from POD_IP and names the pod as its peers will in kubernetes mode', async () => {
    const env = {
      COHORT_COOKIE: 'c',
      COHORT_BASENAME: 'chat',
      POD_IP: '10.244.1.17',
      POD_NAME: 'cohort-0',
      COHORT_DISCOVERY: 'kubernetes',
      COHORT_K8S_SERVICE: 'cohort-headless',
      COHORT_K8S_PORT_NAME: 'cluster',
    }
    const ip = await loadConfig({ env, readFile: noFiles })
    expect(ip.node).toMatchObject({ name: 'chat@10.244.1.17', host: '10.244.1.17' })
    const dns = await loadConfig({
      env: { ...env, COHORT_K8S_NAME_MODE: 'dns' },
      readFile: filesOf({ '/var/run/secrets/kubernetes.io/serviceaccount/namespace': 'demo\n' }),
    })
    expect(dns.node.name).toBe('chat@10-244-1-17.cohort-headless.demo.svc.cluster.local')
    const hostname = await loadConfig({ env: { ...env, COHORT_K8S_NAME_MODE: 'hostname', POD_NAMESPACE: 'demo' }, readFile: noFiles })
    expect(hostname.node.name).toBe('chat@cohort-0.cohort-headless.demo.svc.cluster.local')
    await expect(loadConfig({ env: { ...env, COHORT_K8S_NAME_MODE: 'dns' }, readFile: noFiles })).rejects.toMatchObject({
      variable: 'COHORT_K8S_NAMESPACE',
    })
    await expect(
      loadConfig({ env: { ...env, COHORT_K8S_SERVICE: undefined, COHORT_K8S_LABEL_SELECTOR: undefined }, readFile: noFiles }),
    ).rejects.toMatchObject({ variable: 'COHORT_K8S_SERVICE' })
  })

  it('requires the query for the DNS strategies', async () => {
    await expect(loadConfig({ env: { COHORT_COOKIE: 'c', COHORT_DISCOVERY: 'dnsSrv' }, readFile: noFiles })).rejects.toThrow(
      'invalid COHORT_DNS_QUERY: missing: required when COHORT_DISCOVERY=dnsSrv',
    )
  })
})

describe('strategyFromConfig', () => {
  it('builds the strategy the configuration names', async () => {
    const names = []
    for (const env of [
      { COHORT_DISCOVERY: 'static' },
      { COHORT_DISCOVERY: 'localPorts', COHORT_LOCAL_PORTS: '4370,4371' },
      { COHORT_DISCOVERY: 'dnsA', COHORT_DNS_QUERY: 'chat', COHORT_DNS_SERVERS: '127.0.0.11' },
      { COHORT_DISCOVERY: 'dnsSrv', COHORT_DNS_QUERY: '_c._tcp.chat' },
      { COHORT_DISCOVERY: 'kubernetes', COHORT_K8S_SERVICE: 'svc' },
    ]) {
      const config = await loadConfig({ env: { COHORT_COOKIE: 'c', ...env }, readFile: noFiles })
      names.push(strategyFromConfig(config.discovery, { env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } }).name)
    }
    expect(names).toEqual(['staticPeers', 'localPorts', 'dnsA', 'dnsSrv', 'kubernetes'])
  })
})

describe('readConfigVariables', () => {
  it("reads an app's own variables from env or from their X_FILE twins, trimmed, by loadConfig's rules", async () => {
    const readFile = filesOf({ '/etc/app/limit': ' 7\n' })
    const values = await readConfigVariables({ APP_NAME: ' ada ', APP_LIMIT_FILE: '/etc/app/limit', APP_EMPTY: ' ' }, ['APP_NAME', 'APP_LIMIT', 'APP_EMPTY', 'APP_UNSET'], readFile)
    expect([...values]).toEqual([['APP_NAME', 'ada'], ['APP_LIMIT', '7']])
    await expect(readConfigVariables({ APP_LIMIT: '1', APP_LIMIT_FILE: '/etc/app/limit' }, ['APP_LIMIT'], readFile)).rejects.toThrow(
      'invalid APP_LIMIT_FILE: set either APP_LIMIT or APP_LIMIT_FILE, not both',
    )
    await expect(readConfigVariables({ APP_LIMIT_FILE: '/nope' }, ['APP_LIMIT'], readFile)).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_CONFIG', variable: 'APP_LIMIT_FILE' })
  })
})
