import { describe, expect, it } from 'vitest'
import type { BenchReport } from './report.ts'
import { generatedSection } from './results-markdown.ts'

const report: BenchReport = {
  cohortVersion: 'abc1234',
  startedAt: '2026-12-04T22:21:19.147Z',
  machine: { cpu: 'AMD EPYC', cores: 2, node: 'v20.20.2', os: 'linux', kernel: '6.18', memoryGiB: 24, bufferutil: true, erlang: '25', glibcTunables: null },
  quick: false,
  filter: null,
  scenarios: [],
}

/** The machine sentence of the generated part. */
const machineLine = (r: BenchReport): string => generatedSection(r, [], '').split('\n').find((l) => l.startsWith('Machine: '))!

describe('generatedSection', () => {
  it('puts what the probes saw of the host in the machine sentence', () => {
    const line = machineLine({
      ...report,
      hostStalls: { before: { threads: 2, durationMs: 2000, lostShare: 0.0138, longestMs: 7, over5ms: 1, over50ms: 0 } },
      freshMemory: { bytes: 64 * 1024 * 1024, tries: 3, firstUsPer4KiB: 10.72, againUsPer4KiB: 0.02 },
      systemCall: { calls: 100_000, rounds: 3, usPerCall: 1.68 },
    })
    expect(line).toContain('Host stalls (a thread spinning on each vCPU for 2000 ms, timing the gaps in its own clock reads): before the first scenario 1.38 % of each thread')
    expect(line).toContain('Fresh memory (one byte written to each 4 KiB of new allocations, then again): 10.72 µs for each 4 KiB written the first time, 0.02 µs once written (64 MiB, 3 tries).')
    expect(line).toContain('A system call that does no work: 1.68 µs for each getppid from JavaScript (100,000 calls, 3 rounds).')
  })

  it('names the hypervisor when the run recorded it, and says nothing of one when it did not', () => {
    expect(machineLine({ ...report, machine: { ...report.machine, hypervisor: 'PVM' } })).toContain('linux 6.18, under the PVM hypervisor; ws')
    expect(machineLine({ ...report, machine: { ...report.machine, hypervisor: null } })).toContain('linux 6.18, on bare metal; ws')
    expect(machineLine({ ...report, machine: { ...report.machine, hypervisor: 'unnamed' } })).toContain('under a hypervisor not named in the kernel log')
    expect(machineLine(report)).toContain('linux 6.18; ws')
  })

  it('names the Node flags the run started its processes with, and none for a report made before they were kept', () => {
    expect(machineLine({ ...report, machine: { ...report.machine, nodeFlags: ['--initial-heap-size=64'] } })).toContain(
      'GLIBC_TUNABLES of every scenario process: unset (glibc defaults); Node flags of every Node process: --initial-heap-size=64.',
    )
    expect(machineLine({ ...report, machine: { ...report.machine, nodeFlags: [] } })).toContain('Node flags of every Node process: none (Node defaults).')
    expect(machineLine(report)).not.toContain('Node flags')
  })

  it('leaves the probes out of a run that did not take them', () => {
    const line = machineLine(report)
    expect(line).not.toContain('Host stalls')
    expect(line).not.toContain('Fresh memory')
    expect(line).not.toContain('system call')
  })
})
