/**
 * Property test of the async face's interleavings, on the engine's scripted transport
 * (test/support/scripted-transport.ts) with fake timers: fast-check drives random public calls
 * (connect, disconnect, publish QoS 0/1/2, subscribe, unsubscribe, whenConnected, filter()
 * streams and `for await` loops over them and client.messages, breaking out of a loop, ack())
 * and broker events (open, CONNACK 0 or a refusal, acks, inbound PUBLISH, close), and every
 * event handler, loop body and promise settlement may itself make a call (taken in turn from
 * a generated list). Asserted on every run, after a final disconnect() and the time it takes:
 *  - every promise the face returned has settled (none hangs);
 *  - every `for await` loop has ended;
 *  - every message acknowledged to the broker (PUBACK/PUBREC) reached exactly one consumer
 *    (loops, then what the ended streams still hold), none twice; with manualAck none is
 *    acknowledged before ack();
 *  - no timer is left.
 * A failure prints the run's trace. RUNS=7000 (and SEED=…) hunts further (about 10 s; beyond,
 * raise vitest's test timeout); 500 runs take ~2 s.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Client } from '../../../src/api/async/index.js';
import type { Message } from '../../../src/api/async/index.js';
import type { QoS } from '../../support/internals.js';
import { closeLate, flushMicrotasks as flush, liveFake, scriptedFactory, sendTo } from '../../support/scripted-transport.js';
import type { DestroyStyle, Fake, TransportPlan } from '../../support/scripted-transport.js';

const TIMEOUT = 1_000;

type AppCommand =
  | { kind: 'connect'; timeout: number | undefined }
  | { kind: 'disconnect' }
  | { kind: 'publish'; qos: QoS; limit: Limit }
  | { kind: 'subscribe'; limit: Limit }
  | { kind: 'unsubscribe'; limit: Limit }
  | { kind: 'whenConnected'; limit: Limit }
  | { kind: 'abort'; pick: number }
  | { kind: 'loop'; filter: 't/a/#' | 't/#' | null }
  /** A filtered stream nobody reads yet (it buffers), its iterator idle until a 'break' or the drain. */
  | { kind: 'idle'; filter: 't/a/#' | 't/#' }
  | { kind: 'break'; pick: number }
  | { kind: 'ack'; pick: number };

/** An operation's own limit: the client's, one of its own, or an AbortSignal the run may abort. */
type Limit = 'default' | 'own' | 'signal';
const limitArb = fc.constantFrom<Limit>('default', 'default', 'own', 'signal');

type NetCommand =
  | { kind: 'open' }
  | { kind: 'connack'; code: 0 | 5 }
  | { kind: 'ackAll' }
  | { kind: 'inbound'; qos: QoS; topic: 't/a/x' | 't/b' }
  | { kind: 'close'; error: boolean }
  | { kind: 'time'; ms: number };

type Command = AppCommand | NetCommand;

interface Config {
  reconnect: boolean;
  manualAck: boolean;
  capacity: number;
  startConnected: boolean;
  transports: TransportPlan[];
}

const appCommand: fc.Arbitrary<AppCommand> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('connect' as const), timeout: fc.constantFrom(undefined, 300, 5_000) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'disconnect' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('publish' as const), qos: fc.constantFrom<QoS>(0, 1, 2), limit: limitArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('subscribe' as const), limit: limitArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('unsubscribe' as const), limit: limitArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('whenConnected' as const), limit: limitArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('abort' as const), pick: fc.nat(10) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('loop' as const), filter: fc.constantFrom<'t/a/#' | 't/#' | null>('t/a/#', 't/#', null, null) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('idle' as const), filter: fc.constantFrom<'t/a/#' | 't/#'>('t/a/#', 't/#') }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('break' as const), pick: fc.nat(10) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('ack' as const), pick: fc.nat(20) }) },
);

const netCommand: fc.Arbitrary<NetCommand> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'open' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('connack' as const), code: fc.constantFrom<0 | 5>(0, 0, 0, 5) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'ackAll' as const }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('inbound' as const), qos: fc.constantFrom<QoS>(0, 1, 2), topic: fc.constantFrom<'t/a/x' | 't/b'>('t/a/x', 't/b') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('close' as const), error: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('time' as const), ms: fc.constantFrom(1, 100, 400, 1_000, 5_000) }) },
);

const configArb: fc.Arbitrary<Config> = fc.record({
  reconnect: fc.boolean(),
  manualAck: fc.boolean(),
  capacity: fc.constantFrom(1, 2, 100),
  startConnected: fc.constantFrom(true, true, true, false),
  transports: fc.array(
    fc.record({ throws: fc.constantFrom(false, false, false, true), syncOpen: fc.boolean(), style: fc.constantFrom<DestroyStyle>('microtask', 'sync', 'late') }),
    { minLength: 1, maxLength: 3 },
  ),
});

interface Loop {
  iterator: AsyncIterator<Message>;
  ended: boolean;
}

interface Run {
  client: Client;
  fakes: Fake[];
  /** Each promise the face returned: settled yet? */
  promises: { what: string; settled: boolean }[];
  loops: Loop[];
  streams: AsyncIterable<Message>[];
  /** Payload numbers each consumer was handed (counted). */
  consumed: Map<number, number>;
  messages: Message[];
  /** Inbound packet id → payload number; and the ids ack()ed by the application. */
  inbound: Map<number, number>;
  acked: Set<number>;
  /** Payload numbers PUBACKed/PUBRECed to the broker. */
  acknowledged: Set<number>;
  next: number;
  aborts: AbortController[];
  /** Transports the broker has answered CONNECT on. */
  connacked: Set<Fake>;
  /** connect() calls. */
  connects: number;
  reentrant: (AppCommand | null)[];
  failures: string[];
  log: string[];
}

function start(config: Config, reentrant: (AppCommand | null)[]): Run {
  const run: Run = { fakes: [], promises: [], loops: [], streams: [], consumed: new Map(), messages: [], inbound: new Map(), acked: new Set(), acknowledged: new Set(), next: 1, connects: 0, connacked: new Set(), aborts: [], reentrant, failures: [], log: [] } as unknown as Run;
  const transport = scriptedFactory(config.transports, run.fakes, {
    written: (_fake, packet) => {
      if (packet.type !== 'puback' && packet.type !== 'pubrec') return;
      const n = run.inbound.get(packet.packetId);
      if (n === undefined) return void run.failures.push(`${packet.type} ${packet.packetId} for no message sent`);
      if (config.manualAck && !run.acked.has(packet.packetId)) run.failures.push(`${packet.type} ${packet.packetId} before ack()`);
      run.acknowledged.add(n);
    },
    log: (line) => run.log.push(line),
  });
  run.client = new Client('mqtt://127.0.0.1:1883', {
    clientId: 'faces',
    transport,
    keepalive: 0,
    manualAck: config.manualAck,
    timeout: TIMEOUT,
    maxQueuedMessages: config.capacity,
    reconnect: config.reconnect ? { initialDelay: 100, maxDelay: 1_000 } : false,
  });
  for (const event of ['connect', 'close', 'reconnect'] as const) {
    run.client.on(event, (info: unknown) => {
      run.log.push(`  ${event} ${JSON.stringify(info)}`);
      reenter(run);
    });
  }
  return run;
}

function reenter(run: Run): void {
  const next = run.reentrant.shift();
  if (next) app(run, next);
}

/** Tracks a promise of the face: it must settle; its settlement may make a call. */
function track(run: Run, what: string, promise: Promise<unknown>, within = TIMEOUT): void {
  const entry = { what: `${run.promises.length} ${what}`, settled: false };
  run.promises.push(entry);
  const started = Date.now();
  const settled = (how: string) => (): void => {
    entry.settled = true;
    if (Date.now() - started > within + 1) run.failures.push(`${entry.what} settled ${how} after ${Date.now() - started} ms, its limit ${within} ms`);
    run.log.push(`  settled ${entry.what} ${how}`);
    reenter(run);
  };
  promise.then(settled('ok'), (error: { code?: string }) => settled(error?.code ?? String(error))());
}

function consume(run: Run, message: Message): void {
  const n = Number(message.text());
  run.consumed.set(n, (run.consumed.get(n) ?? 0) + 1);
  if (run.consumed.get(n)! > 1) run.failures.push(`message ${n} handed out ${run.consumed.get(n)} times`);
  run.messages.push(message);
}

function loop(run: Run, stream: AsyncIterable<Message>): void {
  const iterator = stream[Symbol.asyncIterator]();
  const entry: Loop = { iterator, ended: false };
  run.loops.push(entry);
  const index = run.loops.length - 1;
  void (async () => {
    try {
      for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) {
        run.log.push(`  loop ${index} got ${r.value.text()}`);
        consume(run, r.value);
        reenter(run);
      }
    } catch {
      // a loss ends a loop with an error: ended all the same
    }
    entry.ended = true;
    run.log.push(`  loop ${index} ended`);
  })();
}

function limitOf(kind: Limit): number {
  return kind === 'own' ? 300 : TIMEOUT;
}

function limit(run: Run, kind: Limit): { timeout?: number; signal?: AbortSignal } {
  if (kind === 'own') return { timeout: 300 };
  if (kind === 'default') return {};
  const controller = new AbortController();
  run.aborts.push(controller);
  return { signal: controller.signal };
}

function app(run: Run, command: AppCommand): void {
  const client = run.client;
  run.log.push(`app ${JSON.stringify(command)}`);
  switch (command.kind) {
    case 'connect':
      run.connects++;
      // (Refused at once while connected or connecting: a promise all the same.)
      return track(run, 'connect', client.connect(command.timeout === undefined ? {} : { timeout: command.timeout }), command.timeout ?? TIMEOUT);
    case 'disconnect':
      return track(run, 'disconnect', client.disconnect());
    case 'publish':
      return track(run, `publish ${command.qos}`, client.publish('t/p', 'x', { qos: command.qos, ...limit(run, command.limit) }), limitOf(command.limit));
    case 'subscribe':
      return track(run, 'subscribe', client.subscribe('t/#', { qos: 1, ...limit(run, command.limit) }), limitOf(command.limit));
    case 'unsubscribe':
      return track(run, 'unsubscribe', client.unsubscribe('t/#', limit(run, command.limit)), limitOf(command.limit));
    case 'whenConnected':
      return track(run, 'whenConnected', client.whenConnected(limit(run, command.limit)), limitOf(command.limit));
    case 'abort':
      return run.aborts[command.pick % Math.max(1, run.aborts.length)]?.abort();
    case 'loop': {
      const stream = command.filter === null ? client.messages : client.filter(command.filter);
      run.streams.push(stream);
      return loop(run, stream);
    }
    case 'idle': {
      const stream = client.filter(command.filter);
      run.streams.push(stream);
      // (Counted as a loop that has ended: only 'break' ends it; its buffer is drained at the end.)
      run.loops.push({ iterator: stream[Symbol.asyncIterator](), ended: true });
      return;
    }
    case 'break': {
      const open = run.loops;
      const pick = open[command.pick % Math.max(1, open.length)];
      if (pick !== undefined) void pick.iterator.return?.();
      return;
    }
    case 'ack': {
      const message = run.messages[command.pick % Math.max(1, run.messages.length)];
      if (message === undefined) return;
      if (message.packetId !== undefined) run.acked.add(message.packetId);
      return track(run, 'ack', message.ack());
    }
  }
}

async function net(run: Run, command: NetCommand): Promise<void> {
  const fake = liveFake(run.fakes);
  run.log.push(`net ${JSON.stringify(command)}`);
  switch (command.kind) {
    case 'open':
      if (fake !== undefined && !fake.opened && !fake.destroyed) {
        fake.opened = true;
        fake.events.open();
      }
      return;
    case 'connack':
      if (fake === undefined || run.connacked.has(fake)) return;
      if (fake.packets[0]?.type === 'connect' && !fake.packets.some((p) => p.type === 'disconnect') && sendTo(fake, { type: 'connack', returnCode: command.code, sessionPresent: false })) run.connacked.add(fake);
      return;
    case 'ackAll':
      for (const packet of fake?.packets.splice(1) ?? []) {
        if (packet.type === 'publish' && packet.qos === 1) sendTo(fake, { type: 'puback', packetId: packet.packetId! });
        else if (packet.type === 'publish' && packet.qos === 2) sendTo(fake, { type: 'pubrec', packetId: packet.packetId! });
        else if (packet.type === 'pubrel') sendTo(fake, { type: 'pubcomp', packetId: packet.packetId });
        else if (packet.type === 'subscribe') sendTo(fake, { type: 'suback', packetId: packet.packetId, granted: packet.subscriptions.map((s) => s.qos) });
        else if (packet.type === 'unsubscribe') sendTo(fake, { type: 'unsuback', packetId: packet.packetId });
      }
      return;
    case 'inbound': {
      const n = run.next++;
      const packetId = command.qos === 0 ? undefined : n;
      if (packetId !== undefined) run.inbound.set(packetId, n);
      const payload = new TextEncoder().encode(String(n));
      sendTo(fake, { type: 'publish', topic: command.topic, payload, qos: command.qos, dup: false, retain: false, ...(packetId !== undefined && { packetId }) });
      return;
    }
    case 'close':
      if (fake === undefined) return;
      fake.closed = true;
      fake.events.close(command.error ? new Error('reset') : undefined);
      return;
    case 'time':
      // (Async: a settlement's callbacks run at the time it happened, so its lateness shows.)
      await vi.advanceTimersByTimeAsync(command.ms);
      return;
  }
}

/** What the ended streams still hold (handed out after the end), as a late consumer would take it. */
async function drain(run: Run): Promise<void> {
  for (const stream of new Set([run.client.messages, ...run.streams])) {
    const iterator = stream[Symbol.asyncIterator]();
    const taking = (async () => {
      try {
        for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) consume(run, r.value);
      } catch {
        // ended with an error
      }
    })();
    let done = false;
    void taking.then(() => (done = true));
    for (let i = 0; i < 100 && !done; i++) await flush();
    if (!done) run.failures.push('a stream did not end after disconnect()');
    void iterator.return?.();
    await flush();
  }
}

/** STATS=1 prints how much each 500 runs exercised (messages acknowledged and consumed, loops, settlements). */
const totals = { runs: 0, acknowledged: 0, consumed: 0, loops: 0, settled: 0 };
function stats(run: Run): void {
  totals.runs++;
  totals.acknowledged += run.acknowledged.size;
  totals.consumed += run.consumed.size;
  totals.loops += run.loops.length;
  totals.settled += run.promises.filter((p) => p.settled).length;
  if (totals.runs % 500 === 0) console.log(totals);
}

describe('the async face under random interleavings (property)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('every promise settles, every loop ends, every acknowledged message reaches one consumer, no timer left', async () => {
    await fc.assert(
      fc.asyncProperty(
        configArb,
        fc.array(fc.oneof({ weight: 2, arbitrary: appCommand }, { weight: 3, arbitrary: netCommand }), { maxLength: 40, size: 'medium' }),
        fc.array(fc.option(appCommand, { freq: 3 }), { maxLength: 10 }),
        async (config, commands, reentrant) => {
          vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
          try {
            const run = start(config, [...reentrant]);
            const prefix: Command[] = config.startConnected ? [{ kind: 'connect', timeout: undefined }, { kind: 'open' }, { kind: 'connack', code: 0 }] : [];
            for (const command of [...prefix, ...commands]) {
              const loss = command.kind === 'close' && !config.reconnect && run.client.connected ? { open: run.loops.filter((l) => !l.ended), connects: run.connects } : null;
              if (command.kind in NET) await net(run, command as NetCommand);
              else app(run, command as AppCommand);
              await flush();
              // A loss without reconnect ends the loops then running (unless connect() was called since).
              if (loss !== null && run.connects === loss.connects && loss.open.some((l) => !l.ended)) run.failures.push('a loop did not end after a loss without reconnect');
            }
            if (process.env.STATS !== undefined) stats(run);
            run.reentrant.length = 0;
            app(run, { kind: 'disconnect' });
            await flush();
            closeLate(run.fakes);
            await flush();
            // (The engine lets unacknowledged publishes finish for up to 5 s before DISCONNECT.)
            for (let i = 0; i < 7; i++) {
              await vi.advanceTimersByTimeAsync(TIMEOUT);
            }
            const trace = run.log.join('\n');
            expect(run.failures, trace).toEqual([]);
            expect(run.promises.filter((p) => !p.settled).map((p) => p.what), trace).toEqual([]);
            expect(run.loops.flatMap((l, i) => (l.ended ? [] : [i])), trace).toEqual([]);
            await drain(run);
            expect(run.failures, trace).toEqual([]);
            expect([...run.acknowledged].filter((n) => run.consumed.get(n) !== 1), trace).toEqual([]);
            expect(vi.getTimerCount(), trace).toBe(0);
          } finally {
            vi.useRealTimers();
          }
        },
      ),
      { numRuns: Number(process.env.RUNS ?? 500), ...(process.env.SEED !== undefined && { seed: Number(process.env.SEED) }) },
    );
  });
});

const NET: Record<NetCommand['kind'], true> = { open: true, connack: true, ackAll: true, inbound: true, close: true, time: true };
