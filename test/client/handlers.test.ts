/**
 * Public calls made from inside the client's own event handlers, on a transport the test
 * scripts by hand (found in review, with test/client/interleavings.property.test.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MqttClient, PacketDecoder, ResultCode, encode } from '../support/internals.js';
import type { ClientOptions, Packet, TransportEvents, TransportFactory } from '../support/internals.js';
import { Cleanup, settle } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

interface Scripted {
  events: TransportEvents;
  packets: Packet[];
  closed: boolean;
}

/** Transports that open on the next microtask and record what is written to them. */
function scripted(): { factory: TransportFactory; opened: Scripted[] } {
  const opened: Scripted[] = [];
  const factory: TransportFactory = (_endpoint, _options, events) => {
    const decoder = new PacketDecoder();
    const t: Scripted = { events, packets: [], closed: false };
    opened.push(t);
    const close = (): void => {
      if (t.closed) return;
      t.closed = true;
      queueMicrotask(() => events.close());
    };
    queueMicrotask(() => events.open());
    return { write: (bytes) => (t.packets.push(...decoder.push(bytes)), true), end: close, destroy: close };
  };
  return { factory, opened };
}

function client(options: Partial<ClientOptions> & { transport: TransportFactory }): MqttClient {
  return cleanup.client(new MqttClient({ url: 'mqtt://127.0.0.1:1', reconnect: false, keepalive: 0, ...options }));
}

async function connack(t: Scripted): Promise<void> {
  await settle();
  t.events.data(encode({ type: 'connack', returnCode: 0, sessionPresent: false }));
  await settle();
}

describe("requests made from the 'state' handler as the client turns 'disconnected'", () => {
  it('after disconnect(): connect() and subscribe() there go out on the new connection, not -3', async () => {
    const { factory, opened } = scripted();
    const c = client({ transport: factory });
    c.connect();
    await connack(opened[0]!);
    const results: number[] = [];
    let again = true;
    c.on('state', (state) => {
      if (state !== 'disconnected' || !again) return;
      again = false;
      c.connect();
      c.subscribe([{ topic: 'a/b', qos: 1 }], (result) => results.push(result));
    });
    c.disconnect();
    await settle();
    await connack(opened[1]!);
    expect(results).toEqual([]); // still waiting for its SUBACK
    expect(opened[1]!.packets.map((p) => p.type)).toEqual(['connect', 'subscribe']);
  });

  it('after a lost connection that will be retried: a publish there queues for the reconnect, not -3', async () => {
    const { factory, opened } = scripted();
    const c = client({ transport: factory, reconnect: { initialDelay: 1, maxDelay: 1 } });
    c.connect();
    await connack(opened[0]!);
    const results: number[] = [];
    c.on('state', (state) => {
      if (state === 'disconnected' && results.length === 0) c.publish('a/b', 'x', { qos: 1 }, (result) => results.push(result));
    });
    opened[0]!.events.close(new Error('reset'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await connack(opened[1]!);
    expect(opened[1]!.packets.map((p) => p.type)).toEqual(['connect', 'publish']);
    expect(results).toEqual([]);
    const publish = opened[1]!.packets[1] as Extract<Packet, { type: 'publish' }>;
    opened[1]!.events.data(encode({ type: 'puback', packetId: publish.packetId! }));
    await settle();
    expect(results).toEqual([ResultCode.SUCCESS]);
  });
});

describe('a transport that reports open after the client destroyed it (found in review)', () => {
  it('is not written to: no CONNECT, no connection, and its close still ends the attempt', async () => {
    let events: TransportEvents | undefined;
    const written: Packet[] = [];
    const decoder = new PacketDecoder();
    // destroy() that takes effect later (a custom stream, a proxy): the handshake finishes first.
    const late: TransportFactory = (_endpoint, _options, e) => {
      events = e;
      return { write: (bytes) => (written.push(...decoder.push(bytes)), true), end: () => {}, destroy: () => {} };
    };
    const c = client({ transport: late });
    const seen: string[] = [];
    c.on('connect', () => seen.push('connect'));
    c.on('connectfailed', () => seen.push('connectfailed'));
    c.on('close', () => seen.push('close'));
    c.connect();
    c.destroy();
    events!.open();
    events!.data(encode({ type: 'connack', returnCode: 0, sessionPresent: false }));
    await settle();
    expect({ written: written.map((p) => p.type), seen, state: c.state }).toEqual({ written: [], seen: [], state: 'disconnecting' });
    events!.close();
    await settle();
    expect({ seen, state: c.state }).toEqual({ seen: [], state: 'disconnected' });
  });
});

describe('a transport whose end() reports its close at once (found in review)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('leaves no close-grace timer behind (it kept the process alive 3 s, then destroyed a closed transport)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let events: TransportEvents | undefined;
    const syncEnd: TransportFactory = (_endpoint, _options, e) => {
      events = e;
      queueMicrotask(() => e.open());
      return { write: () => true, end: () => e.close(), destroy: () => e.close() };
    };
    const c = client({ transport: syncEnd });
    c.connect();
    await settle();
    events!.data(encode({ type: 'connack', returnCode: 0, sessionPresent: false }));
    await settle();
    const closed = new Promise((resolve) => c.disconnect(() => resolve(undefined)));
    await closed;
    expect({ state: c.state, timers: vi.getTimerCount() }).toEqual({ state: 'disconnected', timers: 0 });
  });
});

describe("disconnect(callback) from the 'state' handler of an earlier disconnect's close (found in review)", () => {
  it('runs once the connection it asked to close has closed, not with the earlier callbacks', async () => {
    const { factory, opened } = scripted();
    const c = client({ transport: factory });
    c.connect();
    await connack(opened[0]!);
    const log: string[] = [];
    let restarted = false;
    c.on('state', (state) => {
      if (state !== 'disconnected' || restarted) return;
      restarted = true;
      c.connect(); // a restart ...
      c.disconnect(() => log.push(`second callback, ${c.state}`)); // ... changed at once
    });
    c.disconnect(() => log.push(`first callback, ${c.state}`));
    await settle();
    await settle();
    expect(log).toEqual(['first callback, disconnecting', 'second callback, disconnected']);
  });
});

describe("destroy() from the 'state' handler as disconnect() turns the client 'disconnecting' (found by the property test)", () => {
  it('the close is finished once: no connectfailed, no reconnect after the application stopped', async () => {
    const opened: TransportEvents[] = [];
    // A transport whose destroy() reports the close at once.
    const syncClose: TransportFactory = (_endpoint, _options, events) => {
      opened.push(events);
      return { write: () => true, end: () => events.close(), destroy: () => events.close() };
    };
    const c = client({ transport: syncClose, reconnect: { initialDelay: 1, maxDelay: 1 } });
    const seen: string[] = [];
    for (const event of ['connectfailed', 'reconnect', 'close'] as const) c.on(event, () => seen.push(event));
    c.on('state', (state) => state === 'disconnecting' && c.destroy());
    c.connect(); // the transport is still opening
    c.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect({ seen, state: c.state, transports: opened.length }).toEqual({ seen: [], state: 'disconnected', transports: 1 });
  });
});

describe('a close reported while the client handles a CONNACK (found by the property test)', () => {
  it("destroy() from the 'state' handlers on CONNACK, on a transport that closes at once: reported once, and no reconnect", async () => {
    let events: TransportEvents | undefined;
    const opened: TransportEvents[] = [];
    const syncClose: TransportFactory = (_endpoint, _options, e) => {
      events = e;
      opened.push(e);
      queueMicrotask(() => e.open());
      return { write: () => true, end: () => e.close(), destroy: () => e.close() };
    };
    const c = client({ transport: syncClose, reconnect: { initialDelay: 1, maxDelay: 1 } });
    const seen: string[] = [];
    for (const event of ['connect', 'connectfailed', 'reconnect', 'close'] as const) c.on(event, () => seen.push(event));
    c.on('state', (state) => (state === 'connected' || state === 'disconnecting') && c.destroy());
    c.connect();
    await settle();
    events!.data(encode({ type: 'connack', returnCode: 0, sessionPresent: false }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect({ seen, state: c.state, transports: opened.length }).toEqual({ seen: ['connect', 'close'], state: 'disconnected', transports: 1 });
  });
});

describe('a close the session decided, waiting behind a callback that calls disconnect() (found by the property test)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keepalive timeout; the cut-off unsubscribe callback disconnects: the close is reported once, no reconnect', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const opened: TransportEvents[] = [];
    const syncClose: TransportFactory = (_endpoint, _options, e) => {
      opened.push(e);
      queueMicrotask(() => e.open());
      return { write: () => true, end: () => e.close(), destroy: () => e.close() };
    };
    let now = 0;
    const c = client({ transport: syncClose, keepalive: 1, clock: () => now, reconnect: { initialDelay: 1, maxDelay: 1 } });
    const seen: string[] = [];
    for (const event of ['connectfailed', 'reconnect', 'close'] as const) c.on(event, () => seen.push(event));
    c.connect();
    await settle();
    opened[0]!.data(encode({ type: 'connack', returnCode: 0, sessionPresent: false }));
    c.unsubscribe(['a/b'], () => c.disconnect()); // never answered: cut off by the close
    for (let i = 0; i < 4; i++) {
      now += 1_000;
      vi.advanceTimersByTime(1_000);
      await settle();
    }
    expect({ seen, state: c.state, transports: opened.length }).toEqual({ seen: ['close'], state: 'disconnected', transports: 1 });
  });
});

describe('destroy() from a QoS 0 callback completed by the close (found by the property test)', () => {
  it("the close is reported once, as the application's", async () => {
    let events: TransportEvents | undefined;
    const syncClose: TransportFactory = (_endpoint, _options, e) => {
      events = e;
      queueMicrotask(() => e.open());
      return { write: () => true, end: () => e.close(), destroy: () => e.close() };
    };
    const c = client({ transport: syncClose, reconnect: { initialDelay: 1, maxDelay: 1 } });
    const seen: string[] = [];
    for (const event of ['connectfailed', 'reconnect', 'close'] as const) c.on(event, (info: { reason?: string }) => seen.push(`${event} ${info.reason ?? ''}`));
    c.connect();
    await settle();
    events!.data(encode({ type: 'connack', returnCode: 0, sessionPresent: false }));
    const results: number[] = [];
    c.publish('a/b', 'x', { qos: 0 }, (result) => {
      results.push(result);
      c.destroy();
    });
    c.destroy(); // before the QoS 0 bytes are written: its callback runs from the close
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect({ seen, results, state: c.state }).toEqual({ seen: ['close normal'], results: [-3], state: 'disconnected' });
  });
});

describe('request callbacks that throw, or are no function at all (plain JavaScript)', () => {
  it('never unwind the client: each error is thrown on a fresh stack, and the publishes acknowledged with them complete', async () => {
    const { factory, opened } = scripted();
    const c = client({ transport: factory });
    c.connect();
    await connack(opened[0]!);
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    // vitest's own handler would also see them: collect them here instead.
    const others = process.listeners('uncaughtException');
    for (const listener of others) process.off('uncaughtException', listener);
    process.on('uncaughtException', onUncaught);
    const results: number[] = [];
    try {
      c.publish('a/b', 'x', { qos: 1 }, () => {
        throw new Error('callback bug');
      });
      for (const notAFunction of [42, null, {}]) c.publish('a/b', 'x', { qos: 1 }, notAFunction as never);
      c.publish('a/b', 'x', { qos: 1 }, (result) => results.push(result));
      await settle();
      const ids = opened[0]!.packets.flatMap((p) => (p.type === 'publish' ? [p.packetId!] : []));
      opened[0]!.events.data(Buffer.concat(ids.map((packetId) => encode({ type: 'puback', packetId }))));
      await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const listener of others) process.on('uncaughtException', listener);
    }
    expect({ results, uncaught: uncaught.length, state: c.state, inflight: c.inflightCount }).toEqual({ results: [0], uncaught: 4, state: 'connected', inflight: 0 });
    expect(uncaught.every((error) => error instanceof Error)).toBe(true);
  });
});
