/**
 * The cache binary refuses a bad variable at start as the chat's does: one line on stderr naming the variable, with
 * the error's code (`COHORT_ERR_INVALID_CONFIG`, as the cache README's table promises), and exit code 1.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const MAIN = fileURLToPath(new URL('../../apps/cache/dist/main.js', import.meta.url))

describe('cache startup errors', () => {
  it('names the variable and the code, and exits 1', async () => {
    const env = { PATH: process.env['PATH'] ?? '', COHORT_COOKIE: 'a-cookie-for-this-test-only', COHORT_PORT: '0', HTTP_PORT: '0', CACHE_MAX_CLIENTS: 'lots' }
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [MAIN], { env }, (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }))
    })
    expect(code).toBe(1)
    expect(stderr).toMatch(/^cohort-cache: invalid CACHE_MAX_CLIENTS: .*lots.* \(COHORT_ERR_INVALID_CONFIG\)\n$/)
  })
})
