/**
 * pub -l holds at most 1,000 messages (or 8 MiB) for the engine, also within one stdin chunk: a
 * 64 KiB pipe read of short lines is tens of thousands of messages, and submitting them all at
 * once ran the engine out of packet ids (-10) or, while it reconnected, past maxBuffered (-12),
 * so a pipe mosquitto_pub sends whole ended with status 1. (Found in review.)
 * In-process: an aedes broker on loopback, stopped after each test.
 */
import { PassThrough } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startAedes } from '../support/aedes.js';
import type { AedesBroker } from '../support/aedes.js';

let broker: AedesBroker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});

function io(): { stdin: PassThrough; stdout: PassThrough; stderr: PassThrough; env: Record<string, string>; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.resume();
  let err = '';
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { stdin: new PassThrough(), stdout, stderr, env: {}, err: () => err };
}

it('[MQTT-2.3.1-2] pub -l -q 1: one stdin chunk of 70,000 empty lines (more than the 65,535 packet ids) is sent whole, status 0', async () => {
  broker = await startAedes();
  let received = 0;
  broker.broker.on('publish', (packet, client) => {
    if (client !== null && packet.topic === 'lines/many') received++;
  });
  const streams = io();
  const count = 70_000;
  const exit = main(['pub', '-h', '127.0.0.1', '-p', String(broker.port), '-t', 'lines/many', '-q', '1', '-l'], streams);
  streams.stdin.end(Buffer.alloc(count, 0x0a)); // one chunk: every line completes in one push
  expect([await exit, streams.err()]).toEqual([0, '']);
  expect(received).toBe(count);
}, 60_000);
