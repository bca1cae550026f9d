/**
 * A bare-bones MQTT peer for the harness self-tests (test/support/self-*.test.ts): raw packets from
 * our codec over node:net, node:tls or ws, to poke at the brokers the harness starts. Each client
 * (and anything passed to defer) is closed after its test, passed or not: importing this module
 * registers that afterEach in the importing test file.
 */
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, expect } from 'vitest';
import WebSocket from 'ws';
import { PacketDecoder, encode } from '../../src/packet/index.js';
import type { ConnectPacket, Packet } from '../../src/packet/index.js';
import { certs } from './certs.js';
import { describePacket } from './fake-broker.js';
import { LOOPBACK } from './ports.js';

export interface RawClient {
  send(packet: Packet): void;
  sendRaw(bytes: Uint8Array): void;
  next(timeoutMs?: number): Promise<Packet>;
  readonly closed: Promise<void>;
  destroy(): void;
}

export interface ByteStream {
  write(bytes: Uint8Array): void;
  onData(listener: (chunk: Uint8Array) => void): void;
  onClose(listener: () => void): void;
  destroy(): void;
}

export function rawClient(stream: ByteStream): RawClient {
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

export function socketStream(socket: net.Socket): ByteStream {
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
export function defer<T extends { stop(): Promise<void> } | { destroy(): void }>(resource: T): T {
  cleanups.push(() => ('stop' in resource ? resource.stop() : resource.destroy()));
  return resource;
}

export async function tcpClient(port: number): Promise<RawClient> {
  const socket = net.connect({ port, host: LOOPBACK });
  const client = defer(rawClient(socketStream(socket)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return client;
}

export async function tlsClient(port: number, options: tls.ConnectionOptions = {}): Promise<{ client: RawClient; socket: tls.TLSSocket }> {
  const socket = tls.connect({ port, host: LOOPBACK, ca: certs.caCert, ...options });
  const client = defer(rawClient(socketStream(socket)));
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return { client, socket };
}

export async function wsClient(url: string, protocol = 'mqtt', options: WebSocket.ClientOptions = {}): Promise<{ client: RawClient; ws: WebSocket }> {
  const ws = new WebSocket(url, protocol, options);
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

/**
 * True once a TLS connection without a client certificate is refused: with TLS 1.3 the handshake
 * "succeeds" client-side, then the server's alert arrives and no CONNACK ever comes back; with
 * TLS 1.2 the handshake itself fails.
 */
export async function refusedWithoutCertificate(port: number): Promise<boolean> {
  return tlsClient(port).then(
    async ({ client: bare }) => {
      bare.send(connectPacket('no-cert'));
      await expect(bare.next()).rejects.toThrow(/closed/);
      return true;
    },
    () => true,
  );
}

export function connectPacket(clientId: string, extra: Partial<ConnectPacket> = {}): ConnectPacket {
  return { type: 'connect', clientId, keepalive: 30, cleanSession: true, ...extra };
}

/** Sends CONNECT, returns the CONNACK. */
export async function handshake(client: RawClient, connect: ConnectPacket): Promise<{ sessionPresent: boolean; returnCode: number }> {
  client.send(connect);
  const reply = await client.next();
  if (reply.type !== 'connack') throw new Error(`expected CONNACK, got ${describePacket(reply)}`);
  return { sessionPresent: reply.sessionPresent, returnCode: reply.returnCode };
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
