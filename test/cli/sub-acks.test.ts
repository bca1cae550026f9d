/**
 * impmqtt sub acknowledges a QoS 1/2 message only once it has printed it (or skipped it on purpose):
 * what arrives after -C, -W, --retained-only or a signal ended it is left to the broker, which
 * sends it again to a kept session (-c). (Found in review.)
 */
import { PassThrough, Writable } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startFakeBroker } from '../support/fake-broker.js';
import type { FakeBroker, FakeConnection } from '../support/fake-broker.js';

let broker: FakeBroker | undefined;
afterEach(async () => broker?.stop());

/** What the client sends until its DISCONNECT (or the end of the connection), then the connection closed. */
async function packetsUntilDisconnect(conn: FakeConnection): Promise<unknown[]> {
  const received: unknown[] = [];
  for (;;) {
    const packet = await conn.next().catch(() => undefined);
    if (packet === undefined) break;
    received.push(packet);
    if ((packet as { type: string }).type === 'disconnect') break;
  }
  conn.close();
  return received;
}

it('[MQTT-4.3.2-2] sub -c -q 1 -C 1: a second QoS 1 message arriving before the exit is not PUBACKed (it is never printed)', async () => {
  broker = await startFakeBroker({ autoPingresp: true });
  const port = new URL(broker.url).port;
  const stdout = new PassThrough();
  let printed = '';
  stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const stderr = new PassThrough();
  stderr.resume();
  const stdin = new PassThrough();
  const exit = main(['sub', '-h', '127.0.0.1', '-p', port, '-c', '-i', 'persistent-sub', '-q', '1', '-t', 'orders/#', '-C', '1'], { stdin, stdout, stderr, env: {} });

  const { conn } = await broker.acceptNext();
  const subscribe = await conn.expect('subscribe');
  await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [1] });
  const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
  await Promise.all([
    conn.send({ type: 'publish', topic: 'orders/1', payload: bytes('first'), qos: 1, dup: false, retain: false, packetId: 1 }),
    conn.send({ type: 'publish', topic: 'orders/2', payload: bytes('second'), qos: 1, dup: false, retain: false, packetId: 2 }),
  ]);
  const received = await packetsUntilDisconnect(conn);
  expect(await exit).toBe(0);
  expect(printed).toBe('first\n');
  // 'second' was never printed; acknowledging it removes it from the persistent session for good.
  expect(received).not.toContainEqual({ type: 'puback', packetId: 2 });
});

it('[MQTT-4.3.2-2] sub -c -q 1: a message stdout never took (EPIPE: the reader went away) is not PUBACKed, and the exit status is 1', async () => {
  broker = await startFakeBroker({ autoPingresp: true });
  const port = new URL(broker.url).port;
  let printed = '';
  // The first message is taken; the next waits in a full pipe whose reader then goes away (a
  // write that fails later, as a pipe's queued bytes do when its reader exits).
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (printed === '') {
        printed = chunk.toString();
        callback();
      } else {
        setTimeout(() => callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })), 100);
      }
    },
  });
  const stderr = new PassThrough();
  stderr.resume();
  const exit = main(['sub', '-h', '127.0.0.1', '-p', port, '-c', '-i', 'piped-sub', '-q', '1', '-t', 'orders/#'], { stdin: new PassThrough(), stdout, stderr, env: {} });

  const { conn } = await broker.acceptNext();
  const subscribe = await conn.expect('subscribe');
  await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [1] });
  const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
  await conn.send({ type: 'publish', topic: 'orders/1', payload: bytes('first'), qos: 1, dup: false, retain: false, packetId: 1 });
  expect(await conn.expect('puback')).toEqual({ type: 'puback', packetId: 1 });
  await conn.send({ type: 'publish', topic: 'orders/2', payload: bytes('second'), qos: 1, dup: false, retain: false, packetId: 2 });
  const received = await packetsUntilDisconnect(conn);
  expect(await exit).toBe(1);
  expect(printed).toBe('first\n');
  // 'second' never reached the reader: acknowledging it would drop it from the kept session.
  expect(received).not.toContainEqual({ type: 'puback', packetId: 2 });
});

it('sub -W counts from the connection, as mosquitto_sub does: a CONNACK slower than -W still gets the message printed, then "Timed out" and status 27', async () => {
  broker = await startFakeBroker({ autoPingresp: true });
  const port = new URL(broker.url).port;
  let printed = '';
  let errors = '';
  const stdout = new PassThrough();
  stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const stderr = new PassThrough();
  stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exit = main(['sub', '-h', '127.0.0.1', '-p', port, '-t', 'slow/#', '-W', '1'], { stdin: new PassThrough(), stdout, stderr, env: {} });

  const conn = await broker.nextConnection();
  await conn.expect('connect');
  // The broker takes longer than -W to accept: a timer started at launch would end the command first.
  await new Promise((resolve) => setTimeout(resolve, 1_300));
  await conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 });
  const subscribe = await conn.expect('subscribe');
  await conn.send({ type: 'suback', packetId: subscribe.packetId, granted: [0] });
  await conn.send({ type: 'publish', topic: 'slow/1', payload: new TextEncoder().encode('late but kept'), qos: 0, dup: false, retain: true });
  expect(await exit).toBe(27);
  expect([printed, errors]).toEqual(['late but kept\n', 'Timed out\n']);
});
