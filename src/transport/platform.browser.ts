/**
 * The transports of a browser: WebSocket only, through the platform's own class. The browser
 * build puts this module in place of platform.ts (see scripts/build.mjs).
 */
import { usageError } from '../errors.js';
import type { Endpoint, Transport, TransportEvents, TransportOptions } from './types.js';
import { hasGlobalWebSocket, openGlobalWebSocket } from './ws-global.js';

/** Opens the transport an endpoint's scheme calls for: ws:// or wss:// here. */
export function openTransport(endpoint: Endpoint, _options: TransportOptions, events: TransportEvents): Transport {
  if (endpoint.kind !== 'ws' && endpoint.kind !== 'wss') {
    throw usageError('UNSUPPORTED_TRANSPORT', `A browser cannot open ${endpoint.kind} connections: use ws:// or wss://`);
  }
  if (!hasGlobalWebSocket()) throw usageError('UNSUPPORTED_TRANSPORT', 'This platform has no global WebSocket');
  return openGlobalWebSocket(endpoint, events);
}
