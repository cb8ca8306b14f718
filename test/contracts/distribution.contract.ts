/**
 * The Distribution contract: what every implementation of core's Distribution must do, as one suite run against
 * the in-memory network (always) and against @cohort/transport between two real processes (e2e). The test
 * process holds node A; node B runs the contract behaviours and is killed abruptly where the contract says so.
 */
import { describe, expect, it } from 'vitest'
import { Down, Exit, NoConnectionError, NoProcError, isCohortError } from '@cohort/core'
import type { ActorSystem, Pid, ProcessCtx } from '@cohort/core'
import { inboundCounts } from '@cohort/core/distribution'

/** Two connected nodes, as an implementation provides them. */
export interface ContractCluster {
  /** Node A's system, in the test process. */
  a: ActorSystem
  /** Node B's name; it runs the behaviours of contract-behaviours.mjs. */
  b: string
  /** The distribution carries calls and replies as one control message each (Distribution's `compactCalls`). */
  compactCalls: boolean
  /** Crashes node B: no goodbye, the connection just ends. */
  killB(): Promise<void>
  /** Resolves once `predicate` holds (virtual time for the in-memory network, real time for sockets). */
  waitFor(predicate: () => boolean): Promise<void>
  close(): Promise<void>
}

/** Registers the contract suite for one implementation. */
export function distributionContract(name: string, makeCluster: () => Promise<ContractCluster>): void {
  describe(`Distribution contract: ${name}`, () => {
    async function withCluster(test: (c: ContractCluster) => Promise<void>): Promise<void> {
      const cluster = await makeCluster()
      try {
        await test(cluster)
      } finally {
        await cluster.close()
      }
    }

    /** Spawns a process function on A that records what it receives. */
    function recorder(a: ActorSystem, body: (ctx: ProcessCtx) => void | Promise<void>): { pid: Pid; got: unknown[] } {
      const got: unknown[] = []
      const pid = a.spawn(async (ctx: ProcessCtx) => {
        await body(ctx)
        for (;;) {
          const m: unknown = await ctx.receive()
          // Its parent's exit signal (the system shutting down at the end of the test) ends it, as it would a server.
          if (m instanceof Exit && ctx.parent !== undefined && m.from.equals(ctx.parent)) return
          got.push(m)
        }
      })
      return { pid, got }
    }

    it('spawns a defined behaviour remotely and calls it by pid and by { name, node }', () =>
      withCluster(async ({ a, b }) => {
        const echo = await a.spawnOn(b, 'echo')
        expect(echo.node).toBe(b)
        expect(await a.call(echo, { n: 1, tags: new Set(['x']) })).toEqual({ n: 1, tags: new Set(['x']) })
        await expect(a.spawnOn(b, 'no-such-behaviour')).rejects.toThrow(/no behaviour is defined as "no-such-behaviour"/)
      }))

    it('leaves no monitor behind once a call is answered, by the callee or by an actor it handed the call to', () =>
      withCluster(async ({ a, b }) => {
        const [echo, delegator, inspector] = await Promise.all([a.spawnOn(b, 'echo'), a.spawnOn(b, 'delegator'), a.spawnOn(b, 'inspector')])
        expect(await a.call(echo, 1)).toBe(1)
        expect(await a.call(delegator, 2)).toBe(2)
        // A call to the inspector travels after whatever ended the first two calls' monitors.
        expect(await a.call(inspector, echo)).toBe(0)
        expect(await a.call(inspector, delegator)).toBe(0)
        await expect(a.call({ name: 'nobody', node: b }, 3)).rejects.toThrow(NoProcError)
      }))

    it('hands what arrives to the endpoint by its fast paths: runs of sends, calls and their replies', () =>
      withCluster(async ({ a, b, compactCalls, waitFor }) => {
        const [relay, echo] = await Promise.all([a.spawnOn(b, 'relay'), a.spawnOn(b, 'echo')])
        const localEcho = a.spawn({ name: 'echo', init: () => null, handleCall: (request: unknown, _from: unknown, state: null) => ({ reply: request, state }) })
        const { pid, got } = recorder(a, () => {})
        const before = inboundCounts(a)
        await a.spawnOn(b, 'sender', { to: pid, count: 10 })
        await waitFor(() => got.length === 10)
        expect(got).toEqual([...Array(10).keys()])
        expect(await a.call(echo, 'reply to a call from here')).toBe('reply to a call from here')
        expect(await a.call(relay, { target: localEcho, request: 'a call from there' })).toBe('a call from there')
        const after = inboundCounts(a)
        // Every message to a pid arrives in runs (deliverSends), never as a control object of its own.
        expect(after.sends - before.sends).toBeGreaterThanOrEqual(10)
        expect(after.sendRuns - before.sendRuns).toBeLessThanOrEqual(after.sends - before.sends)
        if (compactCalls) {
          expect(after.calls - before.calls).toBe(1)
          expect(after.replies - before.replies).toBe(2)
        } else {
          expect(after.calls - before.calls).toBe(0)
          expect(after.replies - before.replies).toBe(0)
        }
      }))

    it('keeps the order of messages between a pair of actors', () =>
      withCluster(async ({ a, b }) => {
        const collector = await a.spawnOn(b, 'collector')
        a.spawn(async (ctx: ProcessCtx) => {
          for (let i = 0; i < 1000; i++) ctx.send(collector, i)
        })
        let got: number[] = []
        const read = async (): Promise<void> => {
          got = await a.call<number[]>(collector, 'get')
        }
        await read()
        while (got.length < 1000) await read()
        expect(got).toEqual([...Array(1000).keys()])
      }))

    it('delivers Down with the exit reason, and noproc for a pid that is gone', () =>
      withCluster(async ({ a, b, waitFor }) => {
        const quitter = await a.spawnOn(b, 'quitter')
        const downs: Down[] = []
        a.monitor(quitter, (d) => downs.push(d))
        a.cast(quitter, 'quit')
        await waitFor(() => downs.length === 1)
        a.monitor(quitter, (d) => downs.push(d))
        await waitFor(() => downs.length === 2)
        expect(downs.map((d) => d.reason)).toEqual(['bye', 'noproc'])
      }))

    it('propagates an abnormal exit along a link, as an Exit when trapped', () =>
      withCluster(async ({ a, b, waitFor }) => {
        const quitter = await a.spawnOn(b, 'quitter')
        const { got } = recorder(a, (ctx) => {
          ctx.trapExit(true)
          ctx.link(quitter)
        })
        await a.call(await a.spawnOn(b, 'echo'), 'round trip') // the link reached B before the crash is asked for
        a.cast(quitter, 'crash')
        await waitFor(() => got.length === 1)
        expect(got[0]).toBeInstanceOf(Exit)
        expect(((got[0] as Exit).reason as Error).message).toBe('contract crash')
      }))

    it('fires links and monitors with noconnection, and rejects pending calls at once, when the node dies', () =>
      withCluster(async ({ a, b, killB, waitFor }) => {
        const quitter = await a.spawnOn(b, 'quitter')
        const { got } = recorder(a, (ctx) => {
          ctx.trapExit(true)
          ctx.link(quitter)
        })
        const downs: Down[] = []
        a.monitor(quitter, (d) => downs.push(d))
        const pending = a.call(quitter, 'never answered', 60_000).catch((e: unknown) => e)
        await a.call(await a.spawnOn(b, 'echo'), 'round trip') // everything above reached B
        await killB()
        await waitFor(() => got.length === 1 && downs.length === 1)
        expect((got[0] as Exit).reason).toBe('noconnection')
        expect(downs[0]!.reason).toBe('noconnection')
        const error = await pending
        expect(error).toBeInstanceOf(NoConnectionError)
        expect(isCohortError(error, 'COHORT_ERR_NOCONNECTION')).toBe(true)
        expect(a.nodes()).not.toContain(b)
      }))

    it('sends to a name on the other node, and a send to a missing name is a dead letter there, not an error here', () =>
      withCluster(async ({ a, b, waitFor }) => {
        const replies: unknown[] = []
        const me = a.spawn(async (ctx: ProcessCtx) => {
          for (;;) replies.push(await ctx.receive())
        })
        const collector = await a.spawnOn(b, 'collector')
        expect(() => a.send({ name: 'nobody-here', node: b }, 'lost')).not.toThrow()
        a.send(collector, { from: me })
        await waitFor(() => replies.length === 0)
        const got = await a.call<unknown[]>(collector, 'get')
        expect(got).toHaveLength(1)
        expect((got[0] as { from: Pid }).from.equals(me)).toBe(true)
      }))
  })
}
