/**
 * The cluster observer: a server behaviour each node runs under the name `cohort_observer`, so any node, the
 * observer page and `cohort status` can ask it about its node (`'info'`) or about the whole cluster as it sees it
 * (`'cluster'`: it asks every connected peer's observer in turn). Like Erlang's observer, but for every node at once.
 * It listens to node events and restarts only (never the trace hook), so it costs nothing while nobody asks; rates
 * are counted between two reports, so they appear from the second one on.
 * Gotchas: the tree it reports is the one of the supervisor it runs under, so start it as a child of the root.
 */
import { whichChildren } from '@cohort/core'
import type { ActorSystem, ChildSpec, Ctx, From, Pid, ServerBehaviour } from '@cohort/core'
import type { ClusterReport, DownNode, MailboxEntry, NodeReport, ObserverEvent, PeerReport, SilentNode, TreeEntry } from './observer-report.ts'

/** The name the observer is registered under on every node. */
export const OBSERVER_NAME = 'cohort_observer'

/** Per-peer traffic as the transport counts it (`CohortNode` from `@cohort/transport` fits). */
export interface TrafficSource {
  stats(): {
    peers: ReadonlyArray<{
      node: string
      state: 'up' | 'connecting'
      hidden: boolean
      messagesIn: number
      messagesOut: number
      bytesIn: number
      bytesOut: number
      queuedBytes: number
    }>
  }
}

/** Options of clusterObserver. */
export interface ClusterObserverOptions {
  /** Where per-peer traffic comes from; pass the transport node. @default no per-peer traffic (in-memory tests) */
  traffic?: TrafficSource
  /** How many node events and restarts a node keeps for the event feed. @default 100 */
  maxEvents?: number
  /** How many of the deepest mailboxes a report lists. @default 10 */
  deepestMailboxes?: number
  /** How long each peer's observer has to answer a `'cluster'` request. @default 2000 */
  peerTimeoutMs?: number
}

/** The defaults of ClusterObserverOptions. */
export const DEFAULT_CLUSTER_OBSERVER_OPTIONS: Readonly<{ maxEvents: number; deepestMailboxes: number; peerTimeoutMs: number }> =
  Object.freeze({ maxEvents: 100, deepestMailboxes: 10, peerTimeoutMs: 2000 })

/** What the observer answers: `'ping'`, `'info'` (NodeReport) and `'cluster'` (ClusterReport). */
export type ObserverRequest = 'ping' | 'info' | 'cluster'

/** Rates shorter than this reuse the previous ones, so two watchers polling together do not see noise. */
const MIN_RATE_WINDOW_MS = 500

interface Sample {
  at: number
  delivered: number
  peers: Map<string, { in: number; out: number }>
}

interface ObserverState {
  events: ObserverEvent[]
  down: Map<string, DownNode>
  sample: Sample | undefined
  rates: { delivered: number | undefined; peers: Map<string, { in: number; out: number }> }
  stop: () => void
}

/**
 * The observer behaviour for `system`.
 * @example
 * await node.system.start(supervisor({ children: [observerChild(node.system, { traffic: node }), …] }))
 */
export function clusterObserver(system: ActorSystem, options: ClusterObserverOptions = {}): ServerBehaviour<ObserverState, unknown> {
  const maxEvents = options.maxEvents ?? DEFAULT_CLUSTER_OBSERVER_OPTIONS.maxEvents
  const deepest = options.deepestMailboxes ?? DEFAULT_CLUSTER_OBSERVER_OPTIONS.deepestMailboxes
  const peerTimeoutMs = options.peerTimeoutMs ?? DEFAULT_CLUSTER_OBSERVER_OPTIONS.peerTimeoutMs
  return {
    name: 'observer',
    init: () => {
      const state: ObserverState = { events: [], down: new Map(), sample: undefined, rates: { delivered: undefined, peers: new Map() }, stop: () => {} }
      const push = (event: ObserverEvent): void => {
        state.events.push(event)
        if (state.events.length > maxEvents) state.events.shift()
      }
      const stopNodes = system.monitorNodes((e) => {
        const at = system.clock.now()
        if (e.type === 'nodeup') {
          state.down.delete(e.node)
          push({ at, node: system.node, type: 'nodeup', peer: e.node })
        } else {
          state.down.set(e.node, { node: e.node, since: at, reason: e.reason })
          push({ at, node: system.node, type: 'nodedown', peer: e.node, reason: e.reason })
        }
      })
      const stopRestarts = system.monitorRestarts((e) => {
        push({ at: system.clock.now(), node: system.node, type: 'restart', child: e.child, supervisor: String(e.supervisor), reason: describe(e.reason) })
      })
      state.stop = () => {
        stopNodes()
        stopRestarts()
      }
      return state
    },
    async handleCall(request: ObserverRequest, from: From, state: ObserverState, ctx: Ctx) {
      if (request === 'ping') return { reply: { node: system.node, at: system.clock.now() }, state }
      if (request === 'cluster') {
        // Reply later, from outside this actor: the peers' observers may be asking this one at the same moment.
        void clusterReport(system, state, peerTimeoutMs).then((report) => ctx.reply(from, report))
        return { noreply: state }
      }
      // A caller's mistake must not restart the observer and lose its event history: answer with what was wrong.
      if (request !== 'info') return { reply: { error: `unknown request ${describe(request)}: expected 'ping', 'info' or 'cluster'` }, state }
      return { reply: await nodeReport(system, state, ctx, options.traffic, deepest), state }
    },
    terminate: (_reason, state) => state.stop(),
  }
}

/** The observer as a child spec for the root supervisor (id `observer`, registered as `cohort_observer`). */
export function observerChild(system: ActorSystem, options: ClusterObserverOptions = {}): ChildSpec {
  return { id: 'observer', start: clusterObserver(system, options), name: OBSERVER_NAME }
}

async function nodeReport(system: ActorSystem, state: ObserverState, ctx: Ctx, traffic: TrafficSource | undefined, deepest: number): Promise<NodeReport> {
  const at = system.clock.now()
  const stats = system.stats()
  const peers = traffic?.stats().peers ?? []
  updateRates(state, at, stats.messagesDelivered, peers)
  const processes = system.processes()
  const deepestMailboxes: MailboxEntry[] = processes
    .filter((p) => p.mailboxDepth > 0)
    .sort((a, b) => b.mailboxDepth - a.mailboxDepth)
    .slice(0, deepest)
    .map((p) => ({ pid: String(p.pid), name: p.name, behaviour: p.behaviour, mailboxDepth: p.mailboxDepth }))
  const peerReports: PeerReport[] = peers.map((p) => ({
    node: p.node,
    state: p.state,
    hidden: p.hidden,
    messagesIn: p.messagesIn,
    messagesOut: p.messagesOut,
    bytesIn: p.bytesIn,
    bytesOut: p.bytesOut,
    queuedBytes: p.queuedBytes,
    inPerSecond: state.rates.peers.get(p.node)?.in,
    outPerSecond: state.rates.peers.get(p.node)?.out,
  }))
  return {
    node: system.node,
    at,
    creation: system.creation,
    nodes: system.nodes().sort(),
    peers: peerReports.sort((a, b) => (a.node < b.node ? -1 : 1)),
    actors: stats.actors,
    runQueue: stats.runQueue,
    messagesDelivered: stats.messagesDelivered,
    deliveredPerSecond: state.rates.delivered,
    deadLetters: stats.deadLetters,
    restarts: stats.restarts,
    deepestMailboxes,
    tree: ctx.parent === undefined ? [] : await parentTree(ctx, ctx.parent),
    events: state.events.slice(),
  }
}

function updateRates(state: ObserverState, at: number, delivered: number, peers: ReturnType<TrafficSource['stats']>['peers']): void {
  const prev = state.sample
  if (prev !== undefined && at - prev.at < MIN_RATE_WINDOW_MS) return
  const next: Sample = { at, delivered, peers: new Map(peers.map((p) => [p.node, { in: p.messagesIn, out: p.messagesOut }])) }
  state.sample = next
  if (prev === undefined) return
  const seconds = (at - prev.at) / 1000
  // A peer's counters restart with each connection: a counter that went down counts from zero.
  const rate = (now: number, before: number | undefined): number => Math.round((now - (before === undefined || before > now ? 0 : before)) / seconds)
  state.rates = {
    delivered: rate(delivered, prev.delivered),
    peers: new Map([...next.peers].map(([node, c]) => [node, { in: rate(c.in, prev.peers.get(node)?.in), out: rate(c.out, prev.peers.get(node)?.out) }])),
  }
}

/** The tree of the observer's parent, or none when the parent is no supervisor (spawned from outside any actor). */
async function parentTree(ctx: Ctx, parent: Pid): Promise<TreeEntry[]> {
  try {
    return await supervisionTree(ctx, parent, ctx.self)
  } catch {
    return []
  }
}

async function supervisionTree(ctx: Ctx, sup: Pid, self: Pid): Promise<TreeEntry[]> {
  const out: TreeEntry[] = []
  for (const c of await whichChildren(ctx, sup)) {
    const entry: TreeEntry = { id: c.id, pid: c.pid === undefined ? undefined : String(c.pid), type: c.type, children: [] }
    // A supervisor child other than the observer itself: walk it too (the observer is a worker, never a supervisor).
    if (c.type === 'supervisor' && c.pid !== undefined && !c.pid.equals(self)) entry.children = await supervisionTree(ctx, c.pid, self)
    out.push(entry)
  }
  return out
}

async function clusterReport(system: ActorSystem, state: ObserverState, timeoutMs: number): Promise<ClusterReport> {
  const peers = system.nodes()
  const names = [system.node, ...peers]
  const ask = async (node: string): Promise<NodeReport | SilentNode> => {
    try {
      return await system.call<NodeReport>({ name: OBSERVER_NAME, node }, 'info', timeoutMs)
    } catch (error) {
      return { node, error: describe(error) } satisfies SilentNode
    }
  }
  // This node's own report first: asked in the same turn, it counted the requests to the peers, still waiting for
  // the turn's flush, as bytes queued on each connection, which showed an idle cluster with a backlog.
  const own = await ask(system.node)
  const answers = [own, ...(await Promise.all(peers.map(ask)))]
  const byName = (a: { node: string }, b: { node: string }): number => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)
  return {
    observedFrom: system.node,
    at: system.clock.now(),
    nodes: answers.filter((a): a is NodeReport => !('error' in a)).sort(byName),
    down: [...state.down.values()].filter((d) => !names.includes(d.node)).sort(byName),
    silent: answers.filter((a): a is SilentNode => 'error' in a).sort(byName),
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`
  if (typeof value === 'string') return value
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
