/**
 * mqttmessage holds what createmessage() was given [imp §2.11, §3.1]: a message is a value, made
 * once and sent (perhaps later, perhaps more than once), so the bytes of a blob the caller goes on
 * writing into must not leak into it. Found in review: the payload was the caller's own buffer,
 * so a send that waited (behind maxInflight, or a message kept to be sent again) went out with
 * whatever the buffer held by then.
 */
import { describe, expect, it } from 'vitest';
import { ImpBlob } from '../../support/internals.js';
import { Calls, fakeBrokerPerTest, connectFake } from './helpers.js';

const fx = fakeBrokerPerTest();

describe('createmessage() takes its own copy of a blob body (found in review)', () => {
  it('a Uint8Array or blob changed after createmessage() does not change the message, queued or sent again', async () => {
    const client = fx.device({ maxInflight: 1 });
    const { conn } = await connectFake(fx.broker, client, 'copy');
    const results = new Calls<[number]>();
    client.createmessage('first', 'x', { qos: 1 }).sendasync((rc) => results.record(rc));
    const first = await conn.expect('publish');

    const reading = new Uint8Array([1, 2, 3]);
    const blob = new ImpBlob(new Uint8Array([7, 7]));
    const fromBytes = client.createmessage('bytes', reading, { qos: 1 });
    const fromBlob = client.createmessage('blob', blob, { qos: 1 });
    fromBytes.sendasync((rc) => results.record(rc)); // waits behind 'first' (maxInflight 1)
    fromBlob.sendasync((rc) => results.record(rc));
    reading.set([9, 9, 9]); // the caller reuses its buffers for the next reading
    blob.bytes.set([8, 8]);

    await conn.send({ type: 'puback', packetId: first.packetId! });
    const second = await conn.expect('publish');
    expect([second.topic, [...second.payload]]).toEqual(['bytes', [1, 2, 3]]);
    await conn.send({ type: 'puback', packetId: second.packetId! });
    const third = await conn.expect('publish');
    expect([third.topic, [...third.payload]]).toEqual(['blob', [7, 7]]);
    await conn.send({ type: 'puback', packetId: third.packetId! });

    // Sent again later, the message still carries what it was made with.
    fromBytes.sendasync((rc) => results.record(rc));
    const again = await conn.expect('publish');
    expect([...again.payload]).toEqual([1, 2, 3]);
    await conn.send({ type: 'puback', packetId: again.packetId! });
    await results.waitForCount(4);
    expect(results.args).toEqual([[0], [0], [0], [0]]);
  });
});
