/**
 * The queue face's contract outside the broker scenarios: capabilities, names, the state machine
 * (NOT_OPENED), configuration errors at open() naming the key (INVALID_OPTIONS), what CONNECT
 * carries for Pip's keys (seen by the scripted fake broker), refusals and unreachable brokers,
 * and the options and no-ops on aedes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MessageEnvelope, MessagingCapabilities, MqttError, MqttMessageQueue } from '../../../src/api/queue/index.js';
import { startAedes } from '../../support/aedes.js';
import { startFakeBroker } from '../../support/fake-broker.js';
import { LOOPBACK, deadPort } from '../../support/ports.js';
import { Cleanup } from '../../client/helpers.js';
import { WAIT_MS, bounded, expectMqttError, makeQueue, openQueue, receiveOne, rejectionOf, sniffer, uniqueId, until, untilBuffered } from './queue-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const HOST = { 'connection.host': LOOPBACK };

describe('queue face: capabilities, name, references', () => {
  it("getCapabilities() is Pip's nine flags exactly (canMessageCount false, renew/abandon/dead-letter false)", () => {
    const capabilities = new MqttMessageQueue('q').getCapabilities();
    expect(capabilities).toBeInstanceOf(MessagingCapabilities);
    const flags = ['canMessageCount', 'canSend', 'canReceive', 'canPeek', 'canPeekBatch', 'canRenewLock', 'canAbandon', 'canDeadLetter', 'canClear'] as const;
    expect(Object.fromEntries(flags.map((flag) => [flag, capabilities[flag]]))).toEqual({
      canMessageCount: false,
      canSend: true,
      canReceive: true,
      canPeek: true,
      canPeekBatch: true,
      canRenewLock: false,
      canAbandon: false,
      canDeadLetter: false,
      canClear: true,
    });
    const custom = new MessagingCapabilities(true, false, true, false, true, false, true, false, true);
    expect([custom.canMessageCount, custom.canSend, custom.canAbandon, custom.canClear]).toEqual([true, false, true, true]);
  });

  it("getName() is the constructor's name; setReferences()/unsetReferences() are accepted no-ops; a new queue is not open", () => {
    const queue = new MqttMessageQueue('orders');
    expect(queue.getName()).toBe('orders');
    expect(() => queue.setReferences({})).not.toThrow();
    expect(() => queue.unsetReferences()).not.toThrow();
    expect(queue.isOpen()).toBe(false);
    expect(queue.counters).toEqual({ sent: 0, received: 0 });
  });
});

describe("queue face: a queue that is not open (NOT_OPENED, as Pip's checkOpen)", () => {
  function expectNotOpened(queue: MqttMessageQueue): Promise<void[]> {
    const envelope = new MessageEnvelope('c', 't', 'x');
    const attempts: [string, () => Promise<unknown>][] = [
      ['send', () => queue.send('c', envelope)],
      ['sendAsObject', () => queue.sendAsObject('c', 't', { a: 1 })],
      ['receive', () => queue.receive('c', 10)],
      ['peek', () => queue.peek('c')],
      ['peekBatch', () => queue.peekBatch('c', 2)],
    ];
    return Promise.all(
      attempts.map(async ([name, attempt]) => {
        const error = expectMqttError(await rejectionOf(attempt(), name), 'NOT_OPENED');
        expect(error.message).toContain('not opened');
      }),
    );
  }

  it('before open(): send, sendAsObject, receive, peek, peekBatch reject NOT_OPENED; listen throws it; close() is a no-op', async () => {
    const queue = new MqttMessageQueue('never-opened');
    await expectNotOpened(queue);
    let thrown: unknown;
    try {
      queue.listen('c', { receiveMessage: async () => {} });
    } catch (error) {
      thrown = error;
    }
    expectMqttError(thrown, 'NOT_OPENED');
    await expect(queue.close('c')).resolves.toBeUndefined();
    expect(queue.isOpen()).toBe(false);
  });

  it('after close(): the same rejections; close() twice is fine; open() twice is one connection', async () => {
    const broker = cleanup.broker(await startAedes());
    let connections = 0;
    broker.broker.on('client', () => connections++);
    const queue = await openQueue(cleanup, broker.url);
    await bounded(queue.open('c'), 'the second open()');
    expect(connections).toBe(1);
    await queue.close('c');
    await queue.close('c');
    expect(queue.isOpen()).toBe(false);
    await expectNotOpened(queue);
  });
});

describe('queue face: open() called twice at once', () => {
  // Regression (src/api/queue/mqtt-message-queue.ts, open()): expected two overlapping open() calls to share one connection (as two sequential ones do) and close() to leave none; saw two co…
  it('makes one connection, and close() leaves none', async () => {
    const broker = cleanup.broker(await startAedes());
    let connections = 0;
    broker.broker.on('client', () => connections++);
    const queue = makeQueue(cleanup, broker.url, { 'options.retry_connect': false });
    await bounded(Promise.all([queue.open('c'), queue.open('c')]), 'both open()s');
    expect(connections).toBe(1);
    await queue.close('c');
    await until(() => Object.keys((broker.broker as unknown as { clients: object }).clients).length === 0, 'no client left on the broker');
  });
});

describe('queue face: configuration problems reject open() with INVALID_OPTIONS naming the key', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['no host and no uri', {}, 'connection.host'],
    ['port 0 (Pip: NO_PORT)', { ...HOST, 'connection.port': 0 }, 'connection.port'],
    ['port not a number', { ...HOST, 'connection.port': 'abc' }, 'connection.port'],
    ['port beyond 65535', { connection: { host: LOOPBACK, port: 70_000 } }, 'connection.port'],
    ['qos 3', { ...HOST, 'options.qos': 3 }, 'options.qos'],
    ['ack_on unknown', { ...HOST, 'options.ack_on': 'sometimes' }, 'options.ack_on'],
    ['serialize_envelope not a boolean', { ...HOST, 'options.serialize_envelope': 'maybe' }, 'options.serialize_envelope'],
    ['max_buffered 0', { ...HOST, 'options.max_buffered': 0 }, 'options.max_buffered'],
    ['connect_timeout negative', { ...HOST, options: { connect_timeout: -1 } }, 'options.connect_timeout'],
    // Found in the faces' review (config.property.test.ts, now and then): a TypeError, not INVALID_OPTIONS.
    ['uri a list whose item has no usable toString', { 'connection.uri': [{ toString: '' }] }, 'connection.uri'],
    ['client_id a list', { ...HOST, client_id: [{ toString: '' }] }, 'client_id'],
    ['qos a bigint', { ...HOST, 'options.qos': 1n }, 'options.qos'],
  ];
  for (const [what, config, key] of cases) {
    it(`${what} → names ${key}`, async () => {
      const queue = new MqttMessageQueue('q');
      queue.configure(config);
      const error = expectMqttError(await rejectionOf(queue.open('c'), 'open()'), 'INVALID_OPTIONS');
      expect(error.message).toContain(key);
      expect(queue.isOpen()).toBe(false);
    });
  }

  it('no queue name and no topic → names topic', async () => {
    const queue = new MqttMessageQueue();
    queue.configure({ ...HOST, 'connection.port': 1 });
    expect(expectMqttError(await rejectionOf(queue.open('c'), 'open()'), 'INVALID_OPTIONS').message).toContain('topic');
  });
});

describe('queue face: connecting (CONNECT as the scripted broker sees it)', () => {
  it('defaults: a client id of its own per queue, keepalive 60 s (keepalive_timeout 60000 ms), clean session, no credentials', async () => {
    const fake = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const first = makeQueue(cleanup, fake.url);
    const second = makeQueue(cleanup, fake.url);
    const openings = [first.open('c'), second.open('c')];
    const a = await fake.acceptNext();
    const b = await fake.acceptNext();
    await bounded(Promise.all(openings), 'both open()s');
    expect(a.connect.clientId).not.toBe('');
    expect(a.connect.clientId).not.toBe(b.connect.clientId);
    expect([a.connect.keepalive, a.connect.cleanSession, a.connect.username, a.connect.password]).toEqual([60, true, undefined, undefined]);
  });

  it('client_id, credential.username/password, keepalive_timeout/1000, clean_session false; nested keys as dotted ones', async () => {
    const fake = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const port = Number(new URL(fake.url).port);
    const queue = makeQueue(cleanup, null, {
      connection: { protocol: 'mqtt', host: LOOPBACK, port: String(port) },
      credential: { username: 'alice', password: 'secret' },
      client_id: 'pip-queue-1',
      options: { keepalive_timeout: 3000, clean_session: false },
    });
    const opening = queue.open('c');
    const { connect } = await fake.acceptNext();
    await bounded(opening, 'open()');
    expect(connect.clientId).toBe('pip-queue-1');
    expect(connect.username).toBe('alice');
    expect(new TextDecoder().decode(connect.password)).toBe('secret');
    expect(connect.keepalive).toBe(3);
    expect(connect.cleanSession).toBe(false);
  });

  it('connection.uri is used as given, over connection.host/port', async () => {
    const fake = cleanup.broker(await startFakeBroker());
    const queue = makeQueue(cleanup, null, { 'connection.uri': fake.url, 'connection.host': 'unreachable.invalid', 'connection.port': 1 });
    const opening = queue.open('c');
    await fake.acceptNext();
    await bounded(opening, 'open()');
    expect(queue.isOpen()).toBe(true);
  });

  it('a CONNACK refusal (bad user name or password) rejects open() with an MqttError; the queue stays closed', async () => {
    const fake = cleanup.broker(await startFakeBroker());
    const queue = makeQueue(cleanup, fake.url, { 'credential.username': 'mallory', 'credential.password': 'guess' });
    const opening = rejectionOf(queue.open('c'), 'open()');
    await fake.acceptNext({ returnCode: 4 });
    expect(await opening).toBeInstanceOf(MqttError);
    expect(queue.isOpen()).toBe(false);
  });

  it('close() unsubscribes, then disconnects (the broker answering as it should)', async () => {
    const fake = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const queue = makeQueue(cleanup, fake.url, { topic: 'queue/close', 'options.autosubscribe': true, 'options.qos': 1 });
    const opening = queue.open('c');
    const { conn } = await fake.acceptNext();
    const subscribe = await conn.expect('subscribe');
    expect(subscribe.subscriptions).toEqual([{ topic: 'queue/close', qos: 1 }]);
    await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [1] });
    await bounded(opening, 'open()');
    const closing = queue.close('c');
    const unsubscribe = await conn.expect('unsubscribe');
    expect(unsubscribe.topics).toEqual(['queue/close']);
    await conn.send({ type: 'unsuback', packetId: unsubscribe.packetId });
    await conn.expect('disconnect');
    await bounded(closing, 'close()');
    expect(queue.isOpen()).toBe(false);
  });

  // Regression (src/api/queue/mqtt-message-queue.ts, close()): expected close() to complete within a bound (the engine's own disconnect lingers at most 5 s) when the broker never answers UN…
  it('close() completes even when the broker never answers UNSUBSCRIBE', async () => {
    const fake = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const queue = makeQueue(cleanup, fake.url, { topic: 'queue/close', 'options.autosubscribe': true, 'options.retry_connect': false });
    const opening = queue.open('c');
    const { conn } = await fake.acceptNext();
    const subscribe = await conn.expect('subscribe');
    await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [0] });
    await bounded(opening, 'open()');
    const closing = queue.close('c');
    await conn.expect('unsubscribe'); // and no UNSUBACK, ever
    await bounded(closing, 'close() with no UNSUBACK', 7_000);
  });

  it('an unreachable broker (nothing listening) rejects open() with an MqttError', async () => {
    const port = await deadPort();
    const queue = makeQueue(cleanup, `mqtt://${LOOPBACK}:${port}`, { 'options.connect_timeout': 2000 });
    expect(await rejectionOf(queue.open('c'), 'open()')).toBeInstanceOf(MqttError);
    expect(queue.isOpen()).toBe(false);
  });
});

describe('queue face on aedes: options and no-ops', () => {
  it("options.qos given as the string '1' publishes and subscribes at QoS 1; options.retain publishes retained", async () => {
    const broker = cleanup.broker(await startAedes());
    const topic = `queue/qos/${uniqueId()}`;
    const wire = await sniffer(cleanup, broker.url, topic);
    const granted: number[] = []; // the queue's subscription (the sniffer's is already made)
    broker.broker.on('subscribe', (subscriptions) => {
      for (const s of subscriptions) if (s.topic === topic) granted.push(s.qos);
    });
    const queue = await openQueue(cleanup, broker.url, { topic, 'options.qos': '1', 'options.retain': true });
    expect(granted).toEqual([1]);
    await queue.send('c', new MessageEnvelope('c', 't', 'kept'));
    expect((await wire.next()).qos).toBe(1);
    expect((await receiveOne(queue)).message_id).toMatch(/^\d+$/); // delivered at QoS 1: a packet id
    const late = await sniffer(cleanup, broker.url, topic);
    const retained = await late.next('the retained message');
    expect([retained.text(), retained.retain]).toEqual(['kept', true]);
  });

  it('close() while receive() waits: receive() gives null at once, not at the end of its wait', async () => {
    const broker = cleanup.broker(await startAedes());
    const queue = await openQueue(cleanup, broker.url);
    const waiting = queue.receive('c', 60_000);
    await queue.close('c');
    expect(await bounded(waiting, 'receive() to end at close()', WAIT_MS)).toBeNull();
  });

  it('clear() empties the local buffer; renewLock, moveToDeadLetter, complete and abandon (ack_on receive) are successful no-ops', async () => {
    const broker = cleanup.broker(await startAedes());
    const queue = await openQueue(cleanup, broker.url);
    for (const t of ['a', 'b', 'c']) await queue.send('c', new MessageEnvelope('c', 't', t));
    await untilBuffered(queue, 3);
    await queue.clear('c');
    expect(await queue.readMessageCount()).toBe(0);
    expect(await queue.receive('c', 0)).toBeNull();

    await queue.send('c', new MessageEnvelope('c', 't', 'd'));
    const d = await receiveOne(queue);
    await expect(queue.renewLock(d, 1000)).resolves.toBeUndefined();
    await expect(queue.moveToDeadLetter(d)).resolves.toBeUndefined();
    await expect(queue.abandon(d)).resolves.toBeUndefined();
    await expect(queue.complete(d)).resolves.toBeUndefined();
    // abandon() does not requeue when acknowledgement is on receive (Pip: a no-op).
    expect(await queue.receive('c', 0)).toBeNull();
    // And on an envelope the queue never saw.
    await expect(queue.complete(new MessageEnvelope('x', 'y', 'z'))).resolves.toBeUndefined();
    await expect(queue.abandon(new MessageEnvelope('x', 'y', 'z'))).resolves.toBeUndefined();
    expect(await queue.readMessageCount()).toBe(0);
  });

  it('sendAsObject(cid, type, value) sends the value as JSON under the correlation id and type (serialize_envelope)', async () => {
    const broker = cleanup.broker(await startAedes());
    const queue = await openQueue(cleanup, broker.url, { 'options.serialize_envelope': true });
    await queue.sendAsObject('cid-9', 'order', { id: 9, items: ['é'] });
    const back = await receiveOne(queue);
    expect([back.correlation_id, back.message_type]).toEqual(['cid-9', 'order']);
    expect(back.getMessageAs()).toEqual({ id: 9, items: ['é'] });
  });
});

describe('queue face: receive() keeps to its wait while the broker cannot be reached (found in review)', () => {
  it('the subscription receive() needs cannot be made: null after waitTimeout, not a wait for the reconnect', async () => {
    const fake = cleanup.broker(await startFakeBroker({ autoPingresp: true }));
    const queue = makeQueue(cleanup, fake.url, { 'options.reconnect_timeout': 20 });
    const opening = queue.open('c');
    const { conn } = await fake.acceptNext();
    await bounded(opening, 'open()');
    conn.close(); // the broker goes; the reconnects it accepts get no CONNACK
    await fake.nextConnection(WAIT_MS); // reconnecting: what receive() subscribes waits in the queue
    expect(await bounded(queue.receive('c', 200), 'receive()')).toBeNull(); // bounded: well before any reconnect
    expect(await bounded(queue.receive('c', 0), 'receive(0)')).toBeNull();
  });
});

describe('queue face: a received message id', () => {
  it("packetIdText(id), a raw message's message_id, is String(id) for every packet id", async () => {
    const { packetIdText } = await import('../../../src/api/queue/wire.js');
    for (let id = 1; id <= 65_535; id++) if (packetIdText(id) !== String(id)) expect(packetIdText(id)).toBe(String(id));
  });
});
