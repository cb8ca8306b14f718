/**
 * Figures of a scenario's run, for test/RELIABILITY.md: printed as one `RELIABILITY <scenario> <json>` line and,
 * with COHORT_RELIABILITY_OUT set to a directory, written there as <scenario>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export function record(scenario: string, figures: Record<string, unknown>): void {
  const json = JSON.stringify(figures)
  console.log(`RELIABILITY ${scenario} ${json}`)
  const dir = process.env['COHORT_RELIABILITY_OUT']
  if (dir !== undefined && dir !== '') {
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, `${scenario}.json`), `${json}\n`)
  }
}
