/**
 * impmqtt's own WebSocket client (ws-node.ts) at the edges of its handshakes (found in review):
 * a ping crossing our close frame, and header values that would inject lines into the upgrade.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttClient, encode, parseBrokerUrl } from '../support/internals.js';
import { openNodeWebSocket } from '../../src/transport/ws-node.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A raw server: answers the upgrade, then calls onFrame(opcode, socket) for each client frame. */
async function rawServer(onFrame: (opcode: number, socket: Socket) => void, extraHeaders = '', onUpgraded?: (socket: Socket) => void): Promise<string> {
  const server = createServer((socket) => {
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const key = /sec-websocket-key: *(.*)\r\n/i.exec(buffer.subarray(0, end).toString('latin1'))![1]!.trim();
        const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: mqtt\r\n${extraHeaders}\r\n`);
        upgraded = true;
        onUpgraded?.(socket);
        buffer = buffer.subarray(end + 4);
      }
      // client frames: masked, short (< 126 bytes) in this test
      while (buffer.length >= 6) {
        const length = buffer[1]! & 0x7f;
        if (buffer.length < 6 + length) return;
        onFrame(buffer[0]! & 0x0f, socket);
        buffer = buffer.subarray(6 + length);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/mqtt`;
}

describe('the builtin WebSocket: closing handshake (found in review)', () => {
  it('a ping that crosses our close frame does not turn a clean close into a SOCKET_ERROR', async () => {
    const url = await rawServer((opcode, socket) => {
      if (opcode !== 0x8) return;
      // the server had a ping on its way when our close arrived; then it answers the close
      socket.write(Uint8Array.of(0x89, 0x00));
      setTimeout(() => socket.end(Uint8Array.of(0x88, 0x02, 0x03, 0xe8)), 50);
    });
    const error = await new Promise<Error | undefined>((resolve) => {
      const transport = openNodeWebSocket(parseBrokerUrl(url), {}, {
        open: () => transport.end(),
        data: () => {},
        drain: () => {},
        close: (e) => resolve(e),
      });
    });
    expect(error).toBeUndefined();
  });
});

describe('the builtin WebSocket: upgrade request headers (found in review)', () => {
  it('a header value with CR LF cannot add lines to the upgrade request: nothing is sent, the connection fails with WEBSOCKET_ERROR', async () => {
    let head = '';
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.on('data', (chunk) => {
        head += chunk.toString('latin1');
        if (head.includes('\r\n\r\n')) socket.destroy();
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/mqtt`;
    const error = await new Promise<Error | undefined>((resolve) => {
      openNodeWebSocket(parseBrokerUrl(url), { ws: { headers: { 'X-Token': 'abc\r\nX-Injected: yes' } } }, {
        open: () => {},
        data: () => {},
        drain: () => {},
        close: (e) => resolve(e),
      });
    });
    expect(error).toMatchObject({ code: 'WEBSOCKET_ERROR', message: expect.stringContaining('ws.headers') });
    expect(head).toBe('');
  });
});

describe('the builtin WebSocket: a close the server starts (found in review)', () => {
  /** The server answers the client's first frame with this close frame; resolves with how the transport closed. */
  async function serverCloses(closeFrame: Uint8Array): Promise<{ error: Error | undefined; echo: number[] }> {
    const echo: number[] = [];
    const url = await rawServer((opcode, socket) => {
      if (opcode === 0x2) socket.write(closeFrame);
      if (opcode === 0x8) {
        echo.push(opcode);
        socket.end();
      }
    });
    const error = await new Promise<Error | undefined>((resolve) => {
      const transport = openNodeWebSocket(parseBrokerUrl(url), {}, {
        open: () => transport.write(Uint8Array.of(0xc0, 0x00)),
        data: () => {},
        drain: () => {},
        close: (e) => resolve(e),
      });
    });
    return { error, echo };
  }

  it("reports the server's close code and reason (1008 'not authorized'), which were dropped, as the platform WebSocket reports its code", async () => {
    const reason = new TextEncoder().encode('not authorized');
    const { error, echo } = await serverCloses(Uint8Array.of(0x88, 2 + reason.length, 0x03, 0xf0, ...reason));
    expect(echo).toEqual([0x8]); // the close is still answered
    expect(error).toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(error?.message).toContain('1008');
    expect(error?.message).toContain('not authorized');
  });

  it('a close without a code is reported as a close by the server too', async () => {
    const { error } = await serverCloses(Uint8Array.of(0x88, 0x00));
    expect(error).toMatchObject({ code: 'CONNECTION_CLOSED' });
  });

  it('a refusal (CONNACK 5) with the close frame right behind it still reads as the refusal, not as the close', async () => {
    const connack = encode({ type: 'connack', sessionPresent: false, returnCode: 5 });
    const url = await rawServer((opcode, socket) => {
      if (opcode === 0x2) socket.write(Uint8Array.of(0x82, connack.length, ...connack, 0x88, 0x02, 0x03, 0xe8));
    });
    const client = new MqttClient({ url, reconnect: false, ws: { implementation: 'builtin' } });
    const failed = new Promise<{ returnCode: number | undefined; error: Error }>((resolve) => client.once('connectfailed', resolve));
    client.connect();
    const { returnCode, error } = await failed;
    client.destroy();
    expect(returnCode).toBe(5);
    expect(error).toMatchObject({ code: 'CONNECTION_REFUSED' });
  });
});

describe('the builtin WebSocket: an extension it never offered (found in review)', () => {
  it('a 101 that turns on permessage-deflate unasked fails the upgrade with WEBSOCKET_ERROR (RFC 6455 §4.1), not at the first compressed frame', async () => {
    const url = await rawServer(() => {}, 'Sec-WebSocket-Extensions: permessage-deflate\r\n', (socket) => {
      socket.write(Uint8Array.of(0x82, 0x04, 0x20, 0x02, 0x00, 0x00)); // a small frame, sent uncompressed: CONNACK
    });
    let opened = false;
    let received = 0;
    const error = await new Promise<Error | undefined>((resolve) => {
      const transport = openNodeWebSocket(parseBrokerUrl(url), {}, {
        open: () => {
          opened = true;
          setTimeout(() => transport.destroy(), 100);
        },
        data: (bytes) => void (received += bytes.length),
        drain: () => {},
        close: (e) => resolve(e),
      });
    });
    expect({ opened, received }).toEqual({ opened: false, received: 0 });
    expect(error).toMatchObject({ code: 'WEBSOCKET_ERROR', message: expect.stringContaining('permessage-deflate') });
  });
});
