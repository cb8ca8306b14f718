/**
 * The observer page: one self-contained HTML document (no external scripts, styles or fonts) that polls the
 * cluster report of the node serving it once a second and draws the cluster: nodes up and down, the connection
 * mesh with message rates, supervision trees, the deepest mailboxes, restarts and the node events as they happen.
 * Every value from the cluster is inserted as text, never as HTML, so a node name or an exit reason cannot inject
 * markup. Served by `observerRequestHandler` at `/observer`; the report comes from `/observer/cluster.json`.
 */

/** How often the page asks for a new report. */
export const OBSERVER_REFRESH_MS = 1000

/** The page, as served. */
export const OBSERVER_PAGE: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cohort observer</title>
<style>
  :root { --up: #1a7f37; --down: #cf222e; --warn: #9a6700; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; }
  * { box-sizing: border-box; }
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; }
  header { padding: 12px 20px; background: #24292f; color: #fff; display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  header .meta { color: #d0d7de; }
  #connection[data-state="lost"] { color: #ff8182; font-weight: 600; }
  main { padding: 16px 20px; display: grid; gap: 20px; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  .nodes { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 12px; }
  .node { border: 1px solid var(--line); border-left: 6px solid var(--up); border-radius: 6px; padding: 8px 12px; background: #fff; }
  .node[data-status="down"] { border-left-color: var(--down); background: #fff5f5; }
  .node[data-status="silent"] { border-left-color: var(--warn); }
  .node .name { font-weight: 600; word-break: break-all; }
  .badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; color: #fff; background: var(--up); }
  .node[data-status="down"] .badge { background: var(--down); }
  .node[data-status="silent"] .badge { background: var(--warn); }
  .node dl { display: grid; grid-template-columns: auto 1fr; gap: 0 10px; margin: 6px 0 0; }
  .node dt { color: var(--muted); }
  .node dd { margin: 0; font-variant-numeric: tabular-nums; }
  table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: right; }
  th { background: var(--bg); font-weight: 600; }
  td.name, th.name { text-align: left; }
  td.off { color: var(--muted); text-align: center; }
  td.down { background: #ffebe9; text-align: center; }
  .trees { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 12px; }
  .tree { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
  .tree ul { list-style: none; margin: 0; padding-left: 16px; border-left: 1px dotted var(--line); }
  .tree > ul { border-left: 0; padding-left: 0; }
  .tree .pid { color: var(--muted); font-family: ui-monospace, monospace; font-size: 12px; }
  .tree .stopped { color: var(--down); }
  #events { list-style: none; margin: 0; padding: 0; max-height: 320px; overflow: auto; font-family: ui-monospace, monospace; font-size: 12px; }
  #events li { padding: 2px 0; border-bottom: 1px solid var(--bg); }
  #events .nodedown { color: var(--down); }
  #events .nodeup { color: var(--up); }
  #events .restart { color: var(--warn); }
  .empty { color: var(--muted); }
</style>
</head>
<body>
<header>
  <h1>Cohort observer</h1>
  <span class="meta">seen from <b id="observed-from">…</b></span>
  <span class="meta" id="summary"></span>
  <span class="meta" id="connection" data-state="connecting">connecting…</span>
</header>
<main>
  <section><h2>Nodes</h2><div class="nodes" id="nodes"></div></section>
  <section><h2>Connections <small class="empty">(messages per second from row to column)</small></h2><div id="mesh"></div></section>
  <section><h2>Supervision trees</h2><div class="trees" id="trees"></div></section>
  <section><h2>Deepest mailboxes</h2><div id="mailboxes"></div></section>
  <section><h2>Node events</h2><ul id="events"></ul></section>
</main>
<script>
'use strict'
const REFRESH_MS = ${OBSERVER_REFRESH_MS}
const reportUrl = location.pathname.replace(/\\/$/, '') + '/cluster.json'
const $ = (id) => document.getElementById(id)

function h(tag, attrs, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined) el.setAttribute(k, String(v))
  for (const c of children.flat()) if (c !== undefined && c !== null) el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  return el
}
const rate = (v) => (v === undefined || v === null ? '–' : v.toLocaleString('en') + '/s')
const time = (ms) => new Date(ms).toLocaleTimeString('en-GB', { hour12: false })
const short = (name) => name.split('@')[0]

function nodeCard(n) {
  return h('div', { class: 'node', 'data-node': n.node, 'data-status': 'up' },
    h('div', {}, h('span', { class: 'name' }, n.node), ' ', h('span', { class: 'badge' }, 'up')),
    h('dl', {},
      h('dt', {}, 'incarnation'), h('dd', {}, n.creation),
      h('dt', {}, 'peers'), h('dd', {}, n.nodes.length),
      h('dt', {}, 'actors'), h('dd', {}, n.actors),
      h('dt', {}, 'run queue'), h('dd', {}, n.runQueue),
      h('dt', {}, 'delivered'), h('dd', {}, rate(n.deliveredPerSecond)),
      h('dt', {}, 'dead letters'), h('dd', {}, n.deadLetters),
      h('dt', {}, 'restarts'), h('dd', {}, n.restarts)))
}

function downCard(d) {
  return h('div', { class: 'node', 'data-node': d.node, 'data-status': 'down' },
    h('div', {}, h('span', { class: 'name' }, d.node), ' ', h('span', { class: 'badge' }, 'down')),
    h('dl', {}, h('dt', {}, 'since'), h('dd', {}, time(d.since)), h('dt', {}, 'reason'), h('dd', {}, d.reason)))
}

function silentCard(s) {
  return h('div', { class: 'node', 'data-node': s.node, 'data-status': 'silent' },
    h('div', {}, h('span', { class: 'name' }, s.node), ' ', h('span', { class: 'badge' }, 'no answer')),
    h('dl', {}, h('dt', {}, 'error'), h('dd', {}, s.error)))
}

function mesh(report) {
  const up = report.nodes
  const all = [...up.map((n) => n.node), ...report.silent.map((s) => s.node), ...report.down.map((d) => d.node)].sort()
  if (all.length < 2) return h('p', { class: 'empty' }, 'a single node: no connections yet')
  const downSet = new Set(report.down.map((d) => d.node))
  const rows = all.map((from) => {
    const n = up.find((x) => x.node === from)
    return h('tr', {}, h('th', { class: 'name' }, short(from)), all.map((to) => {
      if (to === from) return h('td', { class: 'off' }, '·')
      if (downSet.has(from) || downSet.has(to)) return h('td', { class: 'down', 'data-from': from, 'data-to': to }, 'down')
      if (n === undefined) return h('td', { class: 'off' }, '?')
      const peer = n.peers.find((p) => p.node === to)
      if (peer === undefined || !n.nodes.includes(to)) return h('td', { class: 'off', 'data-from': from, 'data-to': to }, '—')
      return h('td', { 'data-from': from, 'data-to': to, title: peer.messagesOut + ' messages sent, ' + peer.queuedBytes + ' bytes queued' }, rate(peer.outPerSecond))
    }))
  })
  return h('table', {}, h('tr', {}, h('th', {}, 'from \\\\ to'), all.map((n) => h('th', {}, short(n)))), rows)
}

function tree(entries) {
  return h('ul', {}, entries.map((e) => h('li', {},
    h('span', { class: e.pid === undefined ? 'stopped' : '' }, e.id + (e.type === 'supervisor' ? ' [supervisor]' : '')), ' ',
    h('span', { class: 'pid' }, e.pid === undefined ? '(not running)' : e.pid),
    e.children.length > 0 ? tree(e.children) : undefined)))
}

function mailboxes(report) {
  const all = report.nodes.flatMap((n) => n.deepestMailboxes.map((m) => ({ ...m, node: n.node })))
    .sort((a, b) => b.mailboxDepth - a.mailboxDepth).slice(0, 10)
  if (all.length === 0) return h('p', { class: 'empty' }, 'every mailbox is empty')
  return h('table', {}, h('tr', {}, h('th', { class: 'name' }, 'node'), h('th', { class: 'name' }, 'actor'), h('th', {}, 'messages waiting')),
    all.map((m) => h('tr', {}, h('td', { class: 'name' }, short(m.node)), h('td', { class: 'name' }, (m.name || m.behaviour) + ' ' + m.pid), h('td', {}, m.mailboxDepth))))
}

const seenEvents = new Map()
function events(report) {
  for (const n of report.nodes) for (const e of n.events) seenEvents.set(JSON.stringify(e), e)
  const list = [...seenEvents.values()].sort((a, b) => b.at - a.at).slice(0, 200)
  if (list.length === 0) return [h('li', { class: 'empty' }, 'no node events yet')]
  return list.map((e) => {
    const text = e.type === 'restart'
      ? short(e.node) + ': restarted ' + e.child + ' after ' + e.reason
      : short(e.node) + ': ' + e.type + ' ' + e.peer + (e.type === 'nodedown' ? ' (' + e.reason + ')' : '')
    return h('li', { class: e.type }, time(e.at) + '  ' + text)
  })
}

function draw(report) {
  $('observed-from').textContent = report.observedFrom
  $('summary').textContent = report.nodes.length + ' up, ' + report.down.length + ' down' + (report.silent.length > 0 ? ', ' + report.silent.length + ' not answering' : '')
  $('nodes').replaceChildren(...report.nodes.map(nodeCard), ...report.silent.map(silentCard), ...report.down.map(downCard))
  $('mesh').replaceChildren(mesh(report))
  $('trees').replaceChildren(...report.nodes.map((n) => h('div', { class: 'tree', 'data-node': n.node }, h('b', {}, n.node), n.tree.length > 0 ? tree(n.tree) : h('p', { class: 'empty' }, 'no supervisor above the observer'))))
  $('mailboxes').replaceChildren(mailboxes(report))
  $('events').replaceChildren(...events(report))
}

async function refresh() {
  try {
    const res = await fetch(reportUrl, { cache: 'no-store' })
    if (!res.ok) throw new Error(res.status + ' ' + (await res.text()))
    draw(await res.json())
    $('connection').dataset.state = 'live'
    $('connection').textContent = 'live, updated ' + time(Date.now())
  } catch (error) {
    $('connection').dataset.state = 'lost'
    $('connection').textContent = 'cannot reach the node: ' + error.message
  } finally {
    setTimeout(refresh, REFRESH_MS)
  }
}
refresh()
</script>
</body>
</html>
`
