/**
 * Shared helpers for the imp API suites: promise wrappers for the callback API (every wait is
 * bounded: a bound against hangs, never a timing assertion), a transport tap that can cut the
 * socket or hold back acknowledgements, a raw MQTT socket for a client that must not ping,
 * broker URL conversion to the imp's `tcp://` / `ssl://` schemes, and the check of a synchronous
 * throw's MqttError code.
 */
import net from 'node:net';
import { MqttClient, MqttError, PacketDecoder, createMqtt, encode, openTransport } from '../../support/internals.js';
import type { ImpClientConfig, ImpConnectOptions, ImpMessageItem, ImpMqttClient, Packet, Transport, TransportFactory } from '../../support/internals.js';
import { afterEach, beforeEach, expect } from 'vitest';
import { startFakeBroker } from '../../support/fake-broker.js';
import type { FakeBroker, FakeConnection } from '../../support/fake-broker.js';
import { LOOPBACK } from '../../support/ports.js';

export const WAIT_MS = 5_000;

/** mqtt://host:port → tcp://host:port, mqtts:// → ssl://: the imp's documented schemes. */
export function impUrl(url: string): string {
  return url.replace(/^mqtt:\/\//, 'tcp://').replace(/^mqtts:\/\//, 'ssl://');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with `what` if `promise` has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `predicate` until true; fails after `ms` naming `what`. */
export async function waitFor(predicate: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Records every call: its arguments, and how many the caller really passed. */
export class Calls<A extends unknown[] = unknown[]> {
  readonly args: A[] = [];
  /** `arguments.length` of each call: proves that nothing extra was passed. */
  readonly argc: number[] = [];

  get count(): number {
    return this.args.length;
  }

  /** A handler that records (declares no parameters: use for arity-0 slots). */
  record(...args: A): void {
    this.args.push(args);
    this.argc.push(args.length);
  }

  async waitForCount(n: number, what = `${n} call(s)`, ms = WAIT_MS): Promise<A[]> {
    await waitFor(() => this.args.length >= n, what, ms);
    return this.args;
  }
}

/** A handler-compatible message collector for onmessage. */
export class Inbox {
  readonly items: ImpMessageItem[] = [];
  readonly handler = (item: ImpMessageItem): void => {
    this.items.push(item);
  };

  texts(): string[] {
    return this.items.map((item) => item.message.tostring());
  }

  topics(): string[] {
    return this.items.map((item) => item.topic);
  }

  async waitForCount(n: number, what = `${n} message(s)`, ms = WAIT_MS): Promise<ImpMessageItem[]> {
    await waitFor(() => this.items.length >= n, `${what} (have ${this.items.length}: ${JSON.stringify(this.topics())})`, ms);
    return this.items;
  }

  clear(): void {
    this.items.length = 0;
  }
}

/** connect() and the onconnect result code; the onconnect slot is left holding the resolver. */
export function connectImp(client: ImpMqttClient, url: string, clientId: string, options: ImpConnectOptions = {}, ms = WAIT_MS): Promise<number> {
  const result = new Promise<number>((resolve) => client.onconnect((rc) => resolve(rc)));
  client.connect(url, clientId, options);
  return within(result, `onconnect for ${clientId}`, ms);
}

/** disconnect() and its callback. */
export function disconnectImp(client: ImpMqttClient, ms = WAIT_MS): Promise<void> {
  return within(new Promise<void>((resolve) => client.disconnect(() => resolve())), 'the disconnect() callback', ms);
}

/** sendasync() as a promise of its result code. */
export function sendImp(client: ImpMqttClient, topic: string, message: string | Uint8Array, options: { qos?: number; retain?: boolean } = {}, ms = WAIT_MS): Promise<number> {
  const msg = client.createmessage(topic, message, options);
  return within(new Promise<number>((resolve) => msg.sendasync((rc) => resolve(rc))), `sendasync on ${topic}`, ms);
}

/** subscribe() with a two-parameter callback; resolves (resultCode, qosMode). Fails if subscribe() returns non-zero. */
export function subscribeImp(client: ImpMqttClient, topics: string | string[], qos: number | number[] = 0, ms = WAIT_MS): Promise<[number, number | number[]]> {
  return within(
    new Promise<[number, number | number[]]>((resolve, reject) => {
      const rc = client.subscribe(topics, qos, (resultCode: number, qosMode: number | number[]) => resolve([resultCode, qosMode]));
      if (rc !== 0) reject(new Error(`subscribe(${JSON.stringify(topics)}) returned ${rc}`));
    }),
    `SUBACK for ${JSON.stringify(topics)}`,
    ms,
  );
}

export function unsubscribeImp(client: ImpMqttClient, topics: string | string[], ms = WAIT_MS): Promise<number> {
  return within(new Promise<number>((resolve) => client.unsubscribe(topics, (rc) => resolve(rc))), `UNSUBACK for ${JSON.stringify(topics)}`, ms);
}

/** A fresh agent (its own `mqtt` object) and a client of it: one per simulated device. */
export function newDevice(config: ImpClientConfig = {}): ImpMqttClient {
  return createMqtt().createclient(config);
}

/** Starts connect() against the fake broker, accepts CONNECT with CONNACK 0, and waits for onconnect(0). */
export async function connectFake(
  broker: FakeBroker,
  client: ImpMqttClient,
  clientId = 'imp-test',
  options: ImpConnectOptions = {},
): Promise<{ conn: FakeConnection; connect: Extract<Packet, { type: 'connect' }> }> {
  const rc = new Promise<number>((resolve) => client.onconnect((code) => resolve(code)));
  client.connect(impUrl(broker.url), clientId, options);
  const { conn, connect } = await broker.acceptNext();
  const code = await within(rc, 'onconnect(0)');
  if (code !== 0) throw new Error(`onconnect(${code}), expected 0`);
  return { conn, connect };
}

/** Client-side disconnect against the fake broker, hanging up when DISCONNECT arrives. */
export async function disconnectFake(client: ImpMqttClient, conn: FakeConnection): Promise<void> {
  const done = disconnectImp(client);
  await conn.expect('disconnect').catch(() => undefined);
  conn.close();
  await done;
}

/** Splits a buffer of whole MQTT frames into frames. */
export function frames(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    let length = 0;
    let multiplier = 1;
    let i = offset + 1;
    for (;;) {
      const byte = bytes[i++]!;
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if ((byte & 0x80) === 0) break;
    }
    out.push(bytes.subarray(offset, i + length));
    offset = i + length;
  }
  return out;
}

/**
 * The real transport with a handle on it: `cut()` destroys the socket (an abnormal close, so the
 * broker publishes the will), and `holdAcks` swallows outgoing PUBACK/PUBREC (Paho's "pause":
 * the client stops acknowledging incoming publishes). The client writes whole frames.
 */
export class TransportTap {
  holdAcks = false;
  /** Packet types (high nibble) swallowed while holdAcks is set. */
  readonly heldTypes = new Set([4, 5]);
  heldFrames = 0;
  /** Every frame the client wrote (held ones included), as [packet type, connection number]. */
  readonly written: [type: number, connection: number][] = [];
  connections = 0;
  #current: Transport | null = null;

  readonly factory: TransportFactory = (endpoint, options, events) => {
    const inner = openTransport(endpoint, options, events);
    const tap = this;
    const connection = ++this.connections;
    const wrapped: Transport = {
      write(bytes) {
        const all = frames(bytes);
        for (const frame of all) tap.written.push([frame[0]! >> 4, connection]);
        if (!tap.holdAcks) return inner.write(bytes);
        const kept = all.filter((frame) => {
          const held = tap.heldTypes.has(frame[0]! >> 4);
          if (held) tap.heldFrames++;
          return !held;
        });
        return kept.length === 0 ? true : inner.write(Buffer.concat(kept));
      },
      end: () => inner.end(),
      destroy: () => inner.destroy(),
    };
    this.#current = wrapped;
    return wrapped;
  };

  /** Packet types written on connection `n` (1 = the first). */
  typesOn(n: number): number[] {
    return this.written.filter(([, c]) => c === n).map(([type]) => type);
  }

  /** Destroys the socket under the client, as a network failure would. */
  cut(): void {
    this.#current?.destroy();
  }
}

/**
 * A bare MQTT connection on a socket: CONNECT goes out as given, CONNACK is read back, and then
 * nothing more is sent: no PINGREQ, ever (Paho's test client with a keepalive it never honours).
 */
export async function rawConnect(
  port: number,
  connect: Extract<Packet, { type: 'connect' }> | Uint8Array,
): Promise<{ socket: net.Socket; connack: Extract<Packet, { type: 'connack' }>; closed: Promise<void> }> {
  // Encoded up front: a CONNECT the codec refuses must not leave a socket behind.
  const bytes = connect instanceof Uint8Array ? connect : encode(connect);
  const socket = net.connect({ host: LOOPBACK, port });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await within(new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  }), 'raw TCP connect');
  const decoder = new PacketDecoder();
  const connack = within(
    new Promise<Extract<Packet, { type: 'connack' }>>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        for (const packet of decoder.push(chunk)) if (packet.type === 'connack') resolve(packet);
      });
      socket.once('close', () => reject(new Error('closed before CONNACK')));
    }),
    'CONNACK on the raw socket',
  );
  socket.write(bytes);
  return { socket, connack: await connack, closed };
}

/** A core client (not the imp API) for observing or publishing where the imp API is the subject. */
export async function coreClient(url: string, clientId: string, extra: Partial<ConstructorParameters<typeof MqttClient>[0]> = {}): Promise<MqttClient> {
  const client = new MqttClient({ url, clientId, reconnect: false, ...extra });
  const connected = new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('connectfailed', ({ error }) => reject(error));
  });
  client.connect();
  await within(connected, `core client ${clientId} connecting`);
  return client;
}

export function closeCore(client: MqttClient): Promise<void> {
  if (client.state === 'disconnected') return Promise.resolve();
  return within(new Promise<void>((resolve) => client.disconnect(() => resolve())), 'core client disconnect');
}

/** Best-effort teardown for clients a failed test may have left in any state. */
export async function closeAll(clients: ImpMqttClient[]): Promise<void> {
  await Promise.all(
    clients.map((client) => within(new Promise<void>((resolve) => client.close(() => resolve())), 'close()').catch(() => undefined)),
  );
}

/** Runs `fn`, expecting an MqttError with `code`. */
export function throwsCode(fn: () => unknown, code: string): MqttError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected MqttError ${code}`).toBeInstanceOf(MqttError);
  expect((caught as MqttError).code).toBe(code);
  return caught as MqttError;
}


/**
 * A fresh fake broker for every test, plus the devices (and extra brokers) a test makes, all
 * stopped after it. The broker stops first, so closing a client never waits on a silent peer.
 */
export function fakeBrokerPerTest(): {
  readonly broker: FakeBroker;
  device(config?: ImpClientConfig): ImpMqttClient;
  adopt(...made: ImpMqttClient[]): void;
  track(extra: FakeBroker): FakeBroker;
  connected(clientId: string, config?: ImpClientConfig): Promise<{ client: ImpMqttClient; conn: FakeConnection }>;
} {
  let current: FakeBroker | undefined;
  const clients: ImpMqttClient[] = [];
  const extras: FakeBroker[] = [];
  beforeEach(async () => {
    current = await startFakeBroker({ autoPingresp: true });
  });
  afterEach(async () => {
    await current?.stop();
    await Promise.all(extras.splice(0).map((b) => b.stop()));
    await closeAll(clients.splice(0));
  });
  const suite = {
    get broker(): FakeBroker {
      if (current === undefined) throw new Error('fakeBrokerPerTest: no broker outside a test');
      return current;
    },
    device(config: ImpClientConfig = {}): ImpMqttClient {
      const client = newDevice(config);
      clients.push(client);
      return client;
    },
    /** Closes clients the test made itself (other agents, say) after it, too. */
    adopt(...made: ImpMqttClient[]): void {
      clients.push(...made);
    },
    track(extra: FakeBroker): FakeBroker {
      extras.push(extra);
      return extra;
    },
    /** A device connected to this test's broker (connectFake), and its broker-side connection. */
    async connected(clientId: string, config: ImpClientConfig = {}): Promise<{ client: ImpMqttClient; conn: FakeConnection }> {
      const client = suite.device(config);
      const { conn } = await connectFake(suite.broker, client, clientId);
      return { client, conn };
    },
  };
  return suite;
}

