import { afterEach, expect, it } from 'vitest';
import { connect } from '../../../src/api/async/index.js';
import { startAedes } from '../../support/aedes.js';
import { Cleanup } from '../../client/helpers.js';
const cleanup = new Cleanup();
afterEach(() => cleanup.run());
it('smoke', async () => {
  const broker = cleanup.broker(await startAedes());
  const client = await connect(broker.url, { clientId: 'smoke' });
  cleanup.add(client, (c) => c.disconnect());
  expect(await client.subscribe('temperature/#', { qos: 1 })).toBe(1);
  await client.publish('temperature/outside', 28.4, { qos: 1 });
  for await (const message of client.messages) {
    expect(message.topic.matches('temperature/+')).toBe(true);
    expect(message.text()).toBe('28.4');
    expect(message.qos).toBe(1);
    break;
  }
});
