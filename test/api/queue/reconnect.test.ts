/**
 * The queue's connection after open(): with retry_connect (Pip's default) it keeps trying through
 * an outage however many attempts fail, and works again once the broker is back.
 */
import { afterEach, expect, it } from 'vitest';
import { MessageEnvelope } from '../../../src/api/queue/index.js';
import { startAedes } from '../../support/aedes.js';
import { Cleanup, until } from '../../client/helpers.js';
import { startTcpProxy } from '../../support/tcp-proxy.js';
import { openQueue, receiveOne } from './queue-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

it('retry_connect: failed reconnect attempts during an outage do not stop it; the queue works again after', async () => {
  const broker = cleanup.broker(await startAedes());
  const proxy = cleanup.add(await startTcpProxy(broker.url), (p) => p.stop());
  const queue = await openQueue(cleanup, proxy.url, { 'options.reconnect_timeout': 20, 'options.autosubscribe': true, 'options.qos': 1 });
  proxy.refusing = true;
  proxy.cut();
  // Several attempts are refused before the broker is reachable again.
  await until(() => proxy.refused >= 3, 'three refused reconnect attempts');
  proxy.refusing = false;
  await until(() => proxy.accepted >= 2, 'a reconnect after the outage');
  // Sent while reconnecting, a QoS 1 message waits for the connection rather than failing.
  await queue.send(null, new MessageEnvelope(null, 'after', 'back'));
  expect((await receiveOne(queue)).getMessageAsString()).toBe('back');
  expect(queue.isOpen()).toBe(true);
});
