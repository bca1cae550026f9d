/**
 * Regressions found by review and fault testing of the core client (issue 8), in encoding and
 * limits: an encode failure in one flush, timeouts past setTimeout's range, and the inbound
 * packet size (a finite default, chunked packets copied once, the protocol range). Each test fails
 * on the code before its fix; the waits are bounds against hangs, never timing assertions.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PACKET_SIZE, MqttClient, PacketDecoder, ResultCode, encode } from '../support/internals.js';
import type { Packet } from '../support/internals.js';
import { PacketWriter } from '../../src/client/writer.js';
import { LOOPBACK } from '../support/ports.js';
import { makeClient, settle, waitFor } from './helpers.js';
import { useFakeBroker } from './fake-broker-setup.js';
import { manualTransport } from './manual-transport.js';

const { cleanup, fakeBroker, connectClient } = useFakeBroker();

describe('an encode failure in one flush', () => {
  it('writes the other packets of the batch (acks included) and fails only the packet that could not be encoded', async () => {
    const manual = manualTransport();
    const errors: unknown[] = [];
    const writer = new PacketWriter((error) => errors.push(error));
    writer.attach(manual.transport());
    const results: [string, number][] = [];
    writer.add({ type: 'puback', packetId: 1 });
    writer.add({ type: 'publish', topic: 'ok/0', payload: new Uint8Array([1]), qos: 0, dup: false, retain: false });
    writer.afterWrite((r) => results.push(['ok/0', r]));
    // A topic with a wildcard cannot be framed [MQTT-3.3.2-2]: it stands for any packet the codec refuses.
    writer.add({ type: 'publish', topic: 'bad/#', payload: new Uint8Array([2]), qos: 0, dup: false, retain: false });
    writer.afterWrite((r) => results.push(['bad/#', r]));
    writer.add({ type: 'pubrec', packetId: 2 });
    await settle();
    expect(manual.packets()).toEqual([
      { type: 'puback', packetId: 1 },
      { type: 'publish', topic: 'ok/0', payload: expect.anything(), qos: 0, dup: false, retain: false },
      { type: 'pubrec', packetId: 2 },
    ]);
    expect(results).toEqual([
      ['bad/#', ResultCode.FAILURE],
      ['ok/0', ResultCode.SUCCESS],
    ]);
    expect(errors).toHaveLength(1);
    // The next flush reports nothing twice and nothing falsely.
    writer.add({ type: 'pingreq' });
    writer.afterWrite((r) => results.push(['ping', r]));
    await settle();
    expect(results).toHaveLength(3);
    expect(results[2]).toEqual(['ping', ResultCode.SUCCESS]);
  });

  it('a payload too large for one packet is refused at publish(), with a typed error', () => {
    const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: manualTransport().factory });
    client.connect();
    // A view as long as the protocol's limit, without allocating 256 MB.
    const huge = new Uint8Array(new ArrayBuffer(8), 0, 0);
    Object.defineProperty(huge, 'length', { value: 268_435_455 });
    expect(() => client.publish('t', huge)).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
  });
});

describe("limits past setTimeout's range (found in review)", () => {
  it('connectTimeout of 30 days waits for a CONNACK that comes 200 ms late, instead of failing after a millisecond', async () => {
    const broker = await fakeBroker();
    const client = makeClient(cleanup, { url: broker.url, connectTimeout: 30 * 24 * 3600 * 1000, reconnect: false });
    const connected = waitFor(client, 'connect');
    const failed: unknown[] = [];
    client.on('connectfailed', (info) => failed.push(info.error.code));
    client.connect();
    const conn = await broker.nextConnection();
    await conn.expect('connect');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 });
    await connected;
    expect(failed).toEqual([]);
  });

  it('connectTimeout that is not a positive number is INVALID_OPTIONS at construction', () => {
    for (const bad of [0, -1, Number.NaN, '200']) {
      expect(() => new MqttClient({ url: `mqtt://${LOOPBACK}:1`, connectTimeout: bad as never })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    }
  });
});

describe('inbound packet size', () => {
  it(`has a finite default (${DEFAULT_MAX_PACKET_SIZE} bytes): a header announcing 64 MiB closes with PACKET_TOO_LARGE before the body`, async () => {
    const broker = await fakeBroker();
    const { client, conn } = await connectClient(broker, { clientId: 'too-large' });
    const closed = waitFor(client, 'close');
    // PUBLISH QoS 0, Remaining Length 64 MiB, and only the first body bytes.
    const length = 64 * 1024 * 1024;
    await conn.sendRaw(new Uint8Array([0x30, 0x80 | (length & 0x7f), 0x80 | ((length >> 7) & 0x7f), 0x80 | ((length >> 14) & 0x7f), length >> 21, 0x00, 0x01, 0x61]));
    const info = await closed;
    expect(info.reason).toBe('packet-too-large');
    expect(info.error?.code).toBe('PACKET_TOO_LARGE');
  });

  it('with a limit, a packet cut across chunks is copied as it arrives, not held as views of the chunks and copied again', () => {
    const payload = new Uint8Array(3 * 1024 * 1024).map((_, i) => i & 0xff);
    const bytes = encode({ type: 'publish', topic: 'big', payload, qos: 0, dup: false, retain: false });
    const decoder = new PacketDecoder({ maxPacketSize: DEFAULT_MAX_PACKET_SIZE });
    const out: Packet[] = [];
    for (let at = 0; at < bytes.length; at += 65_536) {
      const chunk = Uint8Array.from(bytes.subarray(at, at + 65_536));
      out.push(...decoder.push(chunk));
      chunk.fill(0xee); // a chunk the decoder still referenced would corrupt the packet
    }
    expect(out).toHaveLength(1);
    const packet = out[0] as Extract<Packet, { type: 'publish' }>;
    expect(Buffer.compare(Buffer.from(packet.payload), Buffer.from(payload))).toBe(0);
    // The payload is a view into the one buffer the packet was assembled in.
    expect(packet.payload.buffer.byteLength).toBeGreaterThanOrEqual(bytes.length);
  });

  it('maxPacketSize must be an integer within the protocol range', () => {
    for (const bad of [1, 0.5, 268_435_461, Number.NaN]) {
      expect(() => new MqttClient({ url: `mqtt://${LOOPBACK}:1`, maxPacketSize: bad })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    }
  });
});
