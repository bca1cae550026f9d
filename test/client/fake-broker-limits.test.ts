/**
 * MqttClient against the scripted fake broker: the test plays the broker packet by packet and
 * checks what the client puts on the wire (down to the raw bytes) and what it reports. Here:
 * protocol errors and limits (malformed or unexpected packets, maxPacketSize), and backpressure
 * (callbacks and drains over a hand-driven transport).
 * Reconnection is off unless the test is about it; waits are bounded, never timed.
 */
import { describe, expect, it } from 'vitest';
import { MqttClient, PacketDecoder, ResultCode, encode } from '../support/internals.js';
import type { Packet, Transport, TransportEvents, TransportFactory } from '../support/internals.js';
import { LOOPBACK } from '../support/ports.js';
import { collectMessages, makeClient, publishAsync, settle, until, utf8, waitFor } from './helpers.js';
import { FAST_RECONNECT, publishPacket, useFakeBroker } from './fake-broker-setup.js';

const { cleanup, fakeBroker, connectClient } = useFakeBroker();

// ---------------------------------------------------------------------------------------------

describe('protocol errors and limits', () => {
  const malformed: [string, number[]][] = [
    ['a reserved packet type 0', [0x00, 0x00]],
    ['PUBREL with flags 0000 [MQTT-3.6.1-1]', [0x60, 0x02, 0x00, 0x01]],
    ['a five-byte Remaining Length', [0x30, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['a PUBLISH with QoS 3 [MQTT-3.3.1-4]', [0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01]],
    ['a PUBLISH whose topic is not well-formed UTF-8 (C3 28) [MQTT-1.5.3-1]', [0x30, 0x04, 0x00, 0x02, 0xc3, 0x28]],
    ['a PUBLISH whose topic holds U+0000 [MQTT-1.5.3-2]', [0x30, 0x04, 0x00, 0x02, 0x61, 0x00]],
  ];

  for (const [what, raw] of malformed) {
    it(`[MQTT-4.8.0-1] ${what} closes the connection with protocol-error; the client reconnects and keeps working`, async () => {
      const broker = await fakeBroker();
      const { client, conn } = await connectClient(broker, { reconnect: FAST_RECONNECT });
      const closed = waitFor(client, 'close');
      await conn.sendRaw(Uint8Array.from(raw));
      const info = await closed;
      expect(info.reason).toBe('protocol-error');
      expect(info.error).toBeDefined();
      await conn.expectClosed();

      const { conn: again } = await broker.acceptNext();
      await until(() => client.connected, 'the reconnection');
      const result = publishAsync(client, 'after/error', 'ok', { qos: 1 });
      const publish = await again.expect('publish');
      await again.send({ type: 'puback', packetId: publish.packetId! });
      expect(await result).toBe(0);
    });
  }

  const unexpected: [string, Packet][] = [
    ['CONNECT', { type: 'connect', clientId: 'x', keepalive: 0, cleanSession: true }],
    ['a second CONNACK', { type: 'connack', sessionPresent: false, returnCode: 0 }],
    ['SUBSCRIBE', { type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'a', qos: 0 }] }],
    ['PINGREQ', { type: 'pingreq' }],
    ['DISCONNECT', { type: 'disconnect' }],
  ];

  for (const [what, packet] of unexpected) {
    it(`[MQTT-4.8.0-1] ${what} from the broker is a protocol violation: the client closes with protocol-error`, async () => {
      const broker = await fakeBroker();
      const { client, conn } = await connectClient(broker);
      const closed = waitFor(client, 'close');
      await conn.send(packet);
      const info = await closed;
      expect(info.reason).toBe('protocol-error');
      await conn.expectClosed();
    });
  }

  it('[MQTT-4.8.0-1] a packet other than CONNACK before CONNACK fails the attempt', async () => {
    const broker = await fakeBroker();
    const client = makeClient(cleanup, { url: broker.url });
    const failed = waitFor(client, 'connectfailed');
    client.connect();
    const conn = await broker.nextConnection();
    await conn.expect('connect');
    await conn.send(publishPacket('early', 'x', 0));
    const info = await failed;
    expect(info.returnCode).toBeUndefined();
    await conn.expectClosed();
  });

  it('[MQTT-4.8.0-2] an inbound packet over maxPacketSize closes with packet-too-large; one at the limit is accepted', async () => {
    const broker = await fakeBroker();
    const limit = 64;
    const { client, conn } = await connectClient(broker, { maxPacketSize: limit });
    const inbox = collectMessages(client);
    const fits = publishPacket('big', new Uint8Array(limit - 7).fill(1), 0);
    expect(encode(fits).length).toBe(limit);
    await conn.send(fits);
    await inbox.wait(1);
    const closed = waitFor(client, 'close');
    await conn.send(publishPacket('big', new Uint8Array(limit - 6).fill(2), 0));
    const info = await closed;
    expect(info.reason).toBe('packet-too-large');
    expect(info.error?.code).toBe('PACKET_TOO_LARGE');
    expect(inbox.messages).toHaveLength(1);
    await conn.expectClosed();
  });
});

// ---------------------------------------------------------------------------------------------

/** A transport the test drives by hand: write() answers `writable`, drain is manual. */
function manualTransport(): { factory: TransportFactory; writes: Uint8Array[]; packets: () => Packet[]; setWritable(w: boolean): void; events(): TransportEvents } {
  const writes: Uint8Array[] = [];
  let writable = true;
  let events: TransportEvents | undefined;
  const factory: TransportFactory = (_endpoint, _options, e) => {
    events = e;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      queueMicrotask(() => e.close());
    };
    const transport: Transport = {
      write: (chunk) => {
        writes.push(Uint8Array.from(chunk));
        return writable;
      },
      end: close,
      destroy: close,
    };
    queueMicrotask(() => e.open());
    return transport;
  };
  return {
    factory,
    writes,
    packets: () => {
      const decoder = new PacketDecoder();
      return writes.flatMap((w) => decoder.push(w));
    },
    setWritable: (w) => {
      writable = w;
    },
    events: () => events!,
  };
}

describe('backpressure', () => {
  async function connectedManual(manual: ReturnType<typeof manualTransport>): Promise<MqttClient> {
    const client = makeClient(cleanup, { url: `mqtt://${LOOPBACK}:1`, transport: manual.factory });
    const connected = waitFor(client, 'connect');
    client.connect();
    await until(() => manual.writes.length === 1, 'the CONNECT write');
    expect(manual.packets()[0]!.type).toBe('connect');
    manual.events().data(encode({ type: 'connack', sessionPresent: false, returnCode: 0 }));
    await connected;
    return client;
  }

  it('a QoS 0 callback fires only once its bytes are handed to the transport (after a pending drain)', async () => {
    const manual = manualTransport();
    manual.setWritable(false); // the CONNECT write already asks to wait for drain
    const client = await connectedManual(manual);
    let result: number | undefined;
    client.publish('bp/0', 'x', { qos: 0 }, (r) => {
      result = r;
    });
    await settle();
    await settle();
    expect(manual.writes).toHaveLength(1); // still waiting for drain: nothing written
    expect(result).toBeUndefined();
    manual.setWritable(true);
    manual.events().drain();
    await until(() => result !== undefined, 'the QoS 0 completion');
    expect(result).toBe(0);
    expect(manual.packets().map((p) => p.type)).toEqual(['connect', 'publish']);
  });

  it('a QoS 0 callback waits for drain when the write carrying it returns false', async () => {
    const manual = manualTransport();
    const client = await connectedManual(manual);
    manual.setWritable(false);
    let result: number | undefined;
    client.publish('bp/1', 'x', { qos: 0 }, (r) => {
      result = r;
    });
    await until(() => manual.writes.length === 2, 'the PUBLISH write');
    await settle();
    expect(result).toBeUndefined(); // written, but the transport is over its high-water mark
    // More publishes meanwhile accumulate and go out as one write after the drain.
    client.publish('bp/2', 'y', { qos: 0 });
    client.publish('bp/3', 'z', { qos: 0 });
    await settle();
    expect(manual.writes).toHaveLength(2);
    manual.setWritable(true);
    manual.events().drain();
    await until(() => result !== undefined, 'the completion');
    expect(result).toBe(0);
    expect(manual.writes).toHaveLength(3);
    expect(manual.packets().map((p) => (p.type === 'publish' ? p.topic : p.type))).toEqual(['connect', 'bp/1', 'bp/2', 'bp/3']);
  });

  it('QoS 0 callbacks waiting for drain complete -3 if the connection closes first', async () => {
    const manual = manualTransport();
    const client = await connectedManual(manual);
    manual.setWritable(false);
    const first = publishAsync(client, 'bp/a', 'x', { qos: 0 });
    await until(() => manual.writes.length === 2, 'the PUBLISH write');
    const second = publishAsync(client, 'bp/b', 'x', { qos: 0 });
    await settle();
    manual.events().close(new Error('gone'));
    expect(await first).toBe(ResultCode.DISCONNECTED);
    expect(await second).toBe(ResultCode.DISCONNECTED);
    await until(() => client.state === 'disconnected', 'the close');
  });

  it('the core publish path does not deliver inbound messages split across chunks until complete', async () => {
    const manual = manualTransport();
    const client = await connectedManual(manual);
    const inbox = collectMessages(client);
    const bytesOut = encode(publishPacket('split/in', 'abcdef', 1, 42));
    for (let i = 0; i < bytesOut.length; i++) {
      manual.events().data(bytesOut.subarray(i, i + 1));
      if (i < bytesOut.length - 1) expect(inbox.messages).toHaveLength(0);
    }
    await inbox.wait(1);
    expect(utf8(inbox.messages[0]!.payload)).toBe('abcdef');
    await until(() => manual.packets().some((p) => p.type === 'puback'), 'the PUBACK');
    expect(manual.packets().find((p) => p.type === 'puback')).toEqual({ type: 'puback', packetId: 42 });
  });
});
