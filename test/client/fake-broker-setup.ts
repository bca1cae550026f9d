/**
 * Shared setup for the MqttClient-against-the-scripted-fake-broker suites (fake-broker-*.test.ts):
 * a per-file cleanup list, fake brokers stopped by it, a connected client, and readers of the
 * raw frames the broker received.
 */
import { afterEach, expect } from 'vitest';
import type { ClientOptions, ConnectPacket, MqttClient, Packet, PublishPacket } from '../support/internals.js';
import { startFakeBroker } from '../support/fake-broker.js';
import type { FakeBroker, FakeConnection } from '../support/fake-broker.js';
import { Cleanup, bytes, makeClient, utf8, waitFor } from './helpers.js';

/** Reconnection with tiny delays, for the tests about reconnecting. */
export const FAST_RECONNECT = { initialDelay: 10, maxDelay: 20 } as const;

export interface Connected {
  client: MqttClient;
  conn: FakeConnection;
  connect: ConnectPacket;
}

export interface FakeBrokerSuite {
  /** Everything a test started; run after each test. */
  cleanup: Cleanup;
  /** A fake broker, stopped after the test. */
  fakeBroker(options?: Parameters<typeof startFakeBroker>[0]): Promise<FakeBroker>;
  /** A client on `broker`, connected: CONNECT received, CONNACK sent, 'connect' seen. */
  connectClient(broker: FakeBroker, options?: Partial<ClientOptions>, sessionPresent?: boolean): Promise<Connected>;
}

/** Call once at the top of a test file: registers the afterEach that stops what each test started. */
export function useFakeBroker(): FakeBrokerSuite {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());
  return {
    cleanup,
    fakeBroker: async (options = {}) => cleanup.broker(await startFakeBroker(options)),
    connectClient: async (broker, options = {}, sessionPresent = false) => {
      const client = makeClient(cleanup, { url: broker.url, clientId: 'fake-test', ...options });
      const connected = waitFor(client, 'connect');
      client.connect();
      const { conn, connect } = await broker.acceptNext({ sessionPresent });
      await connected;
      return { client, conn, connect };
    },
  };
}

/** The raw bytes of a packet the connection received (the object expect() returned). */
export function frameOf(conn: FakeConnection, packet: Packet): Uint8Array {
  const index = conn.received.indexOf(packet);
  if (index < 0) throw new Error('packet not received on this connection');
  return conn.receivedFrames[index]!;
}

export const dupBit = (frame: Uint8Array): number => frame[0]! & 0x08;

/** CONNECT's variable header and the length-prefixed payload fields, read from the raw bytes. */
export function connectLayout(frame: Uint8Array): { protocol: string; level: number; flags: number; keepalive: number; fields: string[] } {
  expect(frame[0]).toBe(0x10);
  let i = 1;
  while (frame[i]! & 0x80) i++;
  i++;
  const protocol = utf8(frame.subarray(i + 2, i + 6));
  const level = frame[i + 6]!;
  const flags = frame[i + 7]!;
  const keepalive = (frame[i + 8]! << 8) | frame[i + 9]!;
  i += 10;
  const fields: string[] = [];
  while (i < frame.length) {
    const length = (frame[i]! << 8) | frame[i + 1]!;
    fields.push(utf8(frame.subarray(i + 2, i + 2 + length)));
    i += 2 + length;
  }
  expect(i).toBe(frame.length);
  return { protocol, level, flags, keepalive, fields };
}

export function publishPacket(topic: string, payload: string | Uint8Array, qos: 0 | 1 | 2, packetId?: number, extra: Partial<PublishPacket> = {}): PublishPacket {
  const packet: PublishPacket = { type: 'publish', topic, payload: typeof payload === 'string' ? bytes(payload) : payload, qos, dup: false, retain: false, ...extra };
  if (packetId !== undefined) packet.packetId = packetId;
  return packet;
}
