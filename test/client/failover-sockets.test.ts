/**
 * Failover over real loopback sockets: a port nothing listens on, a TLS handshake that fails,
 * a broker that never answers CONNECT and one that accepts and drops at once, before a working
 * broker. Waits are bounded, never timed.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttError } from '../support/internals.js';
import type { MqttClient } from '../support/internals.js';
import { startFakeBroker } from '../support/fake-broker.js';
import type { FakeBroker } from '../support/fake-broker.js';
import { LOOPBACK, deadPort } from '../support/ports.js';
import { Cleanup, makeClient, until } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function fakeBroker(): Promise<FakeBroker> {
  return cleanup.broker(await startFakeBroker());
}

/** A loopback server that answers whatever connects with bytes that are not TLS. */
async function notTls(): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  cleanup.add(server, (s) => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => s.close(() => resolve()));
  });
  return `mqtts://${LOOPBACK}:${(server.address() as net.AddressInfo).port}`;
}

describe('failover over loopback sockets', () => {
  it('refused, TLS failure, no CONNACK, accepted-and-dropped: each a typed failure, and the client reaches the working broker', async () => {
    const refusing = await deadPort();
    const tlsUrl = await notTls();
    const mute = await fakeBroker(); // takes CONNECT, never answers
    const flapping = await fakeBroker(); // CONNACK 0, then drops at once
    const good = await fakeBroker();
    const client: MqttClient = makeClient(cleanup, {
      servers: [`mqtt://${LOOPBACK}:${refusing}`, tlsUrl, mute.url, flapping.url, good.url],
      connectTimeout: 500,
      reconnect: { initialDelay: 10, maxDelay: 20 },
    });
    const failures: unknown[] = [];
    const closes: string[] = [];
    client.on('connectfailed', ({ error }) => failures.push(error));
    client.on('close', ({ reason }) => closes.push(reason));
    client.connect();
    void (async () => {
      const conn = await mute.nextConnection();
      await conn.expect('connect');
    })().catch(() => {});
    void (async () => {
      const { conn } = await flapping.acceptNext();
      conn.close();
    })().catch(() => {});
    await good.acceptNext({ timeoutMs: 10_000 });
    await until(() => client.connected, 'the connection to the working broker');
    expect(client.url).toBe(good.url);
    expect(failures.map((e) => (e instanceof MqttError ? e.code : String(e)))).toEqual(['SOCKET_ERROR', 'TLS_ERROR', 'CONNECT_TIMEOUT']);
    expect(closes).toEqual(['transport']);
  });
});
