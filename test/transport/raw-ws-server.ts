/**
 * A raw WebSocket server for ws-raw-server.test.ts: the test writes every frame itself (cut
 * MQTT packets across frames, pack several into one, send text or close frames, answer the
 * upgrade wrongly), and reads back the client's frames and the packets they carry.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { expect } from 'vitest';
import { PacketDecoder } from '../support/internals.js';
import type { Packet, PacketType } from '../support/internals.js';
import { LOOPBACK } from '../support/ports.js';
import { WAIT_MS } from '../client/helpers.js';

export interface ClientFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

export interface RawWsConnection {
  readonly request: IncomingMessage;
  readonly frames: ClientFrame[];
  readonly packets: Packet[];
  readonly closed: Promise<void>;
  expectPacket<T extends PacketType>(type: T): Promise<Extract<Packet, { type: T }>>;
  expectFrame(opcode: number): Promise<ClientFrame>;
  write(bytes: Uint8Array): void;
  destroy(): void;
}

export interface RawWsServer {
  readonly url: string;
  next(): Promise<RawWsConnection>;
  stop(): Promise<void>;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function frame(opcode: number, payload: Uint8Array, fin = true): Uint8Array {
  const n = payload.length;
  const header = n < 126 ? [(fin ? 0x80 : 0) | opcode, n] : [(fin ? 0x80 : 0) | opcode, 126, n >>> 8, n & 0xff];
  return Uint8Array.from([...header, ...payload]);
}

export const join = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

/**
 * `respond` builds the HTTP response head from the computed accept value (default: a correct 101
 * with subprotocol mqtt).
 */
export async function startRawWsServer(respond: (accept: string) => string = (accept) =>
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
