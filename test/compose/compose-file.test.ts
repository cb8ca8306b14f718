/**
 * The compose reader the namespace proof relies on: it resolves YAML merge keys as compose does, reads durations and
 * port ranges, and refuses any key it does not model, naming it, so the proof never silently skips part of a file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { parseDuration, readComposeFile } from '../support/compose-file.ts'

const dir = mkdtempSync(join(tmpdir(), 'cohort-compose-file-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function compose(text: string): string {
  const path = join(dir, `compose-${Math.random().toString(36).slice(2)}.yml`)
  writeFileSync(path, text)
  return path
}

describe('readComposeFile', () => {
  it("resolves the repository file's merge keys into each service", () => {
    const file = readComposeFile(fileURLToPath(new URL('../../docker-compose.yml', import.meta.url)))
    const chat = file.services.find((s) => s.name === 'chat')!
    expect(chat.environment).toMatchObject({ COHORT_HOST: 'auto', COHORT_BASENAME: 'chat', COHORT_DISCOVERY: 'dnsA' })
    expect(chat.secrets).toEqual([{ source: 'cohort_cookie', target: 'cohort_cookie' }])
    expect(chat.stopGracePeriodMs).toBe(10_000)
    expect(chat.ports).toEqual([{ hostIp: '127.0.0.1', hostFrom: 8080, hostTo: 8082, container: 8080 }])
    expect(file.secrets.get('cohort_cookie')).toMatch(/deploy\/compose\/cohort-cookie\.txt$/)
  })

  it('refuses keys it does not model, naming the service and the key', () => {
    const path = compose('services:\n  web:\n    command: ["node", "x.js"]\n    volumes: ["./data:/data"]\n')
    expect(() => readComposeFile(path)).toThrow(/service web uses "volumes", which the namespace harness does not model/)
    const top = compose('services: {}\nnetworks:\n  back: {}\n')
    expect(() => readComposeFile(top)).toThrow(/top-level "networks" is not modelled/)
  })

  it('refuses a shell-form command and a secret that is not a file', () => {
    expect(() => readComposeFile(compose('services:\n  web:\n    command: node x.js\n'))).toThrow(/command must be an exec-form list/)
    expect(() => readComposeFile(compose('services: {}\nsecrets:\n  s:\n    environment: S\n'))).toThrow(/secret s must come from a file/)
  })
})

describe('parseDuration', () => {
  it('reads compose durations and names a malformed one', () => {
    expect(parseDuration('10s', 'x')).toBe(10_000)
    expect(parseDuration('1m30s', 'x')).toBe(90_000)
    expect(parseDuration('500ms', 'x')).toBe(500)
    expect(() => parseDuration('10 seconds', 'stop_grace_period')).toThrow('stop_grace_period: "10 seconds" is not a compose duration')
  })
})
