/**
 * The platform's WebSocket (ws-global.ts) closing on a bad server (found in review). A WHATWG
 * WebSocket (browsers, and Node's own global WebSocket from undici) throws InvalidAccessError for
 * a close code other than 1000 or 3000..4999, so the transport must never ask for 1002 or 1003. The stand-in below is the `ws` package with exactly that rule; run this
 * file with NODE_OPTIONS=--experimental-websocket (Node 20) or on Node 22 to use the real one.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket, WebSocketServer } from 'ws';
import { MqttError, parseBrokerUrl } from '../support/internals.js';
import { openGlobalWebSocket } from '../../src/transport/ws-global.js';

class WhatwgCloseRule extends WsWebSocket {
  override close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) {
      throw new DOMException(`invalid code ${code}`, 'InvalidAccessError');
    }
    super.close(code, reason);
  }
}

const g = globalThis as { WebSocket?: unknown };
const real = g.WebSocket;
const servers: WebSocketServer[] = [];
afterEach(async () => {
  g.WebSocket = real;
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate();
    s.close();
  }
});

async function server(protocol: string, onConnection: (socket: import('ws').WebSocket) => void): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => protocol });
  servers.push(wss);
  wss.on('connection', onConnection);
  await once(wss, 'listening');
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/mqtt`;
}

function run(url: string): Promise<{ opened: boolean; error: Error | undefined; uncaught: unknown[] }> {
  if (real === undefined) g.WebSocket = WhatwgCloseRule;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown): void => void uncaught.push(error);
  process.on('uncaughtException', onUncaught);
  // vitest's own handler would also see it: collect it here instead
  const others = process.listeners('uncaughtException').filter((l) => l !== onUncaught);
  for (const l of others) process.off('uncaughtException', l);
  let opened = false;
  return new Promise((resolve) => {
    const finish = (error: Error | undefined): void => {
      clearTimeout(timer);
      process.off('uncaughtException', onUncaught);
      for (const l of others) process.on('uncaughtException', l);
      resolve({ opened, error, uncaught });
    };
    const timer = setTimeout(() => {
      transport.destroy();
      finish(new Error('no close within 2 s'));
    }, 2000);
    const transport = openGlobalWebSocket(parseBrokerUrl(url), {
      open: () => void (opened = true),
      data: () => {},
      drain: () => {},
      close: (error) => finish(error),
    });
  });
}

describe('the platform WebSocket refuses a bad server (found in review)', () => {
  it('[MQTT-6.0.0-1] a text frame from the server closes the connection with WEBSOCKET_ERROR (no uncaught exception)', async () => {
    const url = await server('mqtt', (socket) => socket.send('not binary'));
    const { error, uncaught } = await run(url);
    expect(uncaught).toEqual([]);
    expect(error).toBeInstanceOf(MqttError);
    expect((error as MqttError).code).toBe('WEBSOCKET_ERROR');
  });
});
