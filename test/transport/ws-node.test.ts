/**
 * impmqtt's own WebSocket client (ws-node.ts) at the edges of its handshakes (found in review):
 * a ping crossing our close frame, and header values that would inject lines into the upgrade.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBrokerUrl } from '../support/internals.js';
import { openNodeWebSocket } from '../../src/transport/ws-node.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A raw server: answers the upgrade, then calls onFrame(opcode, socket) for each client frame. */
async function rawServer(onFrame: (opcode: number, socket: Socket) => void): Promise<string> {
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
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n`);
        upgraded = true;
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
