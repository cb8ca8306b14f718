import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadPgPoolConfig } from './pg-pool-config.ts'

describe('loadPgPoolConfig', () => {
  it('reads the libpq variables and the pool settings, with defaults', async () => {
    const config = await loadPgPoolConfig({ PGHOST: 'db', PGPORT: '6543', PGDATABASE: 'app', POOL_SIZE: '8', POOL_ON_GIVE_UP: 'escalate' })
    expect(config).toEqual({
      pool: {
        connection: { host: 'db', port: 6543, user: 'postgres', database: 'app' },
        size: 8,
        maxWaiting: 100,
        checkoutTimeoutMs: 5000,
        queryTimeoutMs: 5000,
        onGiveUp: 'escalate',
      },
      http: { host: '127.0.0.1', port: 8080 },
    })
  })

  it('reads the password from a mounted file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-pool-config-'))
    writeFileSync(join(dir, 'password'), 's3cret\n')
    const config = await loadPgPoolConfig({ PGPASSWORD_FILE: join(dir, 'password') })
    expect(config.pool.connection.password).toBe('s3cret')
  })

  it('names the variable that is wrong', async () => {
    await expect(loadPgPoolConfig({ POOL_SIZE: 'four' })).rejects.toThrow('invalid POOL_SIZE: expected an integer in 1..1000, got "four"')
    await expect(loadPgPoolConfig({ POOL_ON_GIVE_UP: 'crash' })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_CONFIG', variable: 'POOL_ON_GIVE_UP' })
    await expect(loadPgPoolConfig({ PGPASSWORD: 'x', PGPASSWORD_FILE: '/x' })).rejects.toThrow('set either PGPASSWORD or PGPASSWORD_FILE, not both')
    await expect(loadPgPoolConfig({ PGPASSWORD_FILE: '/nonexistent/password' })).rejects.toThrow('invalid PGPASSWORD_FILE: cannot read /nonexistent/password')
  })
})
