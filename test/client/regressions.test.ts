/**
 * Regressions found by review and fault testing of the core client (issue 8). Each test fails
 * on the code before its fix; the waits are bounds against hangs, never timing assertions.
 */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_MAX_PACKET_SIZE, MqttClient, PacketDecoder, ResultCode, encode } from '../support/internals.js';
import type { ClientOptions, MqttError, Packet, Transport, TransportEvents, TransportFactory } from '../support/internals.js';
import { PacketWriter } from '../../src/client/writer.js';
import { startFakeBroker } from '../support/fake-broker.js';
import type { FakeBroker, FakeConnection } from '../support/fake-broker.js';
import { LOOPBACK } from '../support/ports.js';
import { Cleanup, WAIT_MS, disconnectAsync, makeClient, publishAsync, settle, subscribeAsync, unsubscribeAsync, until, waitFor } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function fakeBroker(): Promise<FakeBroker> {
  return cleanup.broker(await startFakeBroker());
}

/** A client connected to `broker` (CONNECT answered with CONNACK 0), and its broker-side connection. */
async function connectedOn(broker: FakeBroker, clientId: string, options: Partial<ClientOptions> = {}): Promise<{ client: MqttClient; conn: FakeConnection }> {
  const client = makeClient(cleanup, { url: broker.url, clientId, ...options });
  const connected = waitFor(client, 'connect');
  client.connect();
  const { conn } = await broker.acceptNext();
  await connected;
  return { client, conn };
}

describe('graceful disconnect under backpressure', () => {
  it('[MQTT-3.14.4-1] 8 × 4 MiB QoS 0 publishes then disconnect(): the broker gets all 8 and DISCONNECT, every callback 0, close normal', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectedOn(broker, 'bp-disconnect');
    const payload = new Uint8Array(4 * 1024 * 1024).fill(0x5a);
    const results = Array.from({ length: 8 }, (_, i) => publishAsync(client, `big/${i}`, payload, { qos: 0 }));
    const closed = waitFor(client, 'close');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await disconnectAsync(client);
    expect(await Promise.all(results)).toEqual(Array(8).fill(ResultCode.SUCCESS));
    expect(await closed).toEqual({ reason: 'normal', error: undefined });
    await conn.expectClosed({ timeoutMs: WAIT_MS });
    expect(conn.received.map((p) => p.type)).toEqual(['connect', ...Array(8).fill('publish'), 'disconnect']);
  });

  it('a DISCONNECT accepted while the writer waits for drain is written last, after the waiting packets', async () => {
    const manual = manualTransport();
    const client = await connectedManual(manual);
    manual.writable = false;
    const first = publishAsync(client, 'bp/1', 'x', { qos: 0 });
    await until(() => manual.writes.length === 2, 'the first PUBLISH write');
    const second = publishAsync(client, 'bp/2', 'y', { qos: 0 });
    await settle();
    const done = disconnectAsync(client);
    await done;
    expect(manual.packets().map((p) => p.type)).toEqual(['connect', 'publish', 'publish', 'disconnect']);
    expect(manual.ended).toBe(true);
    expect(await first).toBe(ResultCode.SUCCESS);
    expect(await second).toBe(ResultCode.SUCCESS);
  });

  it('QoS 0 bytes written before a graceful close that fails get -3, and close carries the error', async () => {
    const manual = manualTransport({ closeOnEnd: new Error('reset by peer') });
    const client = await connectedManual(manual);
    manual.writable = false;
    const first = publishAsync(client, 'bp/1', 'x', { qos: 0 });
    await until(() => manual.writes.length === 2, 'the PUBLISH write');
    const closed = waitFor(client, 'close');
    await disconnectAsync(client);
    expect(await first).toBe(ResultCode.DISCONNECTED);
    const info = await closed;
    expect(info.reason).toBe('normal');
    expect(info.error?.code).toBe('SOCKET_ERROR');
  });
});

describe('the close grace after DISCONNECT', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('[MQTT-3.14.4-1] restarts while unsent bytes keep going out, and ends 3 s after the last one left', async () => {
    const manual = manualTransport({ openAfterEnd: true });
    const client = await connectedManual(manual);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
    const closed = closeEvent(client); // no timeout of its own: the fake clock runs past one
    manual.unsent = 8_000_000;
    client.disconnect();
    await until(() => manual.ended, 'end() after DISCONNECT');
    for (const unsent of [6_000_000, 1_000, 0]) {
      manual.unsent = unsent; // a slow link, still sending
      await vi.advanceTimersByTimeAsync(3_000);
      expect(manual.destroyed).toBe(false);
    }
    await vi.advanceTimersByTimeAsync(3_000); // everything left; the broker never hung up
    expect(manual.destroyed).toBe(true);
    const info = await closed;
    expect(info.reason).toBe('normal');
    expect(info.error).toMatchObject({ code: 'CLOSE_TIMEOUT', message: expect.stringContaining('did not close within 3000 ms') });
  });

  it('a link that takes no bytes for 3 s is destroyed, and the error says how many bytes were dropped', async () => {
    const manual = manualTransport({ openAfterEnd: true });
    const client = await connectedManual(manual);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true });
    const closed = closeEvent(client);
    manual.unsent = 4_096;
    client.disconnect();
    await until(() => manual.ended, 'end() after DISCONNECT');
    await vi.advanceTimersByTimeAsync(2_900);
    expect(manual.destroyed).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(manual.destroyed).toBe(true);
    expect((await closed).error).toMatchObject({ code: 'CLOSE_TIMEOUT', message: expect.stringContaining('4096 bytes it did not take were dropped') });
  });
});

describe('a TransportFactory that reports open synchronously', () => {
  it('connects: CONNECT goes out and CONNACK completes the connection', async () => {
    const writes: Uint8Array[] = [];
    let events: TransportEvents | undefined;
    const factory: TransportFactory = (_endpoint, _options, e) => {
      events = e;
      e.open(); // before the factory has even returned its transport
      return { write: (b) => (writes.push(Uint8Array.from(b)), true), end: () => e.close(), destroy: () => e.close() };
    };
    const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: factory, connectTimeout: 2_000 });
    const connected = waitFor(client, 'connect');
    const failed = new Promise<MqttError>((resolve) => client.once('connectfailed', ({ error }) => resolve(error)));
    client.connect();
    await until(() => writes.length === 1, 'the CONNECT write', 1_500).catch(async () => {
      throw await failed;
    });
    expect(new PacketDecoder().push(writes[0]!)[0]!.type).toBe('connect');
    events!.data(encode({ type: 'connack', sessionPresent: false, returnCode: 0 }));
    await connected;
    expect(client.state).toBe('connected');
  });
});

describe("a TransportFactory of the application's", () => {
  it('may call its events detached, as plain functions', async () => {
    const writes: Uint8Array[] = [];
    let data: ((chunk: Uint8Array) => void) | undefined;
    const factory: TransportFactory = (_endpoint, _options, events) => {
      const { open, close } = events; // e.g. ws.onopen = events.open
      data = events.data;
      queueMicrotask(open);
      return { write: (b) => (writes.push(Uint8Array.from(b)), true), end: () => close(), destroy: () => close() };
    };
    const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: factory, connectTimeout: 2_000 });
    const connected = waitFor(client, 'connect');
    client.connect();
    await until(() => writes.length === 1, 'the CONNECT write', 1_500);
    data!(encode({ type: 'connack', sessionPresent: false, returnCode: 0 }));
    await connected;
    const closed = waitFor(client, 'close');
    client.destroy();
    expect((await closed).reason).toBe('normal');
  });
});

describe('once() listeners', () => {
  it('off(listener) removes a listener added with once()', async () => {
    const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: manualTransport().factory });
    let calls = 0;
    const listener = (): void => void calls++;
    client.once('state', listener);
    expect(client.listenerCount('state')).toBe(1);
    client.off('state', listener);
    expect(client.listenerCount('state')).toBe(0);
    client.connect();
    await settle();
    expect(calls).toBe(0);
  });

  it('a once() listener still runs once, and off() of another listener leaves it', async () => {
    const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: manualTransport().factory });
    const seen: string[] = [];
    client.once('state', (s) => seen.push(`once:${s}`));
    const other = (): void => void seen.push('other');
    client.on('state', other);
    client.off('state', other);
    client.connect();
    client.destroy();
    await settle();
    expect(seen).toEqual(['once:connecting']);
  });
});

describe('an encode failure in one flush', () => {
  it('writes the other packets of the batch (acks included) and fails only the packet that could not be encoded', async () => {
    const manual = manualTransport();
    const errors: unknown[] = [];
    const writer = new PacketWriter((error) => errors.push(error));
    writer.attach(manual.transport());
    const results: [string, number][] = [];
    writer.add({ type: 'puback', packetId: 1 });
    writer.add({ type: 'publish', topic: 'ok/0', payload: new Uint8Array([1]), qos: 0, dup: false, retain: false });
    writer.afterWrite((r) => results.push(['ok/0', r]));
    // A topic with a wildcard cannot be framed [MQTT-3.3.2-2]: it stands for any packet the codec refuses.
    writer.add({ type: 'publish', topic: 'bad/#', payload: new Uint8Array([2]), qos: 0, dup: false, retain: false });
    writer.afterWrite((r) => results.push(['bad/#', r]));
    writer.add({ type: 'pubrec', packetId: 2 });
    await settle();
    expect(manual.packets()).toEqual([
      { type: 'puback', packetId: 1 },
      { type: 'publish', topic: 'ok/0', payload: expect.anything(), qos: 0, dup: false, retain: false },
      { type: 'pubrec', packetId: 2 },
    ]);
    expect(results).toEqual([
      ['bad/#', ResultCode.FAILURE],
      ['ok/0', ResultCode.SUCCESS],
    ]);
    expect(errors).toHaveLength(1);
    // The next flush reports nothing twice and nothing falsely.
    writer.add({ type: 'pingreq' });
    writer.afterWrite((r) => results.push(['ping', r]));
    await settle();
    expect(results).toHaveLength(3);
    expect(results[2]).toEqual(['ping', ResultCode.SUCCESS]);
  });

  it('a payload too large for one packet is refused at publish(), with a typed error', () => {
    const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: manualTransport().factory });
    client.connect();
    // A view as long as the protocol's limit, without allocating 256 MB.
    const huge = new Uint8Array(new ArrayBuffer(8), 0, 0);
    Object.defineProperty(huge, 'length', { value: 268_435_455 });
    expect(() => client.publish('t', huge)).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
  });
});

describe('resubscribe after reconnect', () => {
  const FAST = { initialDelay: 5, maxDelay: 10 } as const;

  it('an UNSUBSCRIBE cut off by a lost connection is not undone: the filter is not subscribed again', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectedOn(broker, 'unsub-cut', { reconnect: FAST });
    const subscribed = subscribeAsync(client, [{ topic: 'keep/#', qos: 1 }, { topic: 'drop/#', qos: 1 }]);
    const sub = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [1, 1] });
    expect((await subscribed).result).toBe(0);
    const unsubscribed = unsubscribeAsync(client, ['drop/#']);
    await conn.expect('unsubscribe');
    conn.close(); // before UNSUBACK
    expect(await unsubscribed).toBe(ResultCode.INCOMPLETE);
    const { conn: again } = await broker.acceptNext({ sessionPresent: false });
    const resub = await again.expect('subscribe');
    expect(resub.subscriptions).toEqual([{ topic: 'keep/#', qos: 1 }]);
  });

  it('an UNSUBSCRIBE queued while reconnecting is not followed by a re-SUBSCRIBE of the same filter', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectedOn(broker, 'unsub-queued', { reconnect: FAST });
    const subscribed = subscribeAsync(client, [{ topic: 'a', qos: 0 }, { topic: 'b', qos: 0 }]);
    const sub = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [0, 0] });
    await subscribed;
    const lost = waitFor(client, 'close');
    conn.close();
    await lost;
    const unsubscribed = unsubscribeAsync(client, ['a']);
    const { conn: again } = await broker.acceptNext({ sessionPresent: false });
    const first = await again.expect('unsubscribe');
    expect(first.topics).toEqual(['a']);
    const resub = await again.expect('subscribe');
    expect(resub.subscriptions).toEqual([{ topic: 'b', qos: 0 }]);
    await again.send({ type: 'unsuback', packetId: first.packetId });
    expect(await unsubscribed).toBe(0);
  });

  it('a SUBACK for a subscribe made before an unsubscribe of the same filter does not bring it back', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectedOn(broker, 'sub-unsub', { reconnect: FAST });
    const subscribed = subscribeAsync(client, [{ topic: 'x', qos: 0 }, { topic: 'y', qos: 0 }]);
    const unsubscribed = unsubscribeAsync(client, ['x']);
    const sub = await conn.expect('subscribe');
    const unsub = await conn.expect('unsubscribe');
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [0, 0] });
    await conn.send({ type: 'unsuback', packetId: unsub.packetId });
    await subscribed;
    await unsubscribed;
    conn.close();
    const { conn: again } = await broker.acceptNext({ sessionPresent: false });
    expect((await again.expect('subscribe')).subscriptions).toEqual([{ topic: 'y', qos: 0 }]);
  });
});

describe('resubscribe with a full offline queue (found in review)', () => {
  it('the re-SUBSCRIBE on a fresh session is neither evicted by drop-oldest nor queued behind the held-back publishes', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectedOn(broker, 'resub-full', { maxInflight: 1, maxBuffered: 3, dropPolicy: 'drop-oldest', reconnect: { initialDelay: 5, maxDelay: 10 } });
    const subscribed = subscribeAsync(client, [{ topic: 'alerts/#', qos: 1 }]);
    const sub = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: sub.packetId, granted: [1] });
    expect((await subscribed).result).toBe(0);
    const lost = waitFor(client, 'close');
    conn.close();
    await lost;
    const results: number[] = [];
    for (let i = 0; i < 3; i++) client.publish(`out/${i}`, 'x', { qos: 1 }, (rc) => results.push(rc));
    const { conn: again } = await broker.acceptNext({ sessionPresent: false });
    // Before any PUBACK frees the one flow slot: the first publish, then the SUBSCRIBE.
    expect((await again.expect('publish')).topic).toBe('out/0');
    expect((await again.expect('subscribe')).subscriptions).toEqual([{ topic: 'alerts/#', qos: 1 }]);
    for (let i = 0; i < 3; i++) client.publish(`more/${i}`, 'y', { qos: 1 }, (rc) => results.push(rc));
    await settle();
    // The queue held out/1 and out/2 and takes 3 more with room for 3: both are evicted, and told so.
    expect(results).toEqual([ResultCode.MAX_BUFFERED, ResultCode.MAX_BUFFERED]);
  });
});

describe("limits past setTimeout's range (found in review)", () => {
  it('connectTimeout of 30 days waits for a CONNACK that comes 200 ms late, instead of failing after a millisecond', async () => {
    const broker = await fakeBroker();
    const client = makeClient(cleanup, { url: broker.url, connectTimeout: 30 * 24 * 3600 * 1000, reconnect: false });
    const connected = waitFor(client, 'connect');
    const failed: unknown[] = [];
    client.on('connectfailed', (info) => failed.push(info.error.code));
    client.connect();
    const conn = await broker.nextConnection();
    await conn.expect('connect');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 });
    await connected;
    expect(failed).toEqual([]);
  });

  it('connectTimeout that is not a positive number is INVALID_OPTIONS at construction', () => {
    for (const bad of [0, -1, Number.NaN, '200']) {
      expect(() => new MqttClient({ url: `mqtt://${LOOPBACK}:1`, connectTimeout: bad as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    }
  });
});

describe('half-open connections', () => {
  it('a client that only publishes QoS 0 pings a broker that stopped reading, and closes with keepalive-timeout', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => {
      sockets.push(socket);
      socket.once('data', () => {
        socket.write(encode({ type: 'connack', sessionPresent: false, returnCode: 0 }));
        socket.pause(); // reads nothing more, answers nothing more
      });
    });
    cleanup.add(server, (s) => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      s.close(() => resolve());
    }));
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    const port = (server.address() as net.AddressInfo).port;
    const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:${port}`, keepalive: 1, pingTimeout: 500 });
    const sent: Packet['type'][] = [];
    client.on('packetsend', (p) => sent.push(p.type));
    const connected = waitFor(client, 'connect');
    client.connect();
    await connected;
    const closed = waitFor(client, 'close');
    // Never idle on our side: a QoS 0 publish every 50 ms until the connection is declared dead.
    const timer = setInterval(() => client.publish('tick', 'x'), 50);
    try {
      const info = await closed;
      expect(info.reason).toBe('keepalive-timeout');
    } finally {
      clearInterval(timer);
    }
    expect(sent).toContain('pingreq');
  });
});

describe('inbound packet size', () => {
  it(`has a finite default (${DEFAULT_MAX_PACKET_SIZE} bytes): a header announcing 64 MiB closes with PACKET_TOO_LARGE before the body`, async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectedOn(broker, 'too-large');
    const closed = waitFor(client, 'close');
    // PUBLISH QoS 0, Remaining Length 64 MiB, and only the first body bytes.
    const length = 64 * 1024 * 1024;
    await conn.sendRaw(new Uint8Array([0x30, 0x80 | (length & 0x7f), 0x80 | ((length >> 7) & 0x7f), 0x80 | ((length >> 14) & 0x7f), length >> 21, 0x00, 0x01, 0x61]));
    const info = await closed;
    expect(info.reason).toBe('packet-too-large');
    expect(info.error?.code).toBe('PACKET_TOO_LARGE');
  });

  it('with a limit, a packet cut across chunks is copied as it arrives, not held as views of the chunks and copied again', () => {
    const payload = new Uint8Array(3 * 1024 * 1024).map((_, i) => i & 0xff);
    const bytes = encode({ type: 'publish', topic: 'big', payload, qos: 0, dup: false, retain: false });
    const decoder = new PacketDecoder({ maxPacketSize: DEFAULT_MAX_PACKET_SIZE });
    const out: Packet[] = [];
    for (let at = 0; at < bytes.length; at += 65_536) {
      const chunk = Uint8Array.from(bytes.subarray(at, at + 65_536));
      out.push(...decoder.push(chunk));
      chunk.fill(0xee); // a chunk the decoder still referenced would corrupt the packet
    }
    expect(out).toHaveLength(1);
    const packet = out[0] as Extract<Packet, { type: 'publish' }>;
    expect(Buffer.compare(Buffer.from(packet.payload), Buffer.from(payload))).toBe(0);
    // The payload is a view into the one buffer the packet was assembled in.
    expect(packet.payload.buffer.byteLength).toBeGreaterThanOrEqual(bytes.length);
  });

  it('maxPacketSize must be an integer within the protocol range', () => {
    for (const bad of [1, 0.5, 268_435_461, Number.NaN]) {
      expect(() => new MqttClient({ url: `mqtt://${LOOPBACK}:1`, maxPacketSize: bad })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    }
  });
});

// ---------------------------------------------------------------------------------------------

interface Manual {
  factory: TransportFactory;
  writes: Uint8Array[];
  writable: boolean;
  ended: boolean;
  destroyed: boolean;
  /** What the transport reports as accepted but not yet sent. */
  unsent: number;
  packets(): Packet[];
  events(): TransportEvents;
  transport(): Transport;
}

/** A transport the test drives by hand: write() answers `writable`, drain is manual. */
function manualTransport(options: { closeOnEnd?: Error; openAfterEnd?: boolean } = {}): Manual {
  let events: TransportEvents | undefined;
  let transport: Transport | undefined;
  const manual: Manual = {
    writes: [],
    writable: true,
    ended: false,
    destroyed: false,
    unsent: 0,
    factory: (_endpoint, _options, e) => {
      events = e;
      let closed = false;
      const close = (error?: Error): void => {
        if (closed) return;
        closed = true;
        queueMicrotask(() => e.close(error));
      };
      transport = {
        write: (chunk) => {
          manual.writes.push(Uint8Array.from(chunk));
          return manual.writable;
        },
        end: () => {
          manual.ended = true;
          if (!options.openAfterEnd) close(options.closeOnEnd);
        },
        destroy: () => {
          manual.destroyed = true;
          close();
        },
        unsentBytes: () => manual.unsent,
      };
      queueMicrotask(() => e.open());
      return transport;
    },
    packets: () => {
      const decoder = new PacketDecoder();
      return manual.writes.flatMap((w) => decoder.push(w));
    },
    events: () => events!,
    transport: () => transport ?? manual.factory({} as never, {}, { open() {}, data() {}, drain() {}, close() {} }),
  };
  return manual;
}

function closeEvent(client: MqttClient): Promise<{ reason: string; error: MqttError | undefined }> {
  return new Promise((resolve) => client.once('close', (info) => resolve(info)));
}

async function connectedManual(manual: Manual): Promise<MqttClient> {
  const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: manual.factory });
  const connected = waitFor(client, 'connect');
  client.connect();
  await until(() => manual.writes.length === 1, 'the CONNECT write');
  manual.events().data(encode({ type: 'connack', sessionPresent: false, returnCode: 0 }));
  await connected;
  return client;
}
