/**
 * Property test of the queue face (MqttMessageQueue, ack_on 'complete', QoS 1) under random
 * interleavings, on the engine's scripted transport (test/support/scripted-transport.ts) with
 * fake timers: open, close, send, receive with a wait, listen (a receiver that completes,
 * abandons or keeps), endListen, complete and abandon, against open, CONNACK, acks, inbound
 * PUBLISH, close and time. Asserted on every run:
 *  - no message is PUBACKed before complete() was called for it, and none is handed out again
 *    unless abandoned;
 *  - every receive() settles within its wait; every promise the queue returned settles once
 *    the run is closed and its time has passed.
 * A failure prints the run's trace. RUNS=… (and SEED=…) hunts further; 300 runs take ~1.7 s.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeLate, flushMicrotasks as flush, liveFake, scriptedFactory, sendTo } from '../../support/scripted-transport.js';
import type { DestroyStyle, Fake, TransportPlan } from '../../support/scripted-transport.js';
import { MqttMessageQueue } from '../../../src/api/queue/index.js';

type Queue = InstanceType<typeof MqttMessageQueue>;
type Envelope = Parameters<Queue['complete']>[0];

type AppCommand =
  | { kind: 'open' }
  | { kind: 'close' }
  | { kind: 'send' }
  | { kind: 'receive'; wait: number }
  | { kind: 'listen'; then: 'complete' | 'abandon' | 'keep' | 'throw' | 'close' }
  | { kind: 'peek' }
  | { kind: 'endListen' }
  | { kind: 'complete'; pick: number }
  | { kind: 'abandon'; pick: number };

type NetCommand = { kind: 'open' | 'ackAll' | 'inbound'; net: true } | { kind: 'connack'; net: true; code: 0 | 5 } | { kind: 'close'; net: true } | { kind: 'time'; net: true; ms: number };

interface Config {
  retry: boolean;
  autosubscribe: boolean;
  maxBuffered: number;
  transports: TransportPlan[];
}

const appCommand: fc.Arbitrary<AppCommand> = fc.oneof(
  fc.constant({ kind: 'open' as const }),
  fc.constant({ kind: 'close' as const }),
  fc.constant({ kind: 'send' as const }),
  fc.record({ kind: fc.constant('receive' as const), wait: fc.constantFrom(0, 100, 1_000) }),
  fc.record({ kind: fc.constant('listen' as const), then: fc.constantFrom('complete' as const, 'abandon' as const, 'keep' as const, 'throw' as const, 'close' as const) }),
  fc.constant({ kind: 'peek' as const }),
  fc.constant({ kind: 'endListen' as const }),
  fc.record({ kind: fc.constant('complete' as const), pick: fc.nat(10) }),
  fc.record({ kind: fc.constant('abandon' as const), pick: fc.nat(10) }),
);

const netCommand: fc.Arbitrary<NetCommand> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...(['open', 'ackAll'] as const).map((kind) => ({ kind, net: true as const }))) },
  { weight: 5, arbitrary: fc.constant({ kind: 'inbound' as const, net: true as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('connack' as const), net: fc.constant(true as const), code: fc.constantFrom<0 | 5>(0, 0, 0, 5) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const, net: true as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('time' as const), net: fc.constant(true as const), ms: fc.constantFrom(1, 100, 1_000, 5_000) }) },
);

interface Run {
  queue: Queue;
  fakes: Fake[];
  connacked: Set<Fake>;
  promises: { what: string; settled: boolean }[];
  /** Envelopes handed to the application (receive() or the receiver). */
  handed: Envelope[];
  /** Times each message (by packet id) was handed out, and abandon() was called for it. */
  handedCount: Map<number, number>;
  abandons: Map<number, number>;
  /** Inbound packet ids complete() was called for. */
  completed: Set<number>;
  next: number;
  failures: string[];
  log: string[];
}

function track(run: Run, what: string, promise: Promise<unknown>, within?: number): void {
  const entry = { what: `${run.promises.length} ${what}`, settled: false };
  run.promises.push(entry);
  const started = Date.now();
  const settled = (how: string) => (): void => {
    entry.settled = true;
    run.log.push(`  settled ${entry.what} ${how}`);
    // (Node runs a 0 ms timer after 1 ms: that tick is the timer, not a late settlement.)
    if (within !== undefined && Date.now() - started > Math.max(within, 1)) run.failures.push(`${entry.what} settled after ${Date.now() - started} ms`);
  };
  promise.then(settled('ok'), (error: { code?: string }) => settled(error?.code ?? String(error))());
}

function idOf(envelope: Envelope): number {
  return Number(envelope.message_id);
}

/** The application has `envelope`: a second time only after an abandon() of it. */
function handed(run: Run, envelope: Envelope): void {
  const id = idOf(envelope);
  const count = (run.handedCount.get(id) ?? 0) + 1;
  run.handedCount.set(id, count);
  if (count > 1 + (run.abandons.get(id) ?? 0)) run.failures.push(`message ${id} handed out ${count} times, abandoned ${run.abandons.get(id) ?? 0}`);
  run.handed.push(envelope);
}

function app(run: Run, command: AppCommand): void {
  const queue = run.queue;
  run.log.push(`app ${JSON.stringify(command)}`);
  const pick = (n: number): Envelope | undefined => run.handed[n % Math.max(1, run.handed.length)];
  try {
    switch (command.kind) {
      case 'open':
        return track(run, 'open', queue.open(null));
      case 'close':
        return track(run, 'close', queue.close(null));
      case 'send':
        return track(run, 'send', queue.sendAsObject(null, 'type', { a: 1 }));
      case 'receive': {
        const receiving = queue.receive(null, command.wait);
        void receiving.then((envelope) => envelope !== null && handed(run, envelope), () => {});
        return track(run, `receive ${command.wait}`, receiving, command.wait);
      }
      case 'listen':
        return queue.listen(null, {
          receiveMessage: (envelope) => {
            handed(run, envelope);
            if (command.then === 'complete') app(run, { kind: 'complete', pick: run.handed.length - 1 });
            else if (command.then === 'abandon') app(run, { kind: 'abandon', pick: run.handed.length - 1 });
            else if (command.then === 'close') app(run, { kind: 'close' });
            else if (command.then === 'throw') throw new Error('the receiver failed');
          },
        });
      case 'peek':
        return track(run, 'peek', queue.peek(null));
      case 'endListen':
        return queue.endListen(null);
      case 'complete': {
        const envelope = pick(command.pick);
        if (envelope === undefined) return;
        run.completed.add(idOf(envelope));
        return track(run, 'complete', queue.complete(envelope));
      }
      case 'abandon': {
        const envelope = pick(command.pick);
        if (envelope === undefined) return;
        run.abandons.set(idOf(envelope), (run.abandons.get(idOf(envelope)) ?? 0) + 1);
        return track(run, 'abandon', queue.abandon(envelope));
      }
    }
  } catch (error) {
    run.log.push(`  threw ${(error as { code?: string }).code}`); // NOT_OPENED: refused at once
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
      if (fake.packets[0]?.type === 'connect' && sendTo(fake, { type: 'connack', returnCode: command.code, sessionPresent: false })) run.connacked.add(fake);
      return;
    case 'ackAll':
      for (const packet of fake?.packets.splice(1) ?? []) {
        if (packet.type === 'publish' && packet.qos === 1) sendTo(fake, { type: 'puback', packetId: packet.packetId! });
        else if (packet.type === 'subscribe') sendTo(fake, { type: 'suback', packetId: packet.packetId, granted: packet.subscriptions.map((s) => s.qos) });
        else if (packet.type === 'unsubscribe') sendTo(fake, { type: 'unsuback', packetId: packet.packetId });
      }
      return;
    case 'inbound': {
      const packetId = run.next++;
      sendTo(fake, { type: 'publish', topic: 'q', payload: Uint8Array.of(1), qos: 1, dup: false, retain: false, packetId });
      return;
    }
    case 'close':
      if (fake === undefined) return;
      fake.closed = true;
      fake.events.close(new Error('reset'));
      return;
    case 'time':
      // (Async: a settlement's callbacks run at the time it happened, so its lateness shows.)
      await vi.advanceTimersByTimeAsync(command.ms);
      return;
  }
}

describe('the queue face under random interleavings (property)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("with ack_on 'complete': no PUBACK before complete(), every receive() settles within its wait, every promise settles", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          retry: fc.boolean(),
          autosubscribe: fc.boolean(),
          maxBuffered: fc.constantFrom(1, 2, 100),
          transports: fc.array(fc.record({ throws: fc.constantFrom(false, false, false, true), syncOpen: fc.boolean(), style: fc.constantFrom<DestroyStyle>('microtask', 'sync', 'late') }), { minLength: 1, maxLength: 3 }),
        }),
        fc.array(fc.oneof({ weight: 2, arbitrary: appCommand }, { weight: 3, arbitrary: netCommand }), { maxLength: 40, size: 'medium' }),
        async (config: Config, commands) => {
          vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
          try {
            const run: Run = { fakes: [], connacked: new Set(), promises: [], handed: [], handedCount: new Map(), abandons: new Map(), completed: new Set(), next: 1, failures: [], log: [] } as unknown as Run;
            const factory = scriptedFactory(config.transports, run.fakes, {
              written: (_fake, packet) => {
                if (packet.type === 'puback' && !run.completed.has(packet.packetId)) run.failures.push(`puback ${packet.packetId} before complete()`);
              },
              log: (line) => run.log.push(line),
            });
            run.queue = new MqttMessageQueue('q');
            run.queue.useEngineOptions_({ transport: factory, clock: () => Date.now() }); // the scripted transport, which no Pip key can name
            run.queue.on('error', () => {});
            run.queue.configure({
              'connection.uri': 'mqtt://127.0.0.1:1883',
              'options.qos': 1,
              'options.ack_on': 'complete',
              'options.retry_connect': config.retry,
              'options.autosubscribe': config.autosubscribe,
              'options.max_buffered': config.maxBuffered,
              'options.connect_timeout': 5_000,
              'options.keepalive_timeout': 0,
            });
            const prefix: (AppCommand | NetCommand)[] = [{ kind: 'open' }, { kind: 'open', net: true }, { kind: 'connack', net: true, code: 0 }, { kind: 'ackAll', net: true }];
            for (const command of [...prefix, ...commands]) {
              if ('net' in command) await net(run, command);
              else app(run, command);
              await flush();
            }
            app(run, { kind: 'close' });
            // (A close lingers up to 5 s for unacknowledged sends; an open() behind it waits up to connect_timeout.)
            for (let i = 0; i < 16; i++) {
              await flush();
              closeLate(run.fakes);
              await vi.advanceTimersByTimeAsync(1_000);
            }
            await flush();
            const trace = run.log.join('\n');
            expect(run.failures, trace).toEqual([]);
            expect(run.promises.filter((p) => !p.settled).map((p) => p.what), trace).toEqual([]);
          } finally {
            vi.useRealTimers();
          }
        },
      ),
      { numRuns: Number(process.env.RUNS ?? 300), ...(process.env.SEED !== undefined && { seed: Number(process.env.SEED) }) },
    );
  });
});
