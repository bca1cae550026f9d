/**
 * Regressions found by review and fault testing of the core client (issue 8), in closing: a
 * graceful disconnect under backpressure, the close grace after DISCONNECT, and half-open
 * connections a QoS 0 publisher must still notice. Each test fails
 * on the code before its fix; the waits are bounds against hangs, never timing assertions.
 */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MqttClient, ResultCode, encode } from '../support/internals.js';
import type { MqttError, Packet } from '../support/internals.js';
import { LOOPBACK } from '../support/ports.js';
import { WAIT_MS, disconnectAsync, makeClient, publishAsync, settle, until, waitFor } from './helpers.js';
import { useFakeBroker } from './fake-broker-setup.js';
import { connectedManual, manualTransport } from './manual-transport.js';

const { cleanup, fakeBroker, connectClient } = useFakeBroker();

describe('graceful disconnect under backpressure', () => {
  it('[MQTT-3.14.4-1] 8 × 4 MiB QoS 0 publishes then disconnect(): the broker gets all 8 and DISCONNECT, every callback 0, close normal', async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, { clientId: 'bp-disconnect' });
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
    const client = await connectedManual(cleanup, manual);
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
    const client = await connectedManual(cleanup, manual);
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
    const client = await connectedManual(cleanup, manual);
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
    const client = await connectedManual(cleanup, manual);
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

function closeEvent(client: MqttClient): Promise<{ reason: string; error: MqttError | undefined }> {
  return new Promise((resolve) => client.once('close', (info) => resolve(info)));
}
