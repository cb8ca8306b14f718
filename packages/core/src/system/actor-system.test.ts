import { describe, expect, it } from 'vitest'
import { attachDistribution, createActorSystem } from './actor-system.ts'
import { createLogSink } from '../testing/log-sink.ts'
import { Pid } from '../pid.ts'
import { CallTimeoutError, NoProcError, CalleeExitedError, isCohortError } from '../errors.ts'
import { Down, Exit } from '../signals.ts'
import { RECEIVE_TIMEOUT } from '../actor/process-function.ts'
import type { ProcessCtx } from '../actor/process-function.ts'
import type { TraceRecord } from '../trace.ts'
import type { ControlMessage } from '../distribution/control-message.ts'
import { Ref } from '../ref.ts'
import { TestClock } from '../testing/test-clock.ts'

function system() {
  const clock = new TestClock()
  const sys = createActorSystem({ node: 'test@local', clock, strictMessages: true, creation: 1 })
  return { sys, clock }
}

const counter = {
  name: 'counter',
  init: (start: number) => start,
  handleCall: (req: 'get' | 'inc', _from: unknown, n: number) => (req === 'inc' ? { reply: n + 1, state: n + 1 } : { reply: n, state: n }),
  handleCast: (by: number, n: number) => n + by,
}

describe('ActorSystem#spawn and #call', () => {
  it('runs a server behaviour: call replies, cast updates state', async () => {
    const { sys } = system()
    const pid = sys.spawn(counter, 10)
    expect(await sys.call(pid, 'inc')).toBe(11)
    sys.cast(pid, 5)
    expect(await sys.call(pid, 'get')).toBe(16)
  })

  it('supports async handlers and takes one message at a time', async () => {
    const { sys } = system()
    const order: string[] = []
    const pid = sys.spawn({
      init: () => 0,
      async handleCall(req: string, _f, s: number) {
        order.push(`start ${req}`)
        await Promise.resolve()
        await Promise.resolve()
        order.push(`end ${req}`)
        return { reply: req, state: s }
      },
    })
    await Promise.all([sys.call(pid, 'a'), sys.call(pid, 'b')])
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b'])
  })

  it('replies later with noreply and ctx.reply', async () => {
    const { sys } = system()
    const pid = sys.spawn({
      init: () => null as unknown,
      handleCall: (_req, from, _s, ctx) => {
        ctx.send(ctx.self, { later: from })
        return { noreply: null }
      },
      handleInfo: (msg: { later: never }, s, ctx) => {
        ctx.reply(msg.later, 'done')
        return s
      },
    })
    expect(await sys.call(pid, 'x')).toBe('done')
  })

  it('rejects with CallTimeoutError and drops the late reply', async () => {
    const { sys, clock } = system()
    const dead: TraceRecord[] = []
    sys.trace((r) => r.type === 'deadLetter' && dead.push(r))
    const pid = sys.spawn({
      init: () => null as unknown,
      handleCall: (_r, from, s, ctx) => {
        ctx.sendAfter(ctx.self, { replyTo: from }, 200)
        return { noreply: s }
      },
      handleInfo: (m: { replyTo: never }, s, ctx) => {
        ctx.reply(m.replyTo, 'late')
        return s
      },
    })
    const p = sys.call(pid, 'q', 100)
    const settled = expect(p).rejects.toBeInstanceOf(CallTimeoutError)
    await clock.advance(100)
    await settled
    await expect(p).rejects.toMatchObject({ code: 'COHORT_ERR_CALL_TIMEOUT', timeoutMs: 100 })
    await clock.advance(100)
    expect(dead).toHaveLength(1)
    expect(sys.processes().find((p2) => p2.pid.equals(pid))?.mailboxDepth).toBe(0)
  })

  it("rejects an actor's call to itself at once (its pid, its name, a global name it holds), as Erlang's calling_self", async () => {
    const { sys, clock } = system()
    const errors: unknown[] = []
    const pid = sys.spawn({
      init: () => null as unknown,
      async handleCall(how: string, _from, s, ctx) {
        const to = how === 'pid' ? ctx.self : how === 'name' ? 'me' : how === 'remote name' ? { name: 'me', node: 'test@local' } : { global: 'leader' }
        await ctx.call(to, 'anything', 1_000).catch((err: unknown) => errors.push(err))
        return { reply: 'still serving', state: s }
      },
    })
    sys.register('me', pid)
    // A global name resolves through the node's resolver (the global registry, when one runs).
    const { router } = sys as unknown as { router: { globalResolver: (name: string) => Pid | undefined } }
    router.globalResolver = (name) => (name === 'leader' ? pid : undefined)
    for (const how of ['pid', 'name', 'remote name', 'global']) expect(await sys.call(pid, how)).toBe('still serving')
    expect(clock.pending).toBe(0)
    expect(errors).toHaveLength(4)
    expect(errors[0]).toMatchObject({ code: 'COHORT_ERR_CALLING_SELF', name: 'CallingSelfError', to: pid.toString() })
    expect(String(errors[0])).toContain('called itself')
  })

  it('lists processes oldest first, through spawns and exits that reuse table slots', async () => {
    const { sys } = system()
    const idle = { name: 'idle', init: () => null }
    // Churn first, so that the ids below run past the table's length and wrap around its slots.
    for (let i = 0; i < 3000; i++) sys.exit(sys.spawn(idle), 'kill')
    await sys.whenIdle()
    const pids = Array.from({ length: 200 }, () => sys.spawn(idle))
    await sys.whenIdle()
    for (let i = 0; i < 200; i += 3) sys.exit(pids[i]!, 'kill')
    const later = Array.from({ length: 100 }, () => sys.spawn(idle))
    await sys.whenIdle()
    const expected = [...pids.filter((_, i) => i % 3 !== 0), ...later].map(String)
    expect(sys.processes().map((p) => String(p.pid))).toEqual(expected)
  })

  it('rejects with NoProcError for a dead target', async () => {
    const { sys } = system()
    const pid = sys.spawn(async () => {})
    await sys.whenIdle()
    await expect(sys.call(pid, 'x')).rejects.toBeInstanceOf(NoProcError)
    await expect(sys.call('nobody', 'x')).rejects.toMatchObject({ code: 'COHORT_ERR_NOPROC' })
  })

  it('rejects with the exit reason when the target exits during the call', async () => {
    const { sys } = system()
    const pid = sys.spawn({ init: () => 0, handleCall: () => { throw new Error('boom') } })
    const err = await sys.call(pid, 'x').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CalleeExitedError)
    expect(isCohortError(err, 'COHORT_ERR_CALLEE_EXITED')).toBe(true)
    expect(((err as CalleeExitedError).reason as Error).message).toBe('boom')
  })

  it('start rejects with the init failure', async () => {
    const { sys } = system()
    await expect(sys.start({ init: () => ({ stop: 'nope' }) })).rejects.toMatchObject({ code: 'COHORT_ERR_START_FAILED', reason: 'nope' })
    await expect(sys.start({ init: async () => { throw new Error('bad init') } })).rejects.toMatchObject({ code: 'COHORT_ERR_START_FAILED' })
  })
})

describe('process functions', () => {
  it('receive selects the first matching message and keeps the rest in order', async () => {
    const { sys } = system()
    const got: unknown[] = []
    const pid = sys.spawn(async (ctx: ProcessCtx) => {
      got.push(await ctx.receive((m: { k: string }) => m.k === 'b'))
      got.push(await ctx.receive())
      got.push(await ctx.receive())
    })
    sys.send(pid, { k: 'a', n: 1 })
    sys.send(pid, { k: 'a', n: 2 })
    sys.send(pid, { k: 'b', n: 3 })
    await sys.whenIdle()
    await new Promise((r) => setImmediate(r))
    expect(got).toEqual([{ k: 'b', n: 3 }, { k: 'a', n: 1 }, { k: 'a', n: 2 }])
  })

  it('receive with a timeout resolves RECEIVE_TIMEOUT in virtual time', async () => {
    const { sys, clock } = system()
    let result: unknown
    sys.spawn(async (ctx: ProcessCtx) => {
      result = await ctx.receive(undefined, 50)
    })
    await clock.advance(49)
    expect(result).toBeUndefined()
    await clock.advance(1)
    expect(result).toBe(RECEIVE_TIMEOUT)
  })

  it('answers calls with isCallRequest and ctx.reply', async () => {
    const { sys } = system()
    const pid = sys.spawn(async (ctx: ProcessCtx) => {
      const m = await ctx.receive()
      ctx.reply(m.from, m.request * 2)
    })
    expect(await sys.call(pid, 21)).toBe(42)
  })
})

describe('links and monitors (local)', () => {
  it('an abnormal exit kills linked actors unless they trap exits', async () => {
    const { sys } = system()
    const exits: TraceRecord[] = []
    sys.trace((r) => r.type === 'exit' && exits.push(r))
    const trapped: unknown[] = []
    const pid = sys.spawn(async (ctx: ProcessCtx) => {
      ctx.trapExit(true)
      const a = ctx.spawnLink(async (c: ProcessCtx) => { await c.receive(); throw new Error('crash') })
      ctx.send(a, 'go')
      const m = await ctx.receive((x) => x instanceof Exit)
      trapped.push(m)
    })
    await sys.whenIdle()
    await new Promise((r) => setImmediate(r))
    expect(trapped).toHaveLength(1)
    expect((trapped[0] as Exit).reason).toMatchObject({ message: 'crash' })
    expect(sys.isAlive(pid)).toBe(false) // the process function ended normally after receiving
  })

  it('kill is untrappable and propagates as killed', async () => {
    const { sys } = system()
    const seen: unknown[] = []
    const watcher = sys.spawn(async (ctx: ProcessCtx) => {
      ctx.trapExit(true)
      const victim = ctx.spawnLink(async (c: ProcessCtx) => { c.trapExit(true); await c.receive(() => false) })
      ctx.send(ctx.self, { victim })
      const m = await ctx.receive((x) => x instanceof Exit)
      seen.push(m.reason)
    })
    await sys.whenIdle()
    const victim = sys.processes().find((p) => !p.pid.equals(watcher))!.pid
    sys.exit(victim, 'kill')
    await sys.whenIdle()
    await new Promise((r) => setImmediate(r))
    expect(seen).toEqual(['killed'])
  })

  it('a normal exit does not kill linked actors', async () => {
    const { sys } = system()
    const parent = sys.spawn(async (ctx: ProcessCtx) => {
      ctx.spawnLink(async () => {})
      await ctx.receive()
    })
    await sys.whenIdle()
    expect(sys.isAlive(parent)).toBe(true)
  })

  it('monitor delivers Down with the reason, and noproc at once for a dead pid', async () => {
    const { sys } = system()
    const downs: Down[] = []
    const target = sys.spawn(async (c: ProcessCtx) => { await c.receive(); c.exit('bye') })
    sys.spawn(async (ctx: ProcessCtx) => {
      ctx.monitor(target)
      ctx.send(target, 'go')
      downs.push(await ctx.receive((m) => m instanceof Down))
      ctx.monitor(target)
      downs.push(await ctx.receive((m) => m instanceof Down))
    })
    await sys.whenIdle()
    await new Promise((r) => setImmediate(r))
    expect(downs.map((d) => d.reason)).toEqual(['bye', 'noproc'])
    expect(downs[0]!.pid?.equals(target)).toBe(true)
  })

  it('demonitor with flush removes a Down already delivered', async () => {
    const { sys, clock } = system()
    let result: unknown = 'pending'
    const target = sys.spawn(async () => {})
    sys.spawn(async (ctx: ProcessCtx) => {
      const ref = ctx.monitor(target)
      ctx.send(ctx.self, 'marker')
      await ctx.receive((m) => m === 'marker')
      ctx.demonitor(ref, { flush: true })
      result = await ctx.receive(undefined, 10)
    })
    await clock.advance(10)
    expect(result).toBe(RECEIVE_TIMEOUT)
  })

  it('monitors by registered name', async () => {
    const { sys } = system()
    const pid = sys.spawn(async (c: ProcessCtx) => { await c.receive() }, undefined, { name: 'svc' })
    const downs: Down[] = []
    sys.monitor('svc', (d) => downs.push(d))
    sys.send('svc', 'stop')
    await sys.whenIdle()
    await new Promise((r) => setImmediate(r))
    expect(downs).toHaveLength(1)
    expect(downs[0]!.target).toBe('svc')
    expect(sys.whereis('svc')).toBeUndefined()
    expect(sys.isAlive(pid)).toBe(false)
  })
})

describe('names and dead letters', () => {
  it('register refuses a taken name with COHORT_ERR_NAME_TAKEN', () => {
    const { sys } = system()
    const a = sys.spawn(async (c: ProcessCtx) => { await c.receive() })
    const b = sys.spawn(async (c: ProcessCtx) => { await c.receive() })
    sys.register('x', a)
    expect(() => sys.register('x', b)).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NAME_TAKEN' }))
    expect(sys.whereis('x')?.equals(a)).toBe(true)
  })

  it('sending to a dead pid is a traced dead letter, never a throw', async () => {
    const { sys } = system()
    const records: TraceRecord[] = []
    sys.trace((r) => records.push(r))
    const pid = sys.spawn(async () => {})
    await sys.whenIdle()
    expect(() => sys.send(pid, 'hello')).not.toThrow()
    expect(records.filter((r) => r.type === 'deadLetter')).toEqual([{ type: 'deadLetter', to: pid, msg: 'hello', reason: 'noproc' }])
  })

  it('strictMessages rejects what cannot cross the wire, naming it', () => {
    const { sys } = system()
    const pid = sys.spawn(async (c: ProcessCtx) => { await c.receive() })
    expect(() => sys.send(pid, { user: { save() {} } })).toThrow(/message\.user\.save is a function/)
    class Socket { write() {} }
    expect(() => sys.send(pid, [new Socket()])).toThrow(/message\[0\] is an instance of class Socket/)
    expect(() => sys.send(pid, { s: Symbol('x') })).toThrow(expect.objectContaining({ code: 'COHORT_ERR_NOT_SERIALIZABLE' }))
  })
})

describe('timers', () => {
  it('sendAfter fires in virtual time and cancelTimer stops it', async () => {
    const { sys, clock } = system()
    const got: unknown[] = []
    const pid = sys.spawn(async (c: ProcessCtx) => { for (;;) got.push(await c.receive()) })
    let ref: unknown
    sys.spawn(async (c: ProcessCtx) => {
      c.sendAfter(pid, 'a', 100)
      ref = c.sendAfter(pid, 'b', 100)
      await c.receive()
    })
    await sys.whenIdle()
    expect((ref as { key: string }).key).toBeTypeOf('string')
    await clock.advance(99)
    expect(got).toEqual([])
    await clock.advance(1)
    expect(got).toEqual(['a', 'b'])
  })

  it('sendAfter refuses a delay no timer can wait, naming it, and takes 0', async () => {
    const { sys, clock } = system()
    const errors: unknown[] = []
    const got: unknown[] = []
    sys.spawn(async (c: ProcessCtx) => {
      for (const delay of [NaN, -1, Infinity, '100' as unknown as number]) {
        try {
          c.sendAfter(c.self, 'early', delay)
        } catch (err) {
          errors.push(err)
        }
      }
      c.sendAfter(c.self, 'now', 0)
      got.push(await c.receive())
    })
    await clock.advance(0)
    expect(got).toEqual(['now'])
    expect(errors).toHaveLength(4)
    expect(errors[0]).toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'delayMs' })
    expect(String(errors[1])).toContain('invalid option delayMs: -1 (expected a finite number of milliseconds, 0 or more)')
  })

  it('receive refuses a timeout no timer can wait, and Infinity waits without one', async () => {
    const { sys, clock } = system()
    const results: unknown[] = []
    sys.spawn(async (c: ProcessCtx) => {
      await c.receive(undefined, -5).catch((err: unknown) => results.push(err))
      await c.receive(undefined, NaN).catch((err: unknown) => results.push(err))
      results.push(await c.receive(undefined, Infinity))
    })
    await clock.advance(0)
    expect(results).toHaveLength(2)
    expect(results[0]).toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'timeoutMs', value: -5 })
    expect(clock.pending).toBe(0)
    await clock.advance(10 ** 12)
    expect(results).toHaveLength(2)
  })

  it("a timer dies with the actor that set it", async () => {
    const { sys, clock } = system()
    const got: unknown[] = []
    const pid = sys.spawn(async (c: ProcessCtx) => { for (;;) got.push(await c.receive()) })
    const setter = sys.spawn(async (c: ProcessCtx) => {
      c.sendAfter(pid, 'never', 100)
      await c.receive()
    })
    await sys.whenIdle()
    sys.exit(setter, 'kill')
    await clock.advance(200)
    expect(got).toEqual([])
  })
})

describe('ActorSystem#monitorNodes', () => {
  it('reports hidden connections only to listeners that ask for them', () => {
    const { sys } = system()
    const endpoint = attachDistribution(sys, { send: () => 'ok', sendMessage: () => 'ok', drain: () => Promise.resolve(), nodes: () => [] })
    const mesh: unknown[] = []
    const all: unknown[] = []
    sys.monitorNodes((e) => mesh.push(e))
    sys.monitorNodes((e) => all.push(e), { hidden: true })
    endpoint.nodeUp('peer@h')
    endpoint.nodeUp('cli@h', { hidden: true })
    endpoint.nodeDown('cli@h', 'noconnection')
    endpoint.nodeDown('peer@h', 'leaving')
    expect(mesh).toEqual([
      { type: 'nodeup', node: 'peer@h', hidden: false },
      { type: 'nodedown', node: 'peer@h', reason: 'leaving', hidden: false },
    ])
    expect(all).toHaveLength(4)
    expect(all[2]).toEqual({ type: 'nodedown', node: 'cli@h', reason: 'noconnection', hidden: true })
  })
})

describe('ActorSystem distribution fast paths', () => {
  it('hands remote sends to a pid to sendMessage, and other controls to send', async () => {
    const { sys } = system()
    const viaMessage: unknown[] = []
    const viaSend: unknown[] = []
    attachDistribution(sys, {
      send: (node, control) => {
        viaSend.push([node, control.type])
        return 'ok'
      },
      sendMessage: (to, from, msg) => {
        viaMessage.push([String(to), from, msg])
        return 'ok'
      },
      drain: () => Promise.resolve(),
      nodes: () => ['peer@h'],
    })
    const remote = new Pid('peer@h', 7, 2)
    sys.send(remote, 'hello')
    sys.send({ name: 'svc', node: 'peer@h' }, 'by name')
    expect(viaMessage).toEqual([['<peer@h.7>', undefined, 'hello']])
    expect(viaSend).toEqual([['peer@h', 'sendName']])
  })

  it('delivers a run of messages to one actor in order, and dead-letters a run to an unknown pid', async () => {
    const { sys } = system()
    const endpoint = attachDistribution(sys, { send: () => 'ok', sendMessage: () => 'ok', drain: () => Promise.resolve(), nodes: () => [] })
    const got: unknown[] = []
    const pid = sys.spawn({ name: 'sink', init: () => null, handleInfo: (msg: unknown, s: null) => (got.push(msg), s) })
    const dead: unknown[] = []
    sys.trace((r) => r.type === 'deadLetter' && dead.push(r.msg))
    endpoint.deliverSends(pid, ['skip', 'a', 'b', 'c', 'skip'], 1, 4)
    endpoint.deliverSends(new Pid('test@local', 999, 1), ['x', 'y'], 0, 2)
    await sys.whenIdle()
    expect(got).toEqual(['a', 'b', 'c'])
    expect(dead).toEqual(['x', 'y'])
  })

  it('sends a remote call as one call message, and settles it from deliverReply without a demonitor once released', async () => {
    const { sys } = system()
    const sent: ControlMessage[] = []
    const endpoint = attachDistribution(sys, { send: (_node, c) => (sent.push(c), 'ok'), sendMessage: () => 'ok', compactCalls: true, drain: () => Promise.resolve(), nodes: () => ['peer@h'] })
    const callee = new Pid('peer@h', 7, 1)
    const released = sys.call(callee, 'q1')
    const kept = sys.call(callee, 'q2')
    const [first, second] = sent as Extract<ControlMessage, { type: 'call' }>[]
    expect(first).toMatchObject({ type: 'call', to: callee, request: 'q1' })
    expect(second?.request).toBe('q2')
    const dead: unknown[] = []
    sys.trace((r) => r.type === 'deadLetter' && dead.push(r.msg))
    const { port, ref } = first!
    // A reply to an earlier incarnation of this node finds no port.
    endpoint.deliverReply(port.id, ref.id, port.creation + 1, 'stale', true)
    endpoint.deliverReply(port.id, ref.id, port.creation, 'v1', true)
    endpoint.deliverReply(second!.port.id, second!.ref.id, second!.port.creation, 'v2', false)
    expect(await released).toBe('v1')
    expect(await kept).toBe('v2')
    expect(dead).toEqual([{ $cohort: 'reply', ref: new Ref(ref.node, ref.id, ref.creation + 1), value: 'stale' }])
    // Only the call whose monitor was not released at the callee is demonitored.
    expect(sent.filter((c) => c.type === 'demonitor')).toEqual([{ type: 'demonitor', from: second!.port, to: callee, ref: second!.ref }])
  })

  it("sends a remote call through the distribution's sendCall when it has one, with the call's fields and no object", async () => {
    const { sys } = system()
    const sent: ControlMessage[] = []
    const calls: unknown[][] = []
    const endpoint = attachDistribution(sys, {
      send: (_node, c) => (sent.push(c), 'ok'),
      sendMessage: () => 'ok',
      sendCall: (...args) => (calls.push(args), 'ok'),
      compactCalls: true,
      drain: () => Promise.resolve(),
      nodes: () => ['peer@h'],
    })
    const callee = new Pid('peer@h', 7, 1)
    const answered = sys.call(callee, 'q')
    const byName = sys.call({ name: 'svc', node: 'peer@h' }, 'n')
    expect(sent).toEqual([])
    expect(calls).toHaveLength(2)
    const [node, to, port, ref, request, from] = calls[0] as [string, Pid, Pid, Ref, unknown, Pid | undefined]
    expect([node, to, request, from]).toEqual(['peer@h', callee, 'q', undefined])
    expect(calls[1]!.slice(0, 2)).toEqual(['peer@h', 'svc'])
    endpoint.deliverReply(port.id, ref.id, port.creation, 'a', true)
    expect(await answered).toBe('a')
    const [, , port2, ref2] = calls[1] as [string, string, Pid, Ref]
    endpoint.deliverReply(port2.id, ref2.id, port2.creation, 'b', true)
    expect(await byName).toBe('b')
  })

  it('answers a call from deliverCall by pid or by name, releasing its monitor, and a down for a callee that is gone', async () => {
    const { sys } = system()
    const sent: ControlMessage[] = []
    const endpoint = attachDistribution(sys, { send: (_node, c) => (sent.push(c), 'ok'), sendMessage: () => 'ok', compactCalls: true, drain: () => Promise.resolve(), nodes: () => ['peer@h'] })
    const echo = sys.spawn({ name: 'echo', init: () => null, handleCall: (req: string, _from: unknown, s: null) => ({ reply: `re: ${req}`, state: s }) }, undefined, { name: 'echo' })
    endpoint.deliverCall('peer@h', echo.id, echo.creation, 40, 1, 9, 'by pid')
    endpoint.deliverCall('peer@h', 'echo', null, 41, 2, 9, 'by name')
    endpoint.deliverCall('peer@h', echo.id, echo.creation + 1, 42, 3, 9, 'to an earlier incarnation')
    endpoint.deliverCall('peer@h', 'nobody', null, 43, 4, 9, 'to no name')
    await sys.whenIdle()
    const port = (id: number): Pid => new Pid('peer@h', id, 9)
    const ref = (id: number): Ref => new Ref('peer@h', id, 9)
    expect(sent).toEqual([
      { type: 'down', from: new Pid('test@local', echo.id, echo.creation + 1), to: port(42), ref: ref(3), reason: 'noproc' },
      { type: 'down', from: 'nobody', to: port(43), ref: ref(4), reason: 'noproc' },
      { type: 'reply', to: port(40), ref: ref(1), value: 're: by pid', released: true, from: echo },
      { type: 'reply', to: port(41), ref: ref(2), value: 're: by name', released: true, from: echo },
    ])
    expect(sys.processes().find((p) => p.pid.equals(echo))?.monitoredBy).toBe(0)
  })

  it('lets a run of messages settle a process function waiting in receive, keeping the rest in order', async () => {
    const { sys } = system()
    const endpoint = attachDistribution(sys, { send: () => 'ok', sendMessage: () => 'ok', drain: () => Promise.resolve(), nodes: () => [] })
    const got: unknown[] = []
    const pid = sys.spawn(async (ctx: ProcessCtx) => {
      got.push(await ctx.receive((m: string) => m === 'b'))
      got.push(await ctx.receive())
      got.push(await ctx.receive())
    })
    await sys.whenIdle() // the function now waits in its first receive
    endpoint.deliverSends(pid, ['a', 'b', 'c'], 0, 3)
    await sys.whenIdle()
    await new Promise((r) => setImmediate(r))
    expect(got).toEqual(['b', 'a', 'c'])
  })

  it('isolates what goes wrong while handling what arrives: logged once, never thrown into the distribution', async () => {
    const log = createLogSink('error')
    const sys = createActorSystem({ node: 'test@local', clock: new TestClock(), logger: log.logger })
    const endpoint = attachDistribution(sys, {
      send: () => {
        throw new Error('the link broke while answering')
      },
      sendMessage: () => 'ok',
      compactCalls: true,
      drain: () => Promise.resolve(),
      nodes: () => ['peer@h'],
    })
    // A call to no one is answered with a down, which this distribution fails to send.
    expect(() => endpoint.deliverCall('peer@h', 'nobody', null, 40, 1, 9, 'q')).not.toThrow()
    expect(() => endpoint.deliver('peer@h', { type: 'link', from: new Pid('peer@h', 1, 9), to: new Pid('test@local', 999, sys.creation) })).not.toThrow()
    expect(log.records.map((r) => [r['msg'], r['peer']])).toEqual([
      ['system failed to handle a control message', 'peer@h'],
      ['system failed to handle a control message', 'peer@h'],
    ])
    await sys.shutdown()
  })
})
