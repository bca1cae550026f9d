/**
 * The builtin WebSocket client's framing end to end, through MqttClient, against a raw server
 * that writes every frame itself: MQTT packets cut across frames and several packed into one
 * [MQTT-6.0.0-2], a text frame refused [MQTT-6.0.0-1], close frames both ways, a wrong
 * Sec-WebSocket-Accept or subprotocol [MQTT-6.0.0-3], and frames right behind the 101 head.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encode } from '../support/internals.js';
import type { MqttClient } from '../support/internals.js';
import { Cleanup, collectMessages, disconnectAsync, makeClient, waitFor } from '../client/helpers.js';
import { failedConnect } from './client-checks.js';
import { frame, join, startRawWsServer } from './raw-ws-server.js';
import type { RawWsConnection } from './raw-ws-server.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A builtin-WebSocket client connected through a fresh raw server: its CONNECT read, CONNACK 0 sent back in one frame. */
async function connectedThroughRawServer(): Promise<{ client: MqttClient; conn: RawWsConnection }> {
    const server = cleanup.add(await startRawWsServer(), (s) => s.stop());
    const client = makeClient(cleanup, { url: server.url, ws: { implementation: 'builtin' } });
    const connected = waitFor(client, 'connect');
    client.connect();
    const conn = await server.next();
    await conn.expectPacket('connect');
    conn.write(frame(0x2, encode({ type: 'connack', sessionPresent: false, returnCode: 0 })));
    await connected;
  return { client, conn };
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
    const { client, conn } = await connectedThroughRawServer();
    const closed = waitFor(client, 'close');
    conn.write(frame(0x1, new TextEncoder().encode('{"not":"mqtt"}')));
    const { reason, error } = await closed;
    expect(reason).toBe('transport');
    expect(error?.code).toBe('WEBSOCKET_ERROR');
    expect(error?.message).toContain('MQTT-6.0.0-1');
    await conn.closed;
  });

  it('answers a server close frame with a close frame and reports the connection closed', async () => {
    const { client, conn } = await connectedThroughRawServer();
    const closed = waitFor(client, 'close');
    conn.write(frame(0x8, Uint8Array.of(0x03, 0xe9))); // 1001 going away
    const echo = await conn.expectFrame(0x8);
    expect([...echo.payload.subarray(0, 2)]).toEqual([0x03, 0xe9]);
    expect((await closed).reason).toBe('transport');
  });

  it('sends a close frame (1000) after DISCONNECT on disconnect()', async () => {
    const { client, conn } = await connectedThroughRawServer();
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
    const { error } = await failedConnect(cleanup, { url: server.url, ws: { implementation: 'builtin' } });
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
    const { error } = await failedConnect(cleanup, { url: server.url, ws: { implementation: 'builtin' } });
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
