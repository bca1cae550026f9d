/**
 * Self-tests of the test harness: the mosquitto and aedes launchers, the certificates and the
 * scripted fake broker, checked with raw MQTT bytes from our codec over node:net / node:tls / ws.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PacketDecoder, encode } from '../../src/packet/index.js';
import type { ConnectPacket, Packet } from '../../src/packet/index.js';
import { startAedes, startAedesWebSocket } from './aedes.js';
import { certPaths, certs, clientIdentity } from './certs.js';
import { acceptConnect, describePacket, startFakeBroker } from './fake-broker.js';
import {
  describeWithMosquitto,
  hashMosquittoPassword,
  liveMosquittoCount,
  mosquittoGate,
  mosquittoMissingMessage,
  mosquittoSkipMessage,
  startMosquitto,
} from './mosquitto.js';
import { LOOPBACK, canConnect, ephemeralPortRange, getFreePort, getServerPort, heldDeadPort, refuses, reserveDeadPort, waitForPort } from './ports.js';

// ---------------------------------------------------------------------------------------------
// A bare-bones MQTT peer over any byte stream, for poking at the brokers.

interface RawClient {
  send(packet: Packet): void;
  sendRaw(bytes: Uint8Array): void;
  next(timeoutMs?: number): Promise<Packet>;
  readonly closed: Promise<void>;
  destroy(): void;
}

interface ByteStream {
  write(bytes: Uint8Array): void;
  onData(listener: (chunk: Uint8Array) => void): void;
  onClose(listener: () => void): void;
  destroy(): void;
}

function rawClient(stream: ByteStream): RawClient {
  const decoder = new PacketDecoder();
  const queue: Packet[] = [];
  const waiters: Array<{ resolve: (p: Packet) => void; reject: (e: Error) => void }> = [];
  let isClosed = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  stream.onData((chunk) => {
    for (const packet of decoder.push(chunk)) {
      const waiter = waiters.shift();
      if (waiter) waiter.resolve(packet);
      else queue.push(packet);
    }
  });
  stream.onClose(() => {
    isClosed = true;
    for (const waiter of waiters.splice(0)) waiter.reject(new Error('connection closed'));
    resolveClosed();
  });
  return {
    send: (packet) => stream.write(encode(packet)),
    sendRaw: (bytes) => stream.write(bytes),
    next: (timeoutMs = 5_000) => {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      if (isClosed) return Promise.reject(new Error('connection closed'));
      return new Promise<Packet>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no packet within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          resolve: (p) => {
            clearTimeout(timer);
            resolve(p);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
      });
    },
    closed,
    destroy: () => stream.destroy(),
  };
}

function socketStream(socket: net.Socket): ByteStream {
  socket.on('error', () => {});
  return {
    write: (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    },
    onData: (listener) => socket.on('data', listener),
    onClose: (listener) => socket.once('close', listener),
    destroy: () => socket.destroy(),
  };
}

/** Everything a test opened, closed after it whether it passed or not. */
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
function defer<T extends { stop(): Promise<void> } | { destroy(): void }>(resource: T): T {
  cleanups.push(() => ('stop' in resource ? resource.stop() : resource.destroy()));
  return resource;
}

async function tcpClient(port: number): Promise<RawClient> {
  const socket = net.connect({ port, host: LOOPBACK });
  const client = defer(rawClient(socketStream(socket)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return client;
}

async function tlsClient(port: number, options: tls.ConnectionOptions = {}): Promise<{ client: RawClient; socket: tls.TLSSocket }> {
  const socket = tls.connect({ port, host: LOOPBACK, ca: certs.caCert, ...options });
  const client = defer(rawClient(socketStream(socket)));
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return { client, socket };
}

async function wsClient(url: string, protocol = 'mqtt'): Promise<{ client: RawClient; ws: WebSocket }> {
  const ws = new WebSocket(url, protocol);
  ws.on('error', () => {});
  const client = defer(
    rawClient({
      write: (bytes) => ws.send(bytes, { binary: true }),
      onData: (listener) => ws.on('message', (data: Buffer) => listener(data)),
      onClose: (listener) => ws.once('close', listener),
      destroy: () => ws.terminate(),
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { client, ws };
}

function connectPacket(clientId: string, extra: Partial<ConnectPacket> = {}): ConnectPacket {
  return { type: 'connect', clientId, keepalive: 30, cleanSession: true, ...extra };
}

/** Sends CONNECT, returns the CONNACK. */
async function handshake(client: RawClient, connect: ConnectPacket): Promise<{ sessionPresent: boolean; returnCode: number }> {
  client.send(connect);
  const reply = await client.next();
  if (reply.type !== 'connack') throw new Error(`expected CONNACK, got ${describePacket(reply)}`);
  return { sessionPresent: reply.sessionPresent, returnCode: reply.returnCode };
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

// ---------------------------------------------------------------------------------------------

describe('ports', () => {
  it('getFreePort gives a bindable loopback port; waitForPort / canConnect see listeners', async () => {
    const port = await getFreePort();
    expect(port).toBeGreaterThan(0);
    expect(await canConnect(port)).toBe(false);
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(port, LOOPBACK, resolve));
    try {
      await waitForPort(port, { timeoutMs: 2_000 });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await expect(waitForPort(port, { timeoutMs: 100, abort: () => 'gave up' })).rejects.toThrow(/gave up/);
  });

  it('getServerPort gives a bindable loopback port outside the ephemeral range (where listen(0) never lands)', async () => {
    const { low, high } = ephemeralPortRange();
    expect(low).toBeGreaterThan(0);
    expect(high).toBeGreaterThanOrEqual(low);
    const port = await getServerPort();
    if (low - 20_000 >= 1_000 || 65_535 - high >= 1_000) expect(port < low || port > high, `${port} within ${low}-${high}`).toBe(true);
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, LOOPBACK, resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reserveDeadPort gives a refusing port outside the ephemeral range and below the getServerPort ones', async () => {
    const { low } = ephemeralPortRange();
    const dead = await reserveDeadPort();
    try {
      expect(await refuses(dead.port)).toBe(true);
      if (low > 11_000) expect(dead.port >= 10_000 && dead.port < Math.min(20_000, low), String(dead.port)).toBe(true);
    } finally {
      await dead.close();
    }
  });

  it('heldDeadPort (the fallback) refuses connections and nobody can listen on it until it is closed', async () => {
    const dead = await heldDeadPort();
    try {
      expect(await refuses(dead.port)).toBe(true);
      for (const host of [LOOPBACK, '0.0.0.0']) {
        const server = net.createServer();
        const outcome = await new Promise<string>((resolve) => {
          server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
          server.listen({ port: dead.port, host }, () => server.close(() => resolve('listening')));
        });
        expect(outcome, host).toBe('EADDRINUSE');
      }
      expect(await refuses(dead.port)).toBe(true);
    } finally {
      await dead.close();
      await dead.close(); // idempotent
    }
  });
});

describe('certs', () => {
  it('the server certificate verifies against the CA for 127.0.0.1 and localhost; the bad ones do not', async () => {
    const check = async (identity: { key: Buffer; cert: Buffer }, host: string, servername?: string): Promise<string> => {
      const server = tls.createServer(identity, (socket) => socket.end());
      server.on('tlsClientError', () => {});
      await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
      const { port } = server.address() as net.AddressInfo;
      try {
        return await new Promise<string>((resolve) => {
          const socket = tls.connect({ port, host, ca: certs.caCert, ...(servername ? { servername } : {}) });
          socket.once('secureConnect', () => {
            socket.destroy();
            resolve('ok');
          });
          socket.once('error', (error: NodeJS.ErrnoException) => {
            socket.destroy();
            resolve(error.code ?? error.message);
          });
        });
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    };
    const good = { key: certs.serverKey, cert: certs.serverCert };
    expect(await check(good, LOOPBACK)).toBe('ok');
    expect(await check(good, LOOPBACK, 'localhost')).toBe('ok');
    expect(await check({ key: certs.untrustedServerKey, cert: certs.untrustedServerCert }, LOOPBACK)).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/);
    expect(await check({ key: certs.wrongHostServerKey, cert: certs.wrongHostServerCert }, LOOPBACK)).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(await check({ key: certs.expiredServerKey, cert: certs.expiredServerCert }, LOOPBACK)).toBe('CERT_HAS_EXPIRED');
  });
});

// ---------------------------------------------------------------------------------------------

describe('mosquitto gate', () => {
  it('runs when installed, skips when missing, fails when missing but required', () => {
    expect(mosquittoGate(true, {})).toBe('run');
    expect(mosquittoGate(true, { MQTT_REQUIRE_MOSQUITTO: '1' })).toBe('run');
    expect(mosquittoGate(false, {})).toBe('skip');
    expect(mosquittoGate(false, { MQTT_REQUIRE_MOSQUITTO: '0' })).toBe('skip');
    expect(mosquittoGate(false, { MQTT_REQUIRE_MOSQUITTO: '1' })).toBe('fail');
    expect(mosquittoSkipMessage('x')).toBe('mosquitto not installed: skipping x (set MQTT_REQUIRE_MOSQUITTO=1 to make this an error)');
    expect(mosquittoMissingMessage('x')).toMatch(/MQTT_REQUIRE_MOSQUITTO=1.*not installed/);
  });

  it('hashMosquittoPassword writes the $7$ PBKDF2-SHA512 line mosquitto_passwd writes', () => {
    const line = hashMosquittoPassword('alice', 'secret', Buffer.from('0123456789ab'));
    expect(line).toMatch(/^alice:\$7\$101\$MDEyMzQ1Njc4OWFi\$[A-Za-z0-9+/]{86}==$/);
  });
});

describeWithMosquitto('mosquitto launcher', () => {
  afterAll(() => {
    expect(liveMosquittoCount()).toBe(0);
  });

  it('starts a plain listener that accepts CONNECT, and stop() ends the process and removes its dir', async () => {
    const broker = defer(await startMosquitto());
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    expect(readFileSync(broker.configFile, 'utf8')).toMatch(/^listener \d+ 127\.0\.0\.1$/m);
    const client = await tcpClient(broker.port);
    expect(await handshake(client, connectPacket('plain'))).toEqual({ sessionPresent: false, returnCode: 0 });

    await broker.stop();
    await client.closed;
    expect(broker.pid()).toBeUndefined();
    expect(existsSync(broker.dir)).toBe(false);
    expect(await canConnect(broker.port)).toBe(false);
    expect(broker.readLog()).toMatch(/mosquitto version \S+ running/);
    await broker.stop(); // idempotent
  });

  it('serves TLS with the test certificates (verified against the CA) next to the plain listener', async () => {
    const broker = defer(await startMosquitto({ tls: true }));
    expect(broker.tlsPort).toBeDefined();
    expect(broker.tlsUrl).toBe(`mqtts://127.0.0.1:${broker.tlsPort}`);
    const { client, socket } = await tlsClient(broker.tlsPort!);
    expect(socket.authorized).toBe(true);
    expect(await handshake(client, connectPacket('tls'))).toEqual({ sessionPresent: false, returnCode: 0 });
    await expect(tlsClient(broker.tlsPort!, { ca: certs.untrustedCaCert })).rejects.toThrow();
  });

  it('mutual TLS: a client certificate signed by the CA is required', async () => {
    const broker = defer(await startMosquitto({ tls: { requireCertificate: true } }));
    const { client } = await tlsClient(broker.tlsPort!, clientIdentity);
    expect(await handshake(client, connectPacket('mtls'))).toEqual({ sessionPresent: false, returnCode: 0 });

    // Without a certificate: with TLS 1.3 the handshake "succeeds" client-side, then the server's
    // alert arrives; either way no CONNACK ever comes back.
    const refused = await tlsClient(broker.tlsPort!).then(
      async ({ client: bare }) => {
        bare.send(connectPacket('no-cert'));
        await expect(bare.next()).rejects.toThrow(/closed/);
        return true;
      },
      () => true,
    );
    expect(refused).toBe(true);
  });

  for (const method of ['mosquitto_passwd', 'node'] as const) {
    it(`password_file (${method}): right password accepted, wrong password and anonymous refused`, async ({ skip }) => {
      const broker = defer(await startMosquitto({ users: { alice: 'secret', bob: 'hunter2' }, passwordFileMethod: method }).catch((error: Error) => {
        if (method === 'mosquitto_passwd' && /not installed/.test(error.message)) skip('mosquitto_passwd not installed');
        throw error;
      }));
      expect(broker.passwordFileMethod).toBe(method);
      const ok = await tcpClient(broker.port);
      expect((await handshake(ok, connectPacket('a', { username: 'alice', password: utf8('secret') }))).returnCode).toBe(0);
      const ok2 = await tcpClient(broker.port);
      expect((await handshake(ok2, connectPacket('b', { username: 'bob', password: utf8('hunter2') }))).returnCode).toBe(0);
      // mosquitto 2.0.11 says 5 (not authorized) here; 4 would be as fair a reading of 3.1.1.
      const wrong = await tcpClient(broker.port);
      expect([4, 5]).toContain((await handshake(wrong, connectPacket('c', { username: 'alice', password: utf8('nope') }))).returnCode);
      const anonymous = await tcpClient(broker.port);
      expect([4, 5]).toContain((await handshake(anonymous, connectPacket('d'))).returnCode);
    });
  }

  it('writes max_inflight_messages / max_queued_messages / log_type, and logs to its log file', async () => {
    const broker = defer(await startMosquitto({ maxInflightMessages: 0, maxQueuedMessages: 10, logTypes: ['all'], extraConfig: ['max_keepalive 120'] }));
    const config = readFileSync(broker.configFile, 'utf8');
    expect(config).toMatch(/^max_inflight_messages 0$/m);
    expect(config).toMatch(/^max_queued_messages 10$/m);
    expect(config).toMatch(/^log_type all$/m);
    expect(config).toMatch(/^max_keepalive 120$/m);
    const client = await tcpClient(broker.port);
    expect((await handshake(client, connectPacket('logged-client'))).returnCode).toBe(0);
    client.send({ type: 'pingreq' });
    expect((await client.next()).type).toBe('pingresp');
    expect(readFileSync(broker.logFile, 'utf8')).toContain('logged-client');
  });

  it('restart() comes back on the same port, and with persistence the session survives it', async () => {
    const broker = defer(await startMosquitto({ persistence: true }));
    const { port } = broker;
    const pid = broker.pid();

    const first = await tcpClient(port);
    expect(await handshake(first, connectPacket('persistent', { cleanSession: false }))).toEqual({ sessionPresent: false, returnCode: 0 });
    first.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'harness/#', qos: 1 }] });
    expect(await first.next()).toEqual({ type: 'suback', packetId: 1, granted: [1] });
    first.send({ type: 'disconnect' });
    await first.closed;

    await broker.restart();
    expect(broker.port).toBe(port);
    expect(broker.pid()).not.toBe(pid);

    const second = await tcpClient(port);
    expect(await handshake(second, connectPacket('persistent', { cleanSession: false }))).toEqual({ sessionPresent: true, returnCode: 0 });
    expect(readFileSync(join(broker.dir, 'mosquitto.conf'), 'utf8')).toMatch(/^persistence true$/m);

    // A hard restart (SIGKILL) also comes back on the same port and drops its clients.
    await broker.restart({ hard: true });
    await second.closed;
    const third = await tcpClient(port);
    expect((await handshake(third, connectPacket('after-kill'))).returnCode).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

describe('aedes launchers', () => {
  it('plain TCP: CONNECT → CONNACK 0; stop() closes the client connection', async () => {
    const broker = defer(await startAedes());
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    const client = await tcpClient(broker.port);
    expect(await handshake(client, connectPacket('aedes-plain'))).toEqual({ sessionPresent: false, returnCode: 0 });
    await broker.stop();
    await client.closed;
    expect(broker.broker.closed).toBe(true);
    expect(await canConnect(broker.port)).toBe(false);
  });

  it('TLS: verified against the test CA, CONNECT → CONNACK 0', async () => {
    const broker = defer(await startAedes({ tls: true }));
    expect(broker.url).toBe(`mqtts://127.0.0.1:${broker.port}`);
    const { client, socket } = await tlsClient(broker.port);
    expect(socket.authorized).toBe(true);
    expect(await handshake(client, connectPacket('aedes-tls'))).toEqual({ sessionPresent: false, returnCode: 0 });
  });

  it('mutual TLS: needs the client certificate', async () => {
    const broker = defer(await startAedes({ tls: { requireClientCert: true } }));
    const { client } = await tlsClient(broker.port, clientIdentity);
    expect((await handshake(client, connectPacket('aedes-mtls'))).returnCode).toBe(0);
    const refused = await tlsClient(broker.port).then(
      async ({ client: bare }) => {
        bare.send(connectPacket('no-cert'));
        await expect(bare.next()).rejects.toThrow(/closed/);
        return true;
      },
      () => true,
    );
    expect(refused).toBe(true);
  });

  it('users: right password 0, wrong password or none 4', async () => {
    const broker = defer(await startAedes({ users: { alice: 'secret' } }));
    const ok = await tcpClient(broker.port);
    expect((await handshake(ok, connectPacket('a', { username: 'alice', password: utf8('secret') }))).returnCode).toBe(0);
    const wrong = await tcpClient(broker.port);
    expect((await handshake(wrong, connectPacket('b', { username: 'alice', password: utf8('nope') }))).returnCode).toBe(4);
    const anonymous = await tcpClient(broker.port);
    expect((await handshake(anonymous, connectPacket('c'))).returnCode).toBe(4);
  });

  it('WebSocket at /mqtt with subprotocol mqtt: binary CONNECT → CONNACK 0; stop() closes it', async () => {
    const broker = defer(await startAedesWebSocket());
    expect(broker.url).toBe(`ws://127.0.0.1:${broker.port}/mqtt`);
    const { client, ws } = await wsClient(broker.url);
    expect(ws.protocol).toBe('mqtt');
    expect(await handshake(client, connectPacket('aedes-ws'))).toEqual({ sessionPresent: false, returnCode: 0 });
    expect(broker.upgrades).toHaveLength(1);
    expect(broker.upgrades[0]).toMatchObject({ url: '/mqtt', protocol: 'mqtt' });
    await broker.stop();
    await client.closed;
    expect(await canConnect(broker.port)).toBe(false);
  });

  it('WebSocket over TLS (wss)', async () => {
    const broker = defer(await startAedesWebSocket({ tls: true }));
    expect(broker.url).toBe(`wss://127.0.0.1:${broker.port}/mqtt`);
    const ws = new WebSocket(broker.url, 'mqtt', { ca: certs.caCert });
    ws.on('error', () => {});
    const client = defer(
      rawClient({
        write: (bytes) => ws.send(bytes),
        onData: (listener) => ws.on('message', (data: Buffer) => listener(data)),
        onClose: (listener) => ws.once('close', listener),
        destroy: () => ws.terminate(),
      }),
    );
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect((await handshake(client, connectPacket('aedes-wss'))).returnCode).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

describe('fake broker', () => {
  it('round trip: expect / send / acceptConnect / byte log / close', async () => {
    const broker = defer(await startFakeBroker());
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    const client = await tcpClient(broker.port);
    const conn = await broker.nextConnection();
    expect(conn.kind).toBe('tcp');

    client.send(connectPacket('scripted', { keepalive: 10 }));
    const connect = await acceptConnect(conn, { sessionPresent: true });
    expect(connect).toMatchObject({ clientId: 'scripted', keepalive: 10, cleanSession: true });
    expect(await client.next()).toEqual({ type: 'connack', sessionPresent: true, returnCode: 0 });

    client.send({ type: 'subscribe', packetId: 7, subscriptions: [{ topic: 'a/+', qos: 1 }] });
    const subscribe = await conn.expect('subscribe');
    expect(subscribe.packetId).toBe(7);
    await conn.send({ type: 'suback', packetId: 7, granted: [1] });
    expect(await client.next()).toEqual({ type: 'suback', packetId: 7, granted: [1] });

    // A resent PUBLISH: the DUP bit is visible in the logged bytes.
    client.send({ type: 'publish', topic: 'a/b', payload: utf8('hi'), qos: 1, dup: true, retain: false, packetId: 3 });
    const publish = await conn.expect('publish');
    expect(publish).toMatchObject({ topic: 'a/b', qos: 1, dup: true, packetId: 3 });
    expect(conn.receivedFrames.at(-1)![0]).toBe(0x3a);
    expect(conn.received.map((p) => p.type)).toEqual(['connect', 'subscribe', 'publish']);
    expect(conn.rawBytes().length).toBe(conn.receivedFrames.reduce((n, f) => n + f.length, 0));

    // A different type than expected fails clearly.
    client.send({ type: 'pingreq' });
    await expect(conn.expect('puback')).rejects.toThrow(/expected PUBACK but the client sent PINGREQ/);
    // Nothing arriving fails after the bound.
    await expect(conn.expect('puback', { timeoutMs: 20 })).rejects.toThrow(/no packet from the client within 20 ms/);

    // Raw bytes go out unchanged.
    await conn.sendRaw(Uint8Array.of(0xd0, 0x00));
    expect(await client.next()).toEqual({ type: 'pingresp' });

    conn.close();
    await conn.closed;
    await client.closed;
    expect(conn.isClosed).toBe(true);
    await expect(conn.expect('publish')).rejects.toThrow(/closed/);
    await expect(conn.send({ type: 'pingresp' })).rejects.toThrow(/closed/);
  });

  it('decodes packets split across arbitrary chunks, and several per chunk', async () => {
    const broker = defer(await startFakeBroker());
    const socket = defer(net.connect({ port: broker.port, host: LOOPBACK }));
    const conn = await broker.nextConnection();
    const bytes = Buffer.concat([
      encode(connectPacket('split')),
      encode({ type: 'publish', topic: 't', payload: new Uint8Array(300), qos: 0, dup: false, retain: false }),
      encode({ type: 'pingreq' }),
    ]);
    for (let i = 0; i < bytes.length; i += 7) socket.write(bytes.subarray(i, i + 7));
    await conn.expect('connect');
    expect((await conn.expect('publish')).payload.length).toBe(300);
    await conn.expect('pingreq');
    expect(Buffer.concat(conn.receivedFrames)).toEqual(bytes);
  });

  it('malformed input makes expect() fail with the bytes; client hang-up is seen by expectClosed', async () => {
    const broker = defer(await startFakeBroker());
    const client = await tcpClient(broker.port);
    const conn = await broker.nextConnection();
    client.sendRaw(Uint8Array.of(0x3f, 0x00)); // PUBLISH with QoS 3
    await expect(conn.expect('publish')).rejects.toThrow(/undecodable bytes from the client at 3f 00/);
    client.destroy();
    await conn.expectClosed();
  });

  it('autoPingresp answers PINGREQ without queueing it', async () => {
    const broker = defer(await startFakeBroker({ autoPingresp: true }));
    const client = await tcpClient(broker.port);
    const { conn } = await Promise.all([broker.acceptNext(), Promise.resolve(client.send(connectPacket('pinger')))]).then(([accepted]) => accepted);
    expect(await client.next()).toMatchObject({ type: 'connack', returnCode: 0 });
    client.send({ type: 'pingreq' });
    expect(await client.next()).toEqual({ type: 'pingresp' });
    client.send({ type: 'disconnect' });
    await conn.expect('disconnect');
    expect(conn.received.map((p) => p.type)).toEqual(['connect', 'pingreq', 'disconnect']);
  });

  it('TLS and WebSocket transports', async () => {
    const tlsBroker = defer(await startFakeBroker({ tls: true }));
    expect(tlsBroker.url).toBe(`mqtts://127.0.0.1:${tlsBroker.port}`);
    const { client: tlsPeer } = await tlsClient(tlsBroker.port);
    tlsPeer.send(connectPacket('over-tls'));
    const tlsConn = await tlsBroker.nextConnection();
    expect(tlsConn.kind).toBe('tls');
    await acceptConnect(tlsConn);
    expect((await tlsPeer.next()).type).toBe('connack');

    const wsBroker = defer(await startFakeBroker({ websocket: true }));
    expect(wsBroker.url).toBe(`ws://127.0.0.1:${wsBroker.port}/mqtt`);
    const { client: wsPeer, ws } = await wsClient(wsBroker.url);
    expect(ws.protocol).toBe('mqtt');
    wsPeer.send(connectPacket('over-ws'));
    const wsConn = await wsBroker.nextConnection();
    expect(wsConn.kind).toBe('ws');
    await acceptConnect(wsConn, { returnCode: 5 });
    expect(await wsPeer.next()).toEqual({ type: 'connack', sessionPresent: false, returnCode: 5 });
    ws.send('text', { binary: false });
    await expect(wsConn.next()).rejects.toThrow(/text frame/);
    wsConn.close();
    await wsPeer.closed;
  });

  it('stop() destroys every connection and fails waiting nextConnection calls', async () => {
    const broker = await startFakeBroker();
    let stopped = false;
    try {
      const a = await tcpClient(broker.port);
      const b = await tcpClient(broker.port);
      await broker.nextConnection();
      await broker.nextConnection();
      const waiting = broker.nextConnection().then(
        () => 'resolved',
        (error: Error) => error.message,
      );
      await broker.stop();
      stopped = true;
      expect(await waiting).toMatch(/stopped/);
      await Promise.all([a.closed, b.closed]);
      expect(broker.connections.every((c) => c.isClosed)).toBe(true);
      expect(await canConnect(broker.port)).toBe(false);
      await expect(broker.nextConnection()).rejects.toThrow(/stopped/);
    } finally {
      if (!stopped) await broker.stop();
    }
  });
});

it('the certificate paths all exist', () => {
  for (const file of Object.values(certPaths)) expect(existsSync(file), file).toBe(true);
});
