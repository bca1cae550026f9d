/**
 * On Node, ws:// by default ('auto') must be a transport that can stop reading: the async face,
 * the queue and `impmqtt sub` bound what they hold by pausing the socket (setReading(false)), and
 * the README confines unbounded growth to browsers. 'auto' took the platform's WebSocket wherever
 * one existed — on Node 22 and later always (undici's, which cannot pause) — so on Node those
 * faces grew without bound behind a slow consumer. (Found in review.) Node 20 has no global
 * WebSocket: the `ws` package stands in for undici's here.
 */
import { afterEach, expect, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { startAedesWebSocket } from '../support/aedes.js';
import { Cleanup, connectedClient } from '../client/helpers.js';

const cleanup = new Cleanup();
const g = globalThis as { WebSocket?: unknown };
const saved = g.WebSocket;
afterEach(async () => {
  if (saved === undefined) delete g.WebSocket;
  else g.WebSocket = saved;
  await cleanup.run();
});

it('ws:// with the default implementation on Node, beside a global WebSocket: the client can pause reading (setReading(false) is true)', async () => {
  let globalsMade = 0;
  g.WebSocket = class extends WsWebSocket {
    constructor(...args: ConstructorParameters<typeof WsWebSocket>) {
      super(...args);
      globalsMade++;
    }
  };
  const broker = cleanup.broker(await startAedesWebSocket());
  const client = await connectedClient(cleanup, { url: broker.url });
  expect(client.setReading(false)).toBe(true);
  expect(client.setReading(true)).toBe(true);
  expect(globalsMade).toBe(0);
});
