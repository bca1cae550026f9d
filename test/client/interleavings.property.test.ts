/**
 * Property test of the engine's interleavings: fast-check drives random sequences of public
 * calls (connect, disconnect with or without a callback and linger, destroy, publish QoS 0/1/2,
 * subscribe, unsubscribe, setReading, acknowledge) and transport events (open, CONNACK 0 or a
 * refusal, acks, inbound PUBLISH and PUBREL, garbage, backpressure and drain, close once or
 * twice, data after close, open after destroy, a factory that throws or opens synchronously) on
 * a scripted fake transport, with fake timers; and every event handler and request callback may itself make a
 * public call (taken in turn from a generated list). Asserted on every run:
 *  - every accepted request's callback, and every disconnect() callback, runs exactly once
 *    (never twice at any moment; by the end, after destroy(), never zero times);
 *  - no PUBACK/PUBREC is written for a message the application has not been handed, and with
 *    manualAck none before the application acknowledged it;
 *  - no transport is opened, and no CONNACK taken, after destroy()/disconnect() until connect();
 *  - 'connect' and 'close' alternate, starting with 'connect';
 *  - after destroy() and the transports' close, no timer is left and every transport is closed.
 * A failure prints the run's trace. RUNS=20000 (and SEED=…) hunts further; 1,000 runs take ~1.5 s.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MqttClient, encode } from '../support/internals.js';
import type { InboundMessage, Packet, QoS } from '../support/internals.js';
import { closeLate, flushMicrotasks as flush, scriptedFactory } from '../support/scripted-transport.js';
import type { DestroyStyle, Fake, TransportPlan } from '../support/scripted-transport.js';

type AppCommand =
  | { kind: 'connect' }
  | { kind: 'disconnect'; callback: boolean; linger: number }
  | { kind: 'destroy' }
  | { kind: 'publish'; qos: QoS }
  | { kind: 'subscribe' }
  | { kind: 'unsubscribe' }
  | { kind: 'setReading'; reading: boolean }
  | { kind: 'ack'; pick: number };

type NetCommand =
  | { kind: 'open' }
  | { kind: 'connack'; code: 0 | 3 | 5; sessionPresent: boolean }
  | { kind: 'ackAll' }
  | { kind: 'inbound'; qos: QoS; reuse: number | null }
  | { kind: 'pubrel'; pick: number }
  | { kind: 'garbage' }
  | { kind: 'close'; error: boolean; twice: boolean }
  | { kind: 'dataAfterClose' }
  | { kind: 'openAfterDestroy' }
  | { kind: 'time'; ms: number }
  | { kind: 'backpressure'; on: boolean };

type Command = AppCommand | NetCommand;

interface Config {
  manualAck: boolean;
  maxInflight: number | undefined;
  maxBuffered: number;
  dropPolicy: 'reject-new' | 'drop-oldest';
  queueQoS0: boolean;
  keepalive: number;
  reconnect: boolean;
  servers: number;
  cleanSession: boolean;
  startConnected: boolean;
  /** How each new transport behaves, in turn (cycled). */
  transports: TransportPlan[];
}

const appCommand: fc.Arbitrary<AppCommand> = fc.oneof(
  fc.constant({ kind: 'connect' as const }),
  fc.record({ kind: fc.constant('disconnect' as const), callback: fc.boolean(), linger: fc.constantFrom(0, 50, 5_000) }),
  fc.constant({ kind: 'destroy' as const }),
  fc.record({ kind: fc.constant('publish' as const), qos: fc.constantFrom<QoS>(0, 1, 2) }),
  fc.constant({ kind: 'subscribe' as const }),
  fc.constant({ kind: 'unsubscribe' as const }),
  fc.record({ kind: fc.constant('setReading' as const), reading: fc.boolean() }),
  fc.record({ kind: fc.constant('ack' as const), pick: fc.nat(20) }),
);

const netCommand: fc.Arbitrary<NetCommand> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'open' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('connack' as const), code: fc.constantFrom<0 | 3 | 5>(0, 0, 0, 3, 5), sessionPresent: fc.boolean() }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'ackAll' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('inbound' as const), qos: fc.constantFrom<QoS>(0, 1, 2), reuse: fc.option(fc.nat(20)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pubrel' as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'garbage' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('close' as const), error: fc.boolean(), twice: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'dataAfterClose' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'openAfterDestroy' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('backpressure' as const), on: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('time' as const), ms: fc.constantFrom(1, 100, 1_000, 30_000, 120_000) }) },
);

const configArb: fc.Arbitrary<Config> = fc.record({
  manualAck: fc.boolean(),
  maxInflight: fc.constantFrom(1, 2, undefined),
  maxBuffered: fc.constantFrom(0, 1, 3, 100),
  dropPolicy: fc.constantFrom('reject-new' as const, 'drop-oldest' as const),
  queueQoS0: fc.boolean(),
  keepalive: fc.constantFrom(0, 1, 60),
  reconnect: fc.boolean(),
  servers: fc.constantFrom(1, 2),
  cleanSession: fc.boolean(),
  startConnected: fc.constantFrom(true, true, true, false),
  transports: fc.array(
    fc.record({ throws: fc.constantFrom(false, false, false, true), syncOpen: fc.boolean(), style: fc.constantFrom<DestroyStyle>('microtask', 'sync', 'late') }),
    { minLength: 1, maxLength: 4 },
  ),
});

interface Run {
  client: MqttClient;
  fakes: Fake[];
  /** Calls of each callback, by request number. */
  calls: number[];
  failures: string[];
  messages: InboundMessage[];
  /** Inbound packet ids the application was handed / acknowledged. */
  seen: Set<number>;
  released: Set<number>;
  inboundIds: { id: number; qos: QoS }[];
  nextInboundId: number;
  reentrant: (AppCommand | null)[];
  connects: number;
  /** The application's last word was disconnect() or destroy(). */
  stopped: boolean;
  stoppedBeforeData: boolean;
  /** Between 'connect' and its 'close'. */
  up: boolean;
  /** What happened, for a failure's report. */
  log: string[];
}

function last(fakes: Fake[], test: (fake: Fake) => boolean): Fake | undefined {
  return fakes.filter(test).at(-1);
}

function live(run: Run): Fake | undefined {
  return last(run.fakes, (f) => !f.closed);
}

function start(config: Config, reentrant: (AppCommand | null)[]): Run {
  const run = { fakes: [], calls: [], failures: [], messages: [], seen: new Set(), released: new Set(), inboundIds: [], nextInboundId: 1, reentrant, connects: 0, stopped: false, stoppedBeforeData: false, up: false, log: [] } as unknown as Run;
  const factory = scriptedFactory(config.transports, run.fakes, {
    create: () => {
      if (run.stopped) run.failures.push('a transport opened after destroy()/disconnect(), before any connect()');
    },
    written: (fake, packet) => {
      // (Bytes the client had already accepted may still be flushed into a destroyed transport: harmless.)
      if (fake.destroyedUnopened && packet.type === 'connect') run.failures.push('CONNECT written to a transport destroyed before it opened');
      if (packet.type === 'puback' || packet.type === 'pubrec') {
        if (!run.seen.has(packet.packetId)) run.failures.push(`${packet.type} ${packet.packetId} before the application saw the message`);
        else if (config.manualAck && !run.released.has(packet.packetId)) run.failures.push(`${packet.type} ${packet.packetId} before acknowledge()`);
      }
    },
    log: (line) => run.log.push(line),
  });
  const servers = Array.from({ length: config.servers }, (_, i) => `mqtt://127.0.0.1:${1883 + i}`);
  const client = new MqttClient({
    servers,
    clientId: 'interleaving',
    transport: factory,
    clock: () => Date.now(),
    keepalive: config.keepalive,
    cleanSession: config.cleanSession,
    manualAck: config.manualAck,
    maxBuffered: config.maxBuffered,
    dropPolicy: config.dropPolicy,
    queueQoS0: config.queueQoS0,
    connectTimeout: 5_000,
    reconnect: config.reconnect ? { initialDelay: 100, maxDelay: 1_000 } : false,
    ...(config.maxInflight !== undefined && { maxInflight: config.maxInflight }),
  });
  run.client = client;
  const reenter = (): void => {
    const next = run.reentrant.shift();
    if (next) app(run, next);
  };
  client.on('close', () => {
    if (!run.up) run.failures.push("'close' without a 'connect' before it");
    run.up = false;
  });
  client.on('connect', () => {
    if (run.up) run.failures.push("a second 'connect' without a 'close' between");
    run.up = true;
    run.connects++;
    // (A 'state' handler's disconnect() as the client turns 'connected' is followed by this
    // CONNACK's 'connect': the stop came after it. One that came before the CONNACK must win.)
    if (run.stoppedBeforeData) run.failures.push("'connect' for a CONNACK read after destroy()/disconnect()");
  });
  client.on('message', (message) => {
    run.messages.push(message);
    if (message.packetId !== undefined) run.seen.add(message.packetId);
    reenter();
  });
  for (const event of ['connect', 'close', 'connectfailed', 'reconnect', 'restored', 'state'] as const) {
    client.on(event, (arg: unknown) => {
      run.log.push(`  ${event} ${JSON.stringify(arg)}`);
      reenter();
    });
  }
  return run;
}

/** A callback for request `n`: counts its calls, and may make a call of its own. */
function callback(run: Run): () => void {
  const n = run.calls.push(0) - 1;
  return () => {
    run.calls[n]!++;
    if (run.calls[n]! > 1) run.failures.push(`callback ${n} called ${run.calls[n]} times`);
    run.log.push(`  callback ${n}`);
    const next = run.reentrant.shift();
    if (next) app(run, next);
  };
}

function app(run: Run, command: AppCommand): void {
  const client = run.client;
  run.log.push(`app ${JSON.stringify(command)}`);
  switch (command.kind) {
    case 'connect':
      if (client.state === 'disconnected') {
        run.stopped = false;
        client.connect();
      }
      return;
    case 'disconnect':
      run.stopped = true;
      return client.disconnect(command.callback ? callback(run) : undefined, command.linger);
    case 'destroy':
      run.stopped = true;
      return client.destroy();
    case 'publish': {
      const cb = callback(run);
      if (client.publish('t/p', 'x', { qos: command.qos }, cb) !== 0) run.failures.push('publish refused');
      return;
    }
    case 'subscribe':
      client.subscribe([{ topic: 't/#', qos: 1 }], callback(run));
      return;
    case 'unsubscribe':
      client.unsubscribe(['t/#'], callback(run));
      return;
    case 'setReading':
      client.setReading(command.reading);
      return;
    case 'ack': {
      const message = run.messages[command.pick % Math.max(1, run.messages.length)];
      if (message !== undefined && client.acknowledge(message) && message.packetId !== undefined) run.released.add(message.packetId);
      return;
    }
  }
}

function send(run: Run, fake: Fake | undefined, packet: Packet): void {
  if (fake === undefined || !fake.opened || fake.closed) return;
  run.stoppedBeforeData = run.stopped;
  fake.events.data(encode(packet));
  run.stoppedBeforeData = false;
}

function net(run: Run, command: NetCommand): void {
  const fake = live(run);
  run.log.push(`net ${JSON.stringify(command)}`);
  switch (command.kind) {
    case 'open':
      if (fake !== undefined && !fake.opened && !fake.destroyed) {
        fake.opened = true;
        fake.events.open();
      }
      return;
    case 'connack':
      if (fake?.packets[0]?.type === 'connect' && !fake.packets.some((p) => p.type === 'disconnect')) send(run, fake, { type: 'connack', returnCode: command.code, sessionPresent: command.code === 0 && command.sessionPresent });
      return;
    case 'ackAll':
      for (const packet of fake?.packets.splice(1) ?? []) {
        if (packet.type === 'publish' && packet.qos === 1) send(run, fake, { type: 'puback', packetId: packet.packetId! });
        else if (packet.type === 'publish' && packet.qos === 2) send(run, fake, { type: 'pubrec', packetId: packet.packetId! });
        else if (packet.type === 'pubrel') send(run, fake, { type: 'pubcomp', packetId: packet.packetId });
        else if (packet.type === 'subscribe') send(run, fake, { type: 'suback', packetId: packet.packetId, granted: packet.subscriptions.map((s) => s.qos) });
        else if (packet.type === 'unsubscribe') send(run, fake, { type: 'unsuback', packetId: packet.packetId });
      }
      return;
    case 'inbound': {
      if (command.qos === 0) return send(run, fake, { type: 'publish', topic: 't/in', payload: new Uint8Array(1), qos: 0, dup: false, retain: false });
      const reused = command.reuse === null ? undefined : run.inboundIds.filter((i) => i.qos === command.qos)[command.reuse];
      const id = reused?.id ?? run.nextInboundId++;
      if (reused === undefined) run.inboundIds.push({ id, qos: command.qos });
      return send(run, fake, { type: 'publish', topic: 't/in', payload: new Uint8Array(1), qos: command.qos, dup: reused !== undefined, retain: false, packetId: id });
    }
    case 'pubrel': {
      const qos2 = run.inboundIds.filter((i) => i.qos === 2);
      const pick = qos2[command.pick % Math.max(1, qos2.length)];
      if (pick !== undefined) send(run, fake, { type: 'pubrel', packetId: pick.id });
      return;
    }
    case 'garbage':
      if (fake !== undefined && fake.opened && !fake.closed) fake.events.data(Uint8Array.of(0xf0, 0x00));
      return;
    case 'close':
      if (fake === undefined) return;
      fake.closed = true;
      fake.events.close(command.error ? new Error('reset') : undefined);
      if (command.twice) fake.events.close(new Error('again'));
      return;
    case 'dataAfterClose': {
      const closed = last(run.fakes, (f) => f.closed);
      closed?.events.data(encode({ type: 'connack', returnCode: 0, sessionPresent: false }));
      closed?.events.open();
      return;
    }
    case 'openAfterDestroy': {
      const destroyed = last(run.fakes, (f) => f.destroyed && !f.closed && !f.opened);
      if (destroyed === undefined) return;
      destroyed.opened = true;
      destroyed.events.open();
      return;
    }
    case 'time':
      vi.advanceTimersByTime(command.ms);
      return;
    case 'backpressure':
      if (fake === undefined || !fake.opened) return;
      fake.full = command.on;
      if (!command.on) fake.events.drain();
      return;
  }
}

describe('the engine under random interleavings (property)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('every callback exactly once, no ack before the application has the message, nothing left after destroy()', async () => {
    await fc.assert(
      fc.asyncProperty(
        configArb,
        fc.array(fc.oneof(appCommand, netCommand), { maxLength: 50 }),
        fc.array(fc.option(appCommand, { freq: 3 }), { maxLength: 12 }),
        async (config, commands, reentrant) => {
          vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
          try {
            const run = start(config, [...reentrant]);
            // Most runs begin connected: that is where most of the engine is.
            const prefix: Command[] = config.startConnected ? [{ kind: 'connect' }, { kind: 'open' }, { kind: 'connack', code: 0, sessionPresent: false }] : [];
            for (const command of [...prefix, ...commands]) {
              if (command.kind in NET) net(run, command as NetCommand);
              else app(run, command as AppCommand);
              await flush();
            }
            run.reentrant.length = 0;
            run.client.destroy();
            await flush();
            // A transport that closes late closes now, as a real one eventually does.
            closeLate(run.fakes);
            await flush();
            expect(run.failures, run.log.join('\n')).toEqual([]);
            expect(run.client.state).toBe('disconnected');
            expect(run.calls.map((c, n) => [n, c]).filter(([, c]) => c !== 1)).toEqual([]);
            expect(run.fakes.filter((f) => !f.closed && f.opened).length).toBe(0);
            expect(vi.getTimerCount(), run.log.join('\n')).toBe(0);
          } finally {
            vi.useRealTimers();
          }
        },
      ),
      { numRuns: Number(process.env.RUNS ?? 1_000), ...(process.env.SEED !== undefined && { seed: Number(process.env.SEED) }) },
    );
  });
});

const NET: Record<NetCommand['kind'], true> = {
  open: true,
  connack: true,
  ackAll: true,
  inbound: true,
  pubrel: true,
  garbage: true,
  close: true,
  dataAfterClose: true,
  openAfterDestroy: true,
  time: true,
  backpressure: true,
};
