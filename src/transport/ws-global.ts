/** WebSocket through the platform's own WebSocket class (browsers, Node 22+, Deno, Bun). */
import { MqttError } from '../errors.js';
import type { Endpoint, Transport, TransportEvents } from './types.js';
import { wsError } from './ws-error.js';

/** Above this many unsent bytes, write() asks the caller to wait. */
const HIGH_WATER = 1 << 20;
const DRAIN_POLL_MS = 10;

export function hasGlobalWebSocket(): boolean {
  return typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
}

export function openGlobalWebSocket(endpoint: Endpoint, events: TransportEvents): Transport {
  const WebSocketClass = (globalThis as unknown as { WebSocket: typeof WebSocket }).WebSocket;
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const url = `${endpoint.kind}://${host}:${endpoint.port}${endpoint.path}`;
  let failure: Error | undefined;
  let closeRequested = false;
  /** write() met a closing socket (whose send() may throw, or discard without counting it). */
  let dropped = false;
  let drainTimer: ReturnType<typeof setTimeout> | undefined;

  const ws = new WebSocketClass(url, ['mqtt']); // [MQTT-6.0.0-3]
  ws.binaryType = 'arraybuffer';
  // The platform's close() takes only 1000 and 3000-4999 (it throws for 1002 or 1003): 4002 and
  // 4003 say protocol error and unacceptable data. Nothing the server sends after counts.
  const refuse = (error: MqttError, code: number): void => {
    failure ??= error;
    try {
      ws.close(code);
    } catch {
      ws.close();
    }
  };
  ws.onopen = () => {
    if (ws.protocol !== '' && ws.protocol !== 'mqtt') return refuse(wsError(`The server chose subprotocol "${ws.protocol}", not "mqtt"`), 4002);
    events.open();
  };
  ws.onmessage = (event: MessageEvent) => {
    if (failure !== undefined) return;
    if (typeof event.data === 'string') return refuse(wsError('The server sent a text frame [MQTT-6.0.0-1]'), 4003);
    events.data(new Uint8Array(event.data as ArrayBuffer));
  };
  ws.onerror = () => {
    failure ??= new MqttError('SOCKET_ERROR', `WebSocket connection to ${endpoint.displayUrl} failed`);
  };
  ws.onclose = (event: CloseEvent) => {
    clearTimeout(drainTimer); // undefined: a no-op
    // Asked for, the close is clean only if every byte went out, or QoS 0 publishes lost with the
    // ones left buffered (or not taken while closing) would be reported delivered.
    const abnormal = !closeRequested || dropped || ws.bufferedAmount > 0;
    events.close(failure ?? (abnormal ? new MqttError('SOCKET_ERROR', `WebSocket closed ${closeRequested ? 'with bytes unsent' : 'by the server'} (code ${event.code})`) : undefined));
  };

  const pollDrain = (): void => {
    drainTimer = undefined;
    if (ws.bufferedAmount < HIGH_WATER) events.drain();
    else drainTimer = setTimeout(pollDrain, DRAIN_POLL_MS);
  };

  return {
    write: (bytes) => {
      if (ws.readyState !== 1) return !(dropped = true);
      ws.send(bytes);
      if (ws.bufferedAmount < HIGH_WATER) return true;
      drainTimer ??= setTimeout(pollDrain, DRAIN_POLL_MS);
      return false;
    },
    end: () => {
      closeRequested = true;
      ws.close(1000);
    },
    destroy: () => {
      closeRequested = true;
      ws.close();
    },
    unsentBytes: () => ws.bufferedAmount,
  };
}
