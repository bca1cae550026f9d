/**
 * The imp API's onmessage handler against the scripted fake broker [imp §2.8, §9.7]: the message
 * item with integer retain/dup and a blob body holding the exact bytes, automatic acknowledgement
 * without a handler [MQTT-4.5.0-2], single-slot replacement, and a re-sent QoS 2 message
 * delivered once.
 */
import { describe, expect, it } from 'vitest';
import { ImpBlob } from '../../support/internals.js';
import type { ImpMessageItem, ImpMqttClient } from '../../support/internals.js';
import type { FakeConnection } from '../../support/fake-broker.js';
import { fakeBrokerPerTest, Inbox, connectFake } from './helpers.js';

const fx = fakeBrokerPerTest();

describe('onmessage [imp §2.8, §9.7]', () => {
  async function connectedWithInbox(): Promise<{ client: ImpMqttClient; conn: FakeConnection; inbox: Inbox }> {
    const client = fx.device();
    const inbox = new Inbox();
    client.onmessage(inbox.handler);
    const { conn } = await connectFake(fx.broker, client, 'msg');
    return { client, conn, inbox };
  }

  it('delivers { topic, message: blob, qos, retain: 0|1, dup: 0|1 } with integers, not booleans', async () => {
    const { conn, inbox } = await connectedWithInbox();
    await conn.send({ type: 'publish', topic: 'a/b', payload: new TextEncoder().encode('plain'), qos: 0, dup: false, retain: false });
    await conn.send({ type: 'publish', topic: 'a/c', payload: new TextEncoder().encode('flags'), qos: 1, dup: true, retain: true, packetId: 9 });
    await conn.send({ type: 'publish', topic: 'a/d', payload: new Uint8Array(0), qos: 2, dup: false, retain: true, packetId: 10 });
    await inbox.waitForCount(3);
    const [plain, flags, empty] = inbox.items as [ImpMessageItem, ImpMessageItem, ImpMessageItem];
    expect({ ...plain, message: plain.message.tostring() }).toEqual({ topic: 'a/b', message: 'plain', qos: 0, retain: 0, dup: 0 });
    expect({ ...flags, message: flags.message.tostring() }).toEqual({ topic: 'a/c', message: 'flags', qos: 1, retain: 1, dup: 1 });
    expect({ ...empty, message: empty.message.len() }).toEqual({ topic: 'a/d', message: 0, qos: 2, retain: 1, dup: 0 });
    for (const item of inbox.items) {
      expect(typeof item.retain).toBe('number');
      expect(typeof item.dup).toBe('number');
      expect(typeof item.qos).toBe('number');
      expect(item.message).toBeInstanceOf(ImpBlob);
    }
    // QoS 1 acknowledged, QoS 2 taken through PUBREC/PUBREL/PUBCOMP.
    expect(await conn.expect('puback')).toEqual({ type: 'puback', packetId: 9 });
    expect(await conn.expect('pubrec')).toEqual({ type: 'pubrec', packetId: 10 });
    await conn.send({ type: 'pubrel', packetId: 10 });
    expect(await conn.expect('pubcomp')).toEqual({ type: 'pubcomp', packetId: 10 });
  });

  it('the message is the exact bytes: a binary payload (every byte value, invalid UTF-8) round-trips', async () => {
    const { conn, inbox } = await connectedWithInbox();
    const every = Uint8Array.from({ length: 512 }, (_, i) => (i * 7 + 3) & 0xff);
    const invalidUtf8 = new Uint8Array([0xff, 0xfe, 0xc3, 0x28, 0x00, 0xed, 0xa0, 0x80]);
    await conn.send({ type: 'publish', topic: 'bin', payload: every, qos: 1, dup: false, retain: false, packetId: 1 });
    await conn.send({ type: 'publish', topic: 'bin', payload: invalidUtf8, qos: 0, dup: false, retain: false });
    await inbox.waitForCount(2);
    expect(Array.from(inbox.items[0]!.message.bytes)).toEqual(Array.from(every));
    expect(inbox.items[0]!.message.len()).toBe(512);
    expect(inbox.items[0]!.message.length).toBe(512);
    expect(Array.from(inbox.items[1]!.message.bytes)).toEqual(Array.from(invalidUtf8));
    // tostring() decodes UTF-8 (lossily for bytes that are not text), as agent code reads bodies.
    expect(inbox.items[1]!.message.tostring()).toContain('\ufffd');
  });

  it('tostring() decodes UTF-8 text', async () => {
    const { conn, inbox } = await connectedWithInbox();
    await conn.send({ type: 'publish', topic: 'txt', payload: new TextEncoder().encode('héllo €'), qos: 0, dup: false, retain: false });
    await inbox.waitForCount(1);
    expect(inbox.items[0]!.message.tostring()).toBe('héllo €');
    expect(String(inbox.items[0]!.message)).toBe('héllo €');
  });

  it('messages are still acknowledged when no handler is set, and null clears a handler', async () => {
    const { client, conn, inbox } = await connectedWithInbox();
    client.onmessage(null);
    await conn.send({ type: 'publish', topic: 'x', payload: new Uint8Array([1]), qos: 1, dup: false, retain: false, packetId: 21 });
    expect(await conn.expect('puback')).toEqual({ type: 'puback', packetId: 21 });
    await conn.send({ type: 'publish', topic: 'x', payload: new Uint8Array([2]), qos: 2, dup: false, retain: false, packetId: 22 });
    expect(await conn.expect('pubrec')).toEqual({ type: 'pubrec', packetId: 22 });
    await conn.send({ type: 'pubrel', packetId: 22 });
    expect(await conn.expect('pubcomp')).toEqual({ type: 'pubcomp', packetId: 22 });
    expect(inbox.items).toEqual([]);
  });

  it('a new handler replaces the old one', async () => {
    const { client, conn, inbox } = await connectedWithInbox();
    const replacement = new Inbox();
    client.onmessage(replacement.handler);
    await conn.send({ type: 'publish', topic: 'x', payload: new Uint8Array([1]), qos: 0, dup: false, retain: false });
    await replacement.waitForCount(1);
    expect(inbox.items).toEqual([]);
  });

  it('a QoS 2 message re-sent before PUBREL is delivered once [MQTT-4.3.3-2]', async () => {
    const { conn, inbox } = await connectedWithInbox();
    const publish = { type: 'publish' as const, topic: 'q2', payload: new Uint8Array([5]), qos: 2 as const, dup: false, retain: false, packetId: 77 };
    await conn.send(publish);
    await conn.expect('pubrec');
    await conn.send({ ...publish, dup: true });
    await conn.expect('pubrec');
    await conn.send({ type: 'pubrel', packetId: 77 });
    await conn.expect('pubcomp');
    expect(inbox.items).toHaveLength(1);
  });
});
