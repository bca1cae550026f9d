/**
 * Self-tests of the test harness: the scripted fake broker (test/support/fake-broker.ts), its
 * expect / send / acceptConnect script, byte log and close, over TCP, TLS and WebSocket, checked with
 * raw MQTT bytes from our codec.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/packet/index.js';
import { acceptConnect, startFakeBroker } from './fake-broker.js';
import { LOOPBACK, canConnect } from './ports.js';
import { connectPacket, defer, tcpClient, tlsClient, utf8, wsClient } from './raw-peer.js';

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
