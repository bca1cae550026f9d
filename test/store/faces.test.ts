/**
 * Each face hands a durable store to the engine and reports restored completions in its own
 * idiom: the engine's and the async face's 'restored' event, the queue's 'restored' event with
 * the envelope's message_id, the imp face's onrestored(topic, resultCode). The "crash" is the
 * store closed while a message is in flight (its file frozen as a killed process leaves it);
 * the next client on the same directory sends it again to a broker that acknowledges.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/api/async/index.js';
import { createMqtt } from '../../src/api/imp/index.js';
import { MessageEnvelope, MqttMessageQueue } from '../../src/api/queue/index.js';
import { MqttClient } from '../../src/client/index.js';
import { fileStore } from '../../src/store/index.js';
import { startAedes } from '../support/aedes.js';
import { startFakeBroker } from '../support/fake-broker.js';
import { waitFor } from '../client/helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'impmqtt-faces-store-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Leaves the store in `dir` holding one unacknowledged QoS 1 message, as a killed process would. */
async function crashWithOneInFlight(dir: string, publish: (url: string, store: ReturnType<typeof fileStore>) => Promise<() => void>): Promise<void> {
  const fake = await startFakeBroker();
  cleanups.push(() => fake.stop());
  const accepted = fake.acceptNext();
  const provider = fileStore(dir);
  const abandon = await publish(fake.url, provider);
  const { conn } = await accepted;
  await conn.expect('publish');
  provider.close(); // the process dies here: the file keeps what it had
  abandon();
}

describe('durable store through each face', () => {
  it("engine: 'restored' carries the messageId, properties and the packet id", async () => {
    const dir = scratch();
    await crashWithOneInFlight(dir, async (url, provider) => {
      const client = new MqttClient({ url, clientId: 'engine-1', store: provider, reconnect: false });
      client.connect();
      await waitFor(client, 'connect');
      client.publish('faces/engine', 'e', { qos: 1, messageId: 'e-1', properties: { order: '42' } });
      return () => client.destroy();
    });
    const broker = await startAedes();
    cleanups.push(() => broker.stop());
    const provider = fileStore(dir);
    cleanups.push(() => provider.close());
    const client = new MqttClient({ url: broker.url, clientId: 'engine-1', store: provider });
    cleanups.push(() => client.destroy());
    const restored = waitFor(client, 'restored');
    client.connect();
    const info = await restored;
    expect(info.result).toBe(0);
    expect(info.message).toMatchObject({ topic: 'faces/engine', qos: 1, messageId: 'e-1', properties: { order: '42' } });
    expect(info.packetId).toBeGreaterThan(0);
  });

  it("async face: a 'restored' event (the promise of the first process is gone)", async () => {
    const dir = scratch();
    await crashWithOneInFlight(dir, async (url, provider) => {
      const client = await connect(url, { clientId: 'async-1', store: provider });
      void client.publish('faces/async', 'a', { qos: 1, messageId: 'a-1' }).catch(() => undefined);
      return () => void client.disconnect().catch(() => undefined);
    });
    const broker = await startAedes();
    cleanups.push(() => broker.stop());
    const provider = fileStore(dir);
    cleanups.push(() => provider.close());
    const client = await connect(broker.url, { clientId: 'async-1', store: provider });
    cleanups.push(() => client.disconnect());
    const info = await new Promise<{ message: { messageId: string | undefined }; result: number }>((resolve) => client.once('restored', resolve));
    expect([info.message.messageId, info.result]).toEqual(['a-1', 0]);
  });

  it("queue face: useStore(); 'restored' names the envelope's message_id", async () => {
    const dir = scratch();
    await crashWithOneInFlight(dir, async (url, provider) => {
      const queue = new MqttMessageQueue('faces-queue');
      queue.configure({ connection: { uri: url }, client_id: 'queue-1', options: { qos: 1, autosubscribe: false } });
      queue.useStore(provider);
      await queue.open('1');
      void queue.send('1', new MessageEnvelope('1', 'kind', 'Q')).catch(() => undefined);
      return () => void queue.close('1').catch(() => undefined);
    });
    const broker = await startAedes();
    cleanups.push(() => broker.stop());
    const provider = fileStore(dir);
    cleanups.push(() => provider.close());
    const queue = new MqttMessageQueue('faces-queue');
    queue.configure({ connection: { uri: broker.url }, client_id: 'queue-1', options: { qos: 1, autosubscribe: false } });
    queue.useStore(provider);
    const restored = new Promise<{ messageId: string | undefined; result: number }>((resolve) => queue.once('restored', resolve));
    await queue.open('1');
    cleanups.push(() => queue.close('1'));
    const info = await restored;
    expect(info.result).toBe(0);
    expect(info.messageId).toMatch(/^[0-9a-f]{32}$/); // the envelope's generated message_id
  });

  it('imp face: connect(…, {store}); onrestored(topic, resultCode)', async () => {
    const dir = scratch();
    const imp1 = createMqtt();
    await crashWithOneInFlight(dir, async (url, provider) => {
      const client = imp1.createclient();
      await new Promise<void>((resolve) => {
        client.onconnect(() => resolve());
        client.connect(url.replace('mqtt:', 'tcp:'), 'imp-1', { store: provider });
      });
      client.createmessage('faces/imp', 'i', { qos: 1 }).sendasync(() => undefined);
      return () => client.disconnect();
    });
    const broker = await startAedes();
    cleanups.push(() => broker.stop());
    const provider = fileStore(dir);
    cleanups.push(() => provider.close());
    const client = createMqtt().createclient();
    const restored = new Promise<[string, number]>((resolve) => client.onrestored((topic, code) => resolve([topic, code])));
    client.connect(broker.url.replace('mqtt:', 'tcp:'), 'imp-1', { store: provider });
    cleanups.push(() => client.disconnect());
    expect(await restored).toEqual(['faces/imp', 0]);
  });
});
