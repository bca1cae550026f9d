/**
 * The imp's -10 ("Exhausted the available MQTT message IDs") counts every id held, not only the
 * QoS 1/2 messages in flight: a SUBSCRIBE or UNSUBSCRIBE awaiting its ack holds one too
 * [MQTT-2.3.1-2]. The face used to count messages only, so with a subscription awaiting its
 * SUBACK the send that found no id free waited in the engine instead of reporting -10; and with
 * maxInflight given as 65,535 a subscribe() finding every id held by messages waited too
 * (maxInflight bounds messages, not subscriptions). A fake broker on loopback that acknowledges
 * nothing; stopped after each test.
 */
import { describe, expect, it } from 'vitest';
import { connectFake, fakeBrokerPerTest, waitFor } from './helpers.js';

const MAX_IDS = 65_535;
/** -10 is reported at once: from a microtask after the call, so one macrotask turn sees it. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const fx = fakeBrokerPerTest();

describe('-10 counts the ids that subscriptions hold [MQTT-2.3.1-2]', () => {
  it('with a SUBSCRIBE awaiting its SUBACK and 65,534 messages in flight, the next sendasync reports -10 at once', async () => {
    const client = fx.device();
    const { conn } = await connectFake(fx.broker, client, 'control-ids');
    const subscribed: number[] = [];
    expect(client.subscribe('held/id', 1, (rc: number) => subscribed.push(rc))).toBe(0);
    const message = client.createmessage('control/t', 'x', { qos: 1 });
    for (let i = 0; i < MAX_IDS - 1; i++) message.sendasync();
    await waitFor(() => conn.received.length >= 1 + MAX_IDS, 'the SUBSCRIBE and 65,534 PUBLISH packets at the broker', 20_000);
    const overflow: number[] = [];
    message.sendasync((rc) => overflow.push(rc));
    expect(overflow).toEqual([]); // never from inside the call [imp §3.1]
    await turn();
    expect(overflow).toEqual([-10]);
    expect(subscribed).toEqual([]);
  });

  it('with maxInflight 65,535 and every id held by messages, subscribe() calls back -10 at once (maxInflight bounds messages only)', async () => {
    const client = fx.device({ maxInflight: MAX_IDS });
    const { conn } = await connectFake(fx.broker, client, 'control-max');
    const message = client.createmessage('control/m', 'x', { qos: 1 });
    for (let i = 0; i < MAX_IDS; i++) message.sendasync();
    await waitFor(() => conn.received.length >= 1 + MAX_IDS, '65,535 PUBLISH packets at the broker', 20_000);
    const subscribed: [number, number | number[]][] = [];
    expect(client.subscribe('no/id', 1, (rc: number, qosMode: number | number[]) => subscribed.push([rc, qosMode]))).toBe(0);
    const unsubscribed: number[] = [];
    client.unsubscribe('no/id', (rc) => unsubscribed.push(rc));
    expect([subscribed, unsubscribed]).toEqual([[], []]); // never from inside the call [imp §3.1]
    await turn();
    expect(unsubscribed).toEqual([-1]);
    expect(subscribed).toEqual([[-10, 0x80]]);
    // A send still waits behind maxInflight, as before.
    const queued: number[] = [];
    message.sendasync((rc) => queued.push(rc));
    await turn();
    expect(queued).toEqual([]);
  });
});
