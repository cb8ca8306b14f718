import { describe, expect, it } from 'vitest'
import { getHeapStatistics } from 'node:v8'
import { loadCacheConfig, parseMemorySize } from './cache-config.ts'

const base = { COHORT_COOKIE: 'secret', COHORT_NODE_NAME: 'cache@127.0.0.1' }
const load = (env: Record<string, string>) => loadCacheConfig({ env: { ...base, ...env }, readFile: () => Promise.reject(new Error('no files here')) })

describe('loadCacheConfig', () => {
  it('leaves RESP off unless REDIS_PORT is set, and applies the defaults', async () => {
    const config = await load({})
    expect(config.cache).toEqual({ redisPort: undefined, redisHost: '0.0.0.0', scope: 'cache', maxRequestBytes: 16 * 1024 * 1024, maxClients: 10_000, maxHttpConnections: 10_000, password: undefined, maxMemoryBytes: Math.floor(getHeapStatistics().heap_size_limit / 2), readyCatchUpMs: 60_000 })
    expect(config.cohort.node.cookie).toBe('secret')
  })

  it('reads the cache variables', async () => {
    const config = await load({ REDIS_PORT: '6380', REDIS_HOST: '127.0.0.1', CACHE_SCOPE: 'sessions', CACHE_MAX_REQUEST_BYTES: '1048576', CACHE_MAX_CLIENTS: '500', CACHE_MAX_HTTP_CONNECTIONS: '700', CACHE_MAX_MEMORY: '256mb', CACHE_READY_CATCH_UP_MS: '0' })
    expect(config.cache).toEqual({ redisPort: 6380, redisHost: '127.0.0.1', scope: 'sessions', maxRequestBytes: 1048576, maxClients: 500, maxHttpConnections: 700, password: undefined, maxMemoryBytes: 256 * 1024 * 1024, readyCatchUpMs: 0 })
    await expect(load({ CACHE_READY_CATCH_UP_MS: '-5' })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_CONFIG', variable: 'CACHE_READY_CATCH_UP_MS' })
  })

  it('reads CACHE_MAX_MEMORY as Redis writes maxmemory, and names it when it cannot', async () => {
    const sizes: [string, number][] = [['0', 0], ['1048576', 1048576], ['100k', 100_000], ['100KB', 102_400], ['2m', 2_000_000], ['256mb', 268_435_456], ['1g', 1e9], ['2GB', 2 * 1024 ** 3]]
    for (const [text, bytes] of sizes) expect(parseMemorySize('CACHE_MAX_MEMORY', text), text).toBe(bytes)
    for (const text of ['-1', '1.5gb', '1tb', 'lots', '9'.repeat(16)]) {
      await expect(load({ CACHE_MAX_MEMORY: text })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_CONFIG', variable: 'CACHE_MAX_MEMORY' })
    }
    await expect(load({ CACHE_MAX_MEMORY: 'lots' })).rejects.toThrow(/expected bytes or a size such as 256mb or 2gb \(0: no limit\), got "lots"/)
    expect((await load({ CACHE_MAX_MEMORY: '999999999999999gb' }).catch((e: Error) => e.message))).toMatch(/too large/)
  })

  it('reads the password from CACHE_PASSWORD or from the file CACHE_PASSWORD_FILE names, not both', async () => {
    expect((await load({ CACHE_PASSWORD: 's3cret pass' })).cache.password).toBe('s3cret pass')
    const files = { '/run/secrets/cache-password': 'from a secret\n', '/run/secrets/empty': '\n' }
    const readFile = (path: string): Promise<string> => {
      const text = files[path as keyof typeof files]
      return text === undefined ? Promise.reject(new Error(`ENOENT: ${path}`)) : Promise.resolve(text)
    }
    const fromFile = (env: Record<string, string>) => loadCacheConfig({ env: { ...base, ...env }, readFile })
    expect((await fromFile({ CACHE_PASSWORD_FILE: '/run/secrets/cache-password' })).cache.password).toBe('from a secret')
    await expect(fromFile({ CACHE_PASSWORD_FILE: '/run/secrets/missing' })).rejects.toThrow(/invalid CACHE_PASSWORD_FILE: cannot read "\/run\/secrets\/missing"/)
    await expect(fromFile({ CACHE_PASSWORD_FILE: '/run/secrets/empty' })).rejects.toThrow(/invalid CACHE_PASSWORD_FILE: "\/run\/secrets\/empty" is empty/)
    await expect(fromFile({ CACHE_PASSWORD: 'x', CACHE_PASSWORD_FILE: '/run/secrets/cache-password' })).rejects.toMatchObject({
      code: 'COHORT_ERR_INVALID_CONFIG',
      variable: 'CACHE_PASSWORD_FILE',
    })
    expect((await load({ CACHE_PASSWORD: '' })).cache.password).toBeUndefined()
  })

  it('names the variable that is wrong', async () => {
    await expect(load({ REDIS_PORT: '70000' })).rejects.toThrow(/invalid REDIS_PORT: expected an integer in 0\.\.65535, got "70000"/)
    await expect(load({ REDIS_PORT: 'six' })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_CONFIG', variable: 'REDIS_PORT' })
    await expect(load({ CACHE_SCOPE: 'a b' })).rejects.toThrow(/invalid CACHE_SCOPE/)
    await expect(load({ CACHE_MAX_REQUEST_BYTES: '10' })).rejects.toThrow(/invalid CACHE_MAX_REQUEST_BYTES: expected an integer in 1024\.\./)
    await expect(load({ CACHE_MAX_CLIENTS: '0' })).rejects.toThrow(/invalid CACHE_MAX_CLIENTS: expected an integer in 1\.\./)
    await expect(load({ CACHE_MAX_HTTP_CONNECTIONS: 'lots' })).rejects.toThrow(/invalid CACHE_MAX_HTTP_CONNECTIONS: expected an integer in 1\.\./)
    await expect(load({ REDIS_HOST: 'a host' })).rejects.toThrow(/invalid REDIS_HOST/)
    await expect(loadCacheConfig({ env: {} })).rejects.toThrow(/COHORT_COOKIE/)
  })
})
