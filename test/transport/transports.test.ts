/**
 * The transports on real sockets, through MqttClient: TCP and TLS to aedes (server auth, mutual
 * TLS, and every bad-certificate case failing loudly), WebSocket (ws:// and wss://) with the
 * builtin RFC 6455 client, and a raw WebSocket server that cuts MQTT packets across frames and
 * packs several into one [MQTT-6.0.0-2].
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { MqttClient, MqttError, PacketDecoder, encode } from '../support/internals.js';
import type { ClientOptions, Packet, PacketType, TlsOptions } from '../support/internals.js';
import { startAedes, startAedesWebSocket } from '../support/aedes.js';
import { certs, clientIdentity } from '../support/certs.js';
import type { ServerIdentityName } from '../support/certs.js';
import { startFakeBroker } from '../support/fake-broker.js';
import { LOOPBACK, deadPort } from '../support/ports.js';
import {
  Cleanup,
  WAIT_MS,
  collectMessages,
  connectedClient,
  disconnectAsync,
  makeClient,
  publishAsync,
  subscribeAsync,
  uniqueId,
  utf8,
  waitFor,
} from '../client/helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** Subscribes, publishes at QoS 0/1/2 on the same client and checks every message comes back. */
async function roundTrip(client: MqttClient, topic = `rt/${uniqueId()}`): Promise<void> {
  const { result, granted } = await subscribeAsync(client, [{ topic, qos: 2 }]);
  expect(result).toBe(0);
  expect(granted).toEqual([2]);
  const inbox = collectMessages(client, topic);
  expect(await publishAsync(client, topic, 'zero', { qos: 0 })).toBe(0);
  expect(await publishAsync(client, topic, 'one', { qos: 1 })).toBe(0);
  expect(await publishAsync(client, topic, 'two', { qos: 2 })).toBe(0);
  const messages = await inbox.wait(3);
  expect(messages.map((m) => utf8(m.payload)).sort()).toEqual(['one', 'two', 'zero']);
  inbox.stop();
}

/** Starts a client expected to fail before CONNACK; returns the connectfailed info. */
async function failedConnect(options: ClientOptions): Promise<{ returnCode: number | undefined; error: MqttError }> {
  const client = makeClient(cleanup, { connectTimeout: WAIT_MS, ...options });
  let connected = false;
  client.on('connect', () => {
    connected = true;
  });
  const failed = waitFor(client, 'connectfailed');
  client.connect();
  const info = await failed;
  expect(connected).toBe(false);
  expect(client.state).toBe('disconnected');
  expect(info.error).toBeInstanceOf(MqttError);
  return info;
}

// ---------------------------------------------------------------------------------------------

describe('TCP', () => {
  it('[MQTT-7.1.2-1] TCP: connects to aedes and round-trips QoS 0/1/2', async () => {
    const broker = cleanup.broker(await startAedes());
    const client = await connectedClient(cleanup, { url: broker.url, clientId: uniqueId() });
    expect(client.connected).toBe(true);
    await roundTrip(client);
    await disconnectAsync(client);
    expect(client.state).toBe('disconnected');
  });

  it('fails with SOCKET_ERROR naming the address when nothing listens', async () => {
    const port = await deadPort();
    const { error, returnCode } = await failedConnect({ url: `mqtt://${LOOPBACK}:${port}` });
    expect(returnCode).toBeUndefined();
    expect(error.code).toBe('SOCKET_ERROR');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('TLS', () => {
  const startTls = async (identity: ServerIdentityName = 'good', requireClientCert = false) =>
    cleanup.broker(await startAedes({ tls: { identity, requireClientCert } }));

  it('[MQTT-7.1.2-1] TLS server authentication: verifies aedes against the test CA and round-trips', async () => {
    const broker = await startTls();
    expect(broker.url.startsWith('mqtts://')).toBe(true);
    const client = await connectedClient(cleanup, { url: broker.url, tls: { ca: certs.caCert } });
    await roundTrip(client);
  });

  it('ssl:// and tls:// are TLS too', async () => {
    const broker = await startTls();
    for (const scheme of ['ssl', 'tls']) {
      const client = await connectedClient(cleanup, { url: `${scheme}://${LOOPBACK}:${broker.port}`, tls: { ca: certs.caCert } });
      expect(client.connected).toBe(true);
      await disconnectAsync(client);
    }
  });

  it('checks the certificate against `servername` when one is given', async () => {
    // The good certificate names localhost; the wrong-host one names only wrong-host.invalid.
    const good = await startTls();
    const viaName = await connectedClient(cleanup, { url: good.url, tls: { ca: certs.caCert, servername: 'localhost' } });
    expect(viaName.connected).toBe(true);
    const wrongHost = await startTls('wrongHost');
    const named = await connectedClient(cleanup, { url: wrongHost.url, tls: { ca: certs.caCert, servername: 'wrong-host.invalid' } });
    expect(named.connected).toBe(true);
  });

  it('mutual TLS: connects with the client certificate', async () => {
    const broker = await startTls('good', true);
    const tls: TlsOptions = { ca: certs.caCert, cert: clientIdentity.cert, key: clientIdentity.key };
    const client = await connectedClient(cleanup, { url: broker.url, tls });
    await roundTrip(client);
  });

  it('mutual TLS: without a client certificate the connection fails (never reaches CONNACK)', async () => {
    const broker = await startTls('good', true);
    const { error, returnCode } = await failedConnect({ url: broker.url, tls: { ca: certs.caCert } });
    expect(returnCode).toBeUndefined();
    // TLS 1.3: the client's handshake completes, then the server's "certificate required" alert arrives.
    expect(error.code).toBe('TLS_ERROR');
    expect(error.message).toMatch(/certificate required/);
  });

  const badCertificates: [ServerIdentityName, RegExp][] = [
    ['untrusted', /self[- ]signed|unable to (verify|get local issuer)|certificate/i],
    ['wrongHost', /altnames|does not match/i],
    ['expired', /expired/i],
  ];

  for (const [identity, reason] of badCertificates) {
    it(`fails with TLS_ERROR and a clear message against the ${identity} certificate (rejectUnauthorized defaults to true)`, async () => {
      const broker = await startTls(identity);
      const { error, returnCode } = await failedConnect({ url: broker.url, tls: { ca: certs.caCert } });
      expect(returnCode).toBeUndefined();
      expect(error.code).toBe('TLS_ERROR');
      expect(error.message).toContain(`TLS handshake to 127.0.0.1:${broker.port} failed`);
      expect(error.message).toMatch(reason);
    });
  }

  it('sends no MQTT byte to a server whose certificate fails (no silent downgrade)', async () => {
    const fake = cleanup.broker(await startFakeBroker({ tls: { identity: 'untrusted' } }));
    const { error } = await failedConnect({ url: fake.url, tls: { ca: certs.caCert }, username: 'alice', password: 'secret' });
    expect(error.code).toBe('TLS_ERROR');
    expect(fake.connections.every((conn) => conn.rawChunks.length === 0)).toBe(true);
  });

  it('fails against the untrusted certificate with no TLS options at all (system trust store)', async () => {
    const broker = await startTls('untrusted');
    const { error } = await failedConnect({ url: broker.url });
    expect(error.code).toBe('TLS_ERROR');
  });

  it('connects to the untrusted certificate only with rejectUnauthorized: false', async () => {
    const broker = await startTls('untrusted');
    const client = await connectedClient(cleanup, { url: broker.url, tls: { ca: certs.caCert, rejectUnauthorized: false } });
    await roundTrip(client);
  });

  it('a TLS client against a plain TCP listener fails instead of speaking MQTT in the clear', async () => {
    const fake = cleanup.broker(await startFakeBroker());
    const { error } = await failedConnect({ url: `mqtts://${LOOPBACK}:${fake.port}`, tls: { ca: certs.caCert }, connectTimeout: 500 });
    // The listener never answers the ClientHello, so the attempt runs into the connect timeout.
    expect(error.code).toBe('CONNECT_TIMEOUT');
    // Whatever reached the listener was a TLS ClientHello (0x16), never an MQTT CONNECT (0x10).
    for (const conn of fake.connections) {
      const first = conn.rawBytes()[0];
      if (first !== undefined) expect(first).toBe(0x16);
      expect(conn.received).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('WebSocket (builtin RFC 6455 client)', () => {
  it('[MQTT-6.0.0-3] ws:// to aedes: offers the mqtt subprotocol and round-trips QoS 0/1/2', async () => {
    const broker = cleanup.broker(await startAedesWebSocket());
    const client = await connectedClient(cleanup, { url: broker.url, ws: { implementation: 'builtin' } });
    await roundTrip(client);
    expect(broker.upgrades).toHaveLength(1);
    expect(broker.upgrades[0]!.protocol).toBe('mqtt');
    expect(broker.upgrades[0]!.url).toBe('/mqtt');
    expect(broker.upgrades[0]!.headers['sec-websocket-protocol']).toBe('mqtt');
  });

  it('uses the builtin client by default on a Node without a global WebSocket', async () => {
    const broker = cleanup.broker(await startAedesWebSocket());
    const client = await connectedClient(cleanup, { url: broker.url });
    await roundTrip(client);
  });

  it('wss:// to aedes with the test CA', async () => {
    const broker = cleanup.broker(await startAedesWebSocket({ tls: true }));
    expect(broker.url.startsWith('wss://')).toBe(true);
    const client = await connectedClient(cleanup, { url: broker.url, tls: { ca: certs.caCert }, ws: { implementation: 'builtin' } });
    await roundTrip(client);
  });

  it('wss:// against an untrusted certificate fails with TLS_ERROR', async () => {
    const broker = cleanup.broker(await startAedesWebSocket({ tls: { identity: 'untrusted' } }));
    const { error } = await failedConnect({ url: broker.url, tls: { ca: certs.caCert }, ws: { implementation: 'builtin' } });
    expect(error.code).toBe('TLS_ERROR');
  });

  it('sends the URL path with its query and the extra headers in the upgrade request', async () => {
    const broker = cleanup.broker(await startAedesWebSocket({ path: '/custom' }));
    const client = await connectedClient(cleanup, {
      url: `ws://${LOOPBACK}:${broker.port}/custom?token=abc`,
      ws: { implementation: 'builtin', headers: { 'X-Test-Header': 'hello' } },
    });
    await roundTrip(client);
    expect(broker.upgrades[0]!.url).toBe('/custom?token=abc');
    expect(broker.upgrades[0]!.headers['x-test-header']).toBe('hello');
  });

  it('fails with WEBSOCKET_ERROR when the server refuses the upgrade (wrong path)', async () => {
    const broker = cleanup.broker(await startAedesWebSocket({ path: '/mqtt' }));
    const { error } = await failedConnect({ url: `ws://${LOOPBACK}:${broker.port}/elsewhere`, ws: { implementation: 'builtin' } });
    expect(error.code).toBe('WEBSOCKET_ERROR');
    expect(error.message).toMatch(/refused the upgrade/);
  });

  it.skipIf(typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function')(
    "implementation 'global' on a platform without a global WebSocket fails with UNSUPPORTED_TRANSPORT",
    async () => {
      const { error } = await failedConnect({ url: `ws://${LOOPBACK}:9/mqtt`, ws: { implementation: 'global' } });
      expect(error.code).toBe('UNSUPPORTED_TRANSPORT');
    },
  );
});

describe("WebSocket through a platform WebSocket class (implementation 'global')", () => {
  const g = globalThis as { WebSocket?: unknown };
  let saved: unknown;

  afterEach(() => {
    if (saved === undefined) delete g.WebSocket;
    else g.WebSocket = saved;
  });

  it('[MQTT-6.0.0-3] round-trips through a WHATWG-style WebSocket (the ws package standing in for the browser one)', async () => {
    saved = g.WebSocket;
    g.WebSocket = WsWebSocket;
    const broker = cleanup.broker(await startAedesWebSocket());
    const client = await connectedClient(cleanup, { url: broker.url, ws: { implementation: 'global' } });
    await roundTrip(client);
    expect(broker.upgrades[0]!.protocol).toBe('mqtt');
  });
});

// ---------------------------------------------------------------------------------------------
// A raw WebSocket server: the test writes every frame itself.

interface ClientFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

interface RawWsConnection {
  readonly request: IncomingMessage;
  readonly frames: ClientFrame[];
  readonly packets: Packet[];
  readonly closed: Promise<void>;
  expectPacket<T extends PacketType>(type: T): Promise<Extract<Packet, { type: T }>>;
  expectFrame(opcode: number): Promise<ClientFrame>;
  write(bytes: Uint8Array): void;
  destroy(): void;
}

interface RawWsServer {
  readonly url: string;
  next(): Promise<RawWsConnection>;
  stop(): Promise<void>;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(opcode: number, payload: Uint8Array, fin = true): Uint8Array {
  const n = payload.length;
  const header = n < 126 ? [(fin ? 0x80 : 0) | opcode, n] : [(fin ? 0x80 : 0) | opcode, 126, n >>> 8, n & 0xff];
  return Uint8Array.from([...header, ...payload]);
}

const join = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

/**
 * `respond` builds the HTTP response head from the computed accept value (default: a correct 101
 * with subprotocol mqtt).
 */
async function startRawWsServer(respond: (accept: string) => string = (accept) =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n`,
): Promise<RawWsServer> {
  const server = createServer((_req, res) => res.writeHead(404).end());
  const sockets = new Set<Socket>();
  const ready: RawWsConnection[] = [];
  const waiting: ((conn: RawWsConnection) => void)[] = [];
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    const key = String(request.headers['sec-websocket-key']);
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.on('error', () => {});
    // HTTP server sockets allow half-open connections: close our side when the client closes its own.
    socket.on('end', () => socket.end());
    socket.write(Buffer.from(respond(accept), 'latin1'));
    const conn = rawConnection(request, socket, head);
    const waiter = waiting.shift();
    if (waiter) waiter(conn);
    else ready.push(conn);
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: LOOPBACK }, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `ws://${LOOPBACK}:${address.port}/mqtt`,
    next: () =>
      new Promise((resolve, reject) => {
        const conn = ready.shift();
        if (conn) return resolve(conn);
        const timer = setTimeout(() => reject(new Error('no WebSocket connection')), WAIT_MS);
        waiting.push((c) => {
          clearTimeout(timer);
          resolve(c);
        });
      }),
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function rawConnection(request: IncomingMessage, socket: Socket, head: Buffer): RawWsConnection {
  const frames: ClientFrame[] = [];
  const packets: Packet[] = [];
  const decoder = new PacketDecoder();
  let buffer = Buffer.alloc(0);
  let notify: (() => void) | null = null;
  let isClosed = false;
  const closed = new Promise<void>((resolve) => socket.once('close', () => {
    isClosed = true;
    notify?.();
    resolve();
  }));

  const parse = (chunk: Buffer): void => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (buffer.length < 2) break;
      const short = buffer[1]! & 0x7f;
      const lengthBytes = short === 126 ? 2 : short === 127 ? 8 : 0;
      const masked = (buffer[1]! & 0x80) !== 0;
      const headerLength = 2 + lengthBytes + (masked ? 4 : 0);
      if (buffer.length < headerLength) break;
      const length = short === 126 ? buffer.readUInt16BE(2) : short === 127 ? Number(buffer.readBigUInt64BE(2)) : short;
      if (buffer.length < headerLength + length) break;
      const key = masked ? buffer.subarray(2 + lengthBytes, headerLength) : Buffer.alloc(4);
      const payload = Uint8Array.from(buffer.subarray(headerLength, headerLength + length), (b, i) => b ^ key[i & 3]!);
      const f: ClientFrame = { fin: (buffer[0]! & 0x80) !== 0, opcode: buffer[0]! & 0x0f, masked, payload };
      buffer = buffer.subarray(headerLength + length);
      frames.push(f);
      if (f.opcode === 0x2 || f.opcode === 0x0) packets.push(...decoder.push(f.payload));
    }
    notify?.();
  };
  socket.on('data', parse);
  if (head.length > 0) parse(head);

  const waitUntil = async <T>(find: () => T | undefined, what: string): Promise<T> => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (isClosed) throw new Error(`connection closed while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${WAIT_MS} ms`);
      await new Promise<void>((resolve) => {
        notify = resolve;
        setTimeout(resolve, 50);
      });
      notify = null;
    }
  };
  let packetIndex = 0;
  let frameIndex = 0;
  return {
    request,
    frames,
    packets,
    closed,
    expectPacket: async <T extends PacketType>(type: T) => {
      const packet = await waitUntil(() => packets[packetIndex], `a ${type} packet`);
      packetIndex++;
      expect(packet.type).toBe(type);
      return packet as Extract<Packet, { type: T }>;
    },
    expectFrame: async (opcode: number) => {
      const found = await waitUntil(() => {
        while (frameIndex < frames.length) {
          const f = frames[frameIndex++]!;
          if (f.opcode === opcode) return f;
        }
        return undefined;
      }, `a frame with opcode ${opcode}`);
      return found;
    },
    write: (bytes) => void socket.write(bytes),
    destroy: () => socket.destroy(),
  };
}

describe('WebSocket framing end to end (raw server)', () => {
  it('[MQTT-6.0.0-2] reads packets cut across frames and several packets in one frame; client frames are masked binary', async () => {
    const server = cleanup.add(await startRawWsServer(), (s) => s.stop());
    const client = makeClient(cleanup, { url: server.url, ws: { implementation: 'builtin' } });
    const inbox = collectMessages(client);
    const connected = waitFor(client, 'connect');
    client.connect();
    const conn = await server.next();
    expect(conn.request.headers['sec-websocket-protocol']).toBe('mqtt'); // [MQTT-6.0.0-3]
    await conn.expectPacket('connect');

    // CONNACK in two frames: one byte, then the rest.
    const connack = encode({ type: 'connack', sessionPresent: false, returnCode: 0 });
    conn.write(join(frame(0x2, connack.subarray(0, 1)), frame(0x2, connack.subarray(1))));
    await connected;

    // Three PUBLISHes: the first two and half the third in one frame, the rest in a fragmented
    // message (binary FIN=0 + continuation) with a ping between the fragments.
    const p1 = encode({ type: 'publish', topic: 'a', payload: Uint8Array.of(1), qos: 0, dup: false, retain: false });
    const p2 = encode({ type: 'publish', topic: 'b', payload: Uint8Array.of(2), qos: 1, dup: false, retain: false, packetId: 5 });
    const p3 = encode({ type: 'publish', topic: 'c', payload: new Uint8Array(300).fill(3), qos: 1, dup: false, retain: false, packetId: 6 });
    const cut = 10;
    conn.write(frame(0x2, join(p1, p2, p3.subarray(0, cut))));
    conn.write(join(frame(0x2, p3.subarray(cut, cut + 100), false), frame(0x9, Uint8Array.of(7, 7)), frame(0x0, p3.subarray(cut + 100), true)));

    const messages = await inbox.wait(3);
    expect(messages.map((m) => m.topic)).toEqual(['a', 'b', 'c']);
    expect(messages[2]!.payload).toEqual(new Uint8Array(300).fill(3));
    expect((await conn.expectPacket('puback')).packetId).toBe(5); // [MQTT-2.3.1-6]
    expect((await conn.expectPacket('puback')).packetId).toBe(6);
    const pong = await conn.expectFrame(0xa);
    expect([...pong.payload]).toEqual([7, 7]);

    expect(conn.frames.length).toBeGreaterThan(0);
    for (const f of conn.frames) {
      expect(f.masked).toBe(true); // RFC 6455 5.3: every client frame is masked
      expect(f.opcode === 0x2 || f.opcode === 0xa || f.opcode === 0x8).toBe(true); // [MQTT-6.0.0-1] MQTT data only in binary frames
    }
    inbox.stop();
  });

  it('[MQTT-6.0.0-1] closes the connection when the server sends a text frame', async () => {
    const server = cleanup.add(await startRawWsServer(), (s) => s.stop());
    const client = makeClient(cleanup, { url: server.url, ws: { implementation: 'builtin' } });
    const connected = waitFor(client, 'connect');
    client.connect();
    const conn = await server.next();
    await conn.expectPacket('connect');
    conn.write(frame(0x2, encode({ type: 'connack', sessionPresent: false, returnCode: 0 })));
    await connected;
    const closed = waitFor(client, 'close');
    conn.write(frame(0x1, new TextEncoder().encode('{"not":"mqtt"}')));
    const { reason, error } = await closed;
    expect(reason).toBe('transport');
    expect(error?.code).toBe('WEBSOCKET_ERROR');
    expect(error?.message).toContain('MQTT-6.0.0-1');
    await conn.closed;
  });

  it('answers a server close frame with a close frame and reports the connection closed', async () => {
    const server = cleanup.add(await startRawWsServer(), (s) => s.stop());
    const client = makeClient(cleanup, { url: server.url, ws: { implementation: 'builtin' } });
    const connected = waitFor(client, 'connect');
    client.connect();
    const conn = await server.next();
    await conn.expectPacket('connect');
    conn.write(frame(0x2, encode({ type: 'connack', sessionPresent: false, returnCode: 0 })));
    await connected;
    const closed = waitFor(client, 'close');
    conn.write(frame(0x8, Uint8Array.of(0x03, 0xe9))); // 1001 going away
    const echo = await conn.expectFrame(0x8);
    expect([...echo.payload.subarray(0, 2)]).toEqual([0x03, 0xe9]);
    expect((await closed).reason).toBe('transport');
  });

  it('sends a close frame (1000) after DISCONNECT on disconnect()', async () => {
    const server = cleanup.add(await startRawWsServer(), (s) => s.stop());
    const client = makeClient(cleanup, { url: server.url, ws: { implementation: 'builtin' } });
    const connected = waitFor(client, 'connect');
    client.connect();
    const conn = await server.next();
    await conn.expectPacket('connect');
    conn.write(frame(0x2, encode({ type: 'connack', sessionPresent: false, returnCode: 0 })));
    await connected;
    const done = disconnectAsync(client);
    await conn.expectPacket('disconnect');
    const close = await conn.expectFrame(0x8);
    expect([...close.payload]).toEqual([0x03, 0xe8]);
    conn.destroy();
    await done;
  });

  it('fails with WEBSOCKET_ERROR on a wrong Sec-WebSocket-Accept', async () => {
    const server = cleanup.add(
      await startRawWsServer(() => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: d3Jvbmc=\r\n\r\n'),
      (s) => s.stop(),
    );
    const { error } = await failedConnect({ url: server.url, ws: { implementation: 'builtin' } });
    expect(error.code).toBe('WEBSOCKET_ERROR');
    expect(error.message).toMatch(/Sec-WebSocket-Accept/);
  });

  it('[MQTT-6.0.0-3] fails with WEBSOCKET_ERROR when the server picks a subprotocol other than mqtt', async () => {
    const server = cleanup.add(
      await startRawWsServer(
        (accept) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: mqttv3.1\r\n\r\n`,
      ),
      (s) => s.stop(),
    );
    const { error } = await failedConnect({ url: server.url, ws: { implementation: 'builtin' } });
    expect(error.code).toBe('WEBSOCKET_ERROR');
    expect(error.message).toMatch(/subprotocol/);
  });

  it('uses the first frames sent right behind the 101 response head', async () => {
    // The CONNACK frame arrives in the same TCP write as the response head (the client must keep
    // the bytes after the head). The server sends it before it has even seen CONNECT.
    const connackFrame = frame(0x2, encode({ type: 'connack', sessionPresent: false, returnCode: 0 }));
    const server = cleanup.add(
      await startRawWsServer(
        (accept) =>
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n` +
          String.fromCharCode(...connackFrame),
      ),
      (s) => s.stop(),
    );
    const client = makeClient(cleanup, { url: server.url, ws: { implementation: 'builtin' } });
    const connected = waitFor(client, 'connect');
    client.connect();
    await connected;
    expect(client.connected).toBe(true);
  });
});
