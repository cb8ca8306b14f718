/**
 * The terminal view of a cluster report, as `cohort status` (and the narrated demo) print it: a table of nodes, the
 * nodes that left, the mesh with messages per second, each node's supervision tree and deepest mailboxes, and the
 * latest node events. Pure formatting of the report `cohort_observer` answers, so it is tested without a cluster.
 */
import type { ClusterReport, ObserverEvent, TreeEntry } from '@cohort/discovery'

/** How many events the view shows, newest last. */
const EVENTS_SHOWN = 12

/** The report as text; `now` is when it is printed (only used for the header). */
export function formatStatus(report: ClusterReport): string {
  const up = report.nodes
  const total = up.length + report.silent.length + report.down.length
  const lines: string[] = [
    `cluster of ${total} node${total === 1 ? '' : 's'} seen from ${report.observedFrom} at ${clock(report.at)}: ` +
      `${up.length} up, ${report.down.length} down${report.silent.length > 0 ? `, ${report.silent.length} not answering` : ''}`,
    '',
  ]
  const rows = [
    ['NODE', 'INC', 'PEERS', 'ACTORS', 'RUNQ', 'DELIVERED/s', 'DEAD', 'RESTARTS'],
    ...up.map((n) => [n.node, n.creation, n.nodes.length, n.actors, n.runQueue, rate(n.deliveredPerSecond), n.deadLetters, n.restarts].map(String)),
    ...report.silent.map((s) => [s.node, '', '', '', '', '', '', `not answering: ${s.error}`]),
    ...report.down.map((d) => [d.node, '', '', '', '', '', '', `DOWN since ${clock(d.since)} (${d.reason})`]),
  ]
  lines.push(...table(rows), '')

  const links = up.flatMap((n) => n.peers.filter((p) => !p.hidden && n.nodes.includes(p.node)).map((p) => ({ from: n.node, p })))
  lines.push('connections (messages per second, this node → peer / peer → this node):')
  if (links.length === 0) lines.push('  (none)')
  for (const { from, p } of links) {
    lines.push(`  ${from} → ${p.node}  ${rate(p.outPerSecond)} out / ${rate(p.inPerSecond)} in, ${p.messagesOut} sent, ${p.messagesIn} received, ${p.queuedBytes} B queued`)
  }
  lines.push('')

  for (const n of up) {
    lines.push(`${n.node}`)
    lines.push('  supervision tree:')
    lines.push('    root')
    const walk = (entries: TreeEntry[], indent: string): void => {
      entries.forEach((e, i) => {
        const last = i === entries.length - 1
        lines.push(`${indent}${last ? '└─' : '├─'} ${e.id} ${e.pid ?? '(not running)'}${e.type === 'supervisor' ? ' [supervisor]' : ''}`)
        walk(e.children, `${indent}${last ? '   ' : '│  '}`)
      })
    }
    walk(n.tree, '    ')
    lines.push(`  deepest mailboxes:${n.deepestMailboxes.length === 0 ? ' (all empty)' : ''}`)
    for (const m of n.deepestMailboxes) lines.push(`    ${m.pid} ${m.name ?? m.behaviour}: ${m.mailboxDepth}`)
    lines.push('')
  }

  const seen = new Map<string, ObserverEvent>()
  for (const n of up) for (const e of n.events) seen.set(JSON.stringify(e), e)
  const events = [...seen.values()].sort((a, b) => a.at - b.at).slice(-EVENTS_SHOWN)
  lines.push(`latest node events:${events.length === 0 ? ' (none)' : ''}`)
  for (const e of events) lines.push(`  ${clock(e.at)} ${describeEvent(e)}`)
  return `${lines.join('\n')}\n`
}

function describeEvent(e: ObserverEvent): string {
  switch (e.type) {
    case 'nodeup':
      return `${e.node}: nodeup ${e.peer}`
    case 'nodedown':
      return `${e.node}: nodedown ${e.peer} (${e.reason})`
    case 'restart':
      return `${e.node}: supervisor restarted ${e.child} after: ${e.reason}`
  }
}

function rate(value: number | undefined): string {
  return value === undefined ? '–' : `${value}/s`
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19)
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)))
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ').trimEnd())
}
