/** The text `cohort doctor` prints: one line per check, PASS or FAIL, and the fix under each failure. */
import type { DoctorCheck } from './doctor-checks.ts'

export function formatDoctorReport(checks: readonly DoctorCheck[]): string {
  const lines: string[] = []
  for (const c of checks) {
    lines.push(`${c.ok ? 'PASS' : 'FAIL'}  ${c.check.padEnd(10)} ${c.detail}`)
    if (!c.ok && c.fix !== undefined) lines.push(`      ${' '.repeat(10)} fix: ${c.fix}`)
  }
  const failed = checks.filter((c) => !c.ok).length
  lines.push('', failed === 0 ? `all ${checks.length} checks passed` : `${failed} of ${checks.length} checks failed`)
  return `${lines.join('\n')}\n`
}
