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
import { MqttClient, MqttError, PacketDecoder, encode, parseBrokerUrl } from '../support/internals.js';
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

/** A platform WebSocket the test drives: it opens, receives and closes when told; send() keeps what an OPEN socket takes. */
class ScriptedWebSocket {
  static last: ScriptedWebSocket | undefined;
  readyState = 0;
  bufferedAmount = 0;
  protocol = 'mqtt';
  binaryType = 'blob';
  readonly sent: Uint8Array[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: ArrayBuffer }) => void) | null = null;
  onerror: (() => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  constructor() {
    ScriptedWebSocket.last = this;
  }
  send(bytes: Uint8Array): void {
    if (this.readyState === 1) this.sent.push(bytes); // a CLOSING socket discards what it is given
  }
  close(): void {
    if (this.readyState < 2) this.readyState = 2;
  }
}

describe('the platform WebSocket and bytes it could not send (found in review)', () => {
  /** A client connected through a ScriptedWebSocket (reconnect off). */
  async function scriptedClient(): Promise<{ client: MqttClient; ws: ScriptedWebSocket }> {
    g.WebSocket = ScriptedWebSocket;
    const client = new MqttClient({ url: 'ws://127.0.0.1:1/mqtt', clientId: 'c', reconnect: false, transport: (endpoint, _options, events) => openGlobalWebSocket(endpoint, events) });
    const connected = new Promise((resolve) => client.once('connect', resolve));
    client.connect();
    const ws = ScriptedWebSocket.last!;
    ws.readyState = 1;
    ws.onopen!();
    const connack = encode({ type: 'connack', sessionPresent: false, returnCode: 0 });
    ws.onmessage!({ data: connack.buffer.slice(connack.byteOffset, connack.byteOffset + connack.byteLength) as ArrayBuffer });
    await connected;
    return { client, ws };
  }

  it('a QoS 0 publish written while the server is closing the WebSocket is not reported delivered by a graceful disconnect()', async () => {
    const { client, ws } = await scriptedClient();
    ws.readyState = 2; // the server's close frame arrived; its close event has not yet
    const results: number[] = [];
    const closed = new Promise<void>((resolve) => {
      client.publish('t', 'never sent', { qos: 0 }, (result) => results.push(result));
      client.disconnect(() => resolve());
      ws.readyState = 3;
      ws.onclose!({ code: 1000 });
    });
    await closed;
    const decoder = new PacketDecoder();
    const written = ws.sent.flatMap((bytes) => decoder.push(bytes)).map((packet) => packet.type);
    expect(written).toEqual(['connect']);
    expect(results).toHaveLength(1);
    expect(results[0]).not.toBe(0);
  });

  it('a QoS 0 publish still buffered when the WebSocket dropped during a graceful disconnect() is not reported delivered', async () => {
    const { client, ws } = await scriptedClient();
    const results: number[] = [];
    const closed = new Promise<void>((resolve) => {
      ws.bufferedAmount = 2 << 20; // over the high-water mark: the publish waits in the platform's buffer
      client.publish('t', 'still buffered', { qos: 0 }, (result) => results.push(result));
      queueMicrotask(() => {
        client.disconnect(() => resolve());
        ws.readyState = 3; // the network went away with the bytes unsent: no close frame, no error event
        ws.onclose!({ code: 1006 });
      });
    });
    await closed;
    expect(results).toHaveLength(1);
    expect(results[0]).not.toBe(0);
  });
});
