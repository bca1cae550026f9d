/**
 * Electric Imp's own libraries register onmessage inside the subscribe callback, once the SUBACK
 * granted the subscription [imp §2.8, reference "R-copy"]. A broker sends retained messages right
 * after the SUBACK, often in the same TCP segment: they must reach the handler registered there.
 */
import { describe, expect, it } from 'vitest';
import { encode } from '../../support/internals.js';
import type { ImpMessageItem } from '../../support/internals.js';
import { connectFake, fakeBrokerPerTest } from './helpers.js';

const fx = fakeBrokerPerTest();

describe('onmessage registered in the subscribe callback [imp §2.8, §2.9]', () => {
  it('a retained PUBLISH in the same chunk as the SUBACK reaches it, at QoS 0 and QoS 1 [MQTT-3.3.1-6]', async () => {
    const client = fx.device();
    const { conn } = await connectFake(fx.broker, client, 'suback-msg');
    const received: ImpMessageItem[] = [];
    for (const [qos, topic] of [[0, 'kept/zero'], [1, 'kept/one']] as const) {
      client.subscribe(topic, qos, (qosMode: number | number[]) => {
        if (typeof qosMode === 'number' && qosMode < 0x80) client.onmessage((item: ImpMessageItem) => received.push(item));
      });
      const subscribe = await conn.expect('subscribe');
      const suback = encode({ type: 'suback', packetId: subscribe.packetId, granted: [qos] });
      const packetId = qos === 1 ? 7 : undefined;
      const retained = encode({ type: 'publish', topic, payload: new TextEncoder().encode(`kept at ${qos}`), qos, dup: false, retain: true, ...(packetId === undefined ? {} : { packetId }) });
      await conn.sendRaw(Buffer.concat([suback, retained]));
      await expect.poll(() => received.map((item) => item.topic)).toContain(topic);
      client.onmessage(null);
    }
    expect(received.map((item) => [item.topic, item.message.tostring(), item.retain])).toEqual([
      ['kept/zero', 'kept at 0', 1],
      ['kept/one', 'kept at 1', 1],
    ]);
  });
});
