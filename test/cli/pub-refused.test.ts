/**
 * `impmqtt pub` of a message the broker refuses by closing the connection [MQTT-3.3.5-2] (not
 * authorized; mosquitto does the same for a topic holding a control character): it used to
 * reconnect and re-send it for ever, never exiting (the loop of emqx/MQTTX#1667). Now the
 * engine gives up on it after the third such close and the command ends with status 1 and one
 * line saying why. In-process: an aedes broker on loopback, stopped after the test.
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

it('[MQTT-3.3.5-2] pub -q 1 of a message the broker closes the connection over: status 1 and one line, after 3 tries (not a reconnect loop)', async () => {
  let attempts = 0;
  broker = await startAedes({
    brokerOptions: {
      authorizePublish: (_client, packet, callback) => {
        attempts++;
        callback(packet.topic === 'denied/x' ? new Error('not authorized') : null);
      },
    },
  });
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const stdout = new PassThrough().resume();
  const status = await main(['pub', '-h', '127.0.0.1', '-p', String(broker.port), '-t', 'denied/x', '-m', 'm', '-q', '1'], { stdin: new PassThrough(), stdout, stderr, env: {} });
  expect([status, err]).toEqual([1, 'Error: A message was not delivered: the broker closed the connection each time it was sent (not authorized, or a topic it refuses).\n']);
  expect(attempts).toBe(3);
}, 30_000);
