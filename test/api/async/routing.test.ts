/**
 * Routing between filtered streams and client.messages, on the scripted broker: a message goes
 * to the first open filtered stream that matches, and a stream that closes hands what it still
 * holds to client.messages, so nothing received is ever dropped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../../src/api/async/index.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import { Cleanup, uniqueId } from '../../client/helpers.js';
import { nextMessage } from './async-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const publish = (topic: string, text: string) => ({ type: 'publish', topic, payload: new TextEncoder().encode(text), qos: 0, dup: false, retain: false }) as const;

describe('filtered streams', () => {
  it('a message goes to the first open filtered stream that matches; closing a stream hands its backlog to client.messages', async () => {
    const broker = cleanup.broker(await startFakeBroker());
    const [accepted, client] = await Promise.all([broker.acceptNext(), connect(broker.url, { clientId: uniqueId('routing'), keepalive: 0 })]);
    cleanup.add(client, (c) => c.disconnect());
    const temps = client.filter('sensors/+/temp')[Symbol.asyncIterator]();
    const all = client.filter('sensors/#')[Symbol.asyncIterator]();
    const rest = client.messages[Symbol.asyncIterator]();
    for (const [topic, text] of [['sensors/1/temp', 't1'], ['sensors/1/hum', 'h1'], ['other', 'o1'], ['sensors/2/temp', 't2'], ['sensors/3/temp', 't3']]) {
      await accepted.conn.send(publish(topic!, text!));
    }
    expect((await nextMessage(temps)).text()).toBe('t1');
    expect((await nextMessage(all)).text()).toBe('h1');
    expect((await nextMessage(rest)).text()).toBe('o1');
    // t2 and t3 wait in the temperature stream; closing it moves them on, in order.
    await temps.return!();
    expect((await nextMessage(rest)).text()).toBe('t2');
    expect((await nextMessage(rest)).text()).toBe('t3');
    // From now on the closed filter takes nothing: the next match goes to the next stream that matches.
    await accepted.conn.send(publish('sensors/4/temp', 't4'));
    expect((await nextMessage(all)).text()).toBe('t4');
  });
});
