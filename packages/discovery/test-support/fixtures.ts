/** The Kubernetes fixtures (test/discovery/fixtures: real API shapes), read as JSON. */
import { readFileSync } from 'node:fs'

const dir = new URL('../../../test/discovery/fixtures/', import.meta.url)

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, dir), 'utf8')
}

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(fixtureText(name)) as T
}

export function watchEvents(): Array<{ type: string; object: Record<string, unknown> }> {
  return fixtureText('watch-events.ndjson')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l))
}
