/**
 * The transports of Node: TCP, TLS, and WebSocket (the platform's, or impmqtt's own RFC 6455
 * client on Node sockets). The browser build replaces this module with platform.browser.ts, so
 * a browser bundle never references a Node built-in.
 */
import { usageError } from '../errors.js';
import { openNodeSocket } from './node-socket.js';
import type { Endpoint, Transport, TransportEvents, TransportOptions } from './types.js';
import { hasGlobalWebSocket, openGlobalWebSocket } from './ws-global.js';
import { openNodeWebSocket } from './ws-node.js';

/** Opens the transport an endpoint's scheme calls for. */
export function openTransport(endpoint: Endpoint, options: TransportOptions, events: TransportEvents): Transport {
  switch (endpoint.kind) {
    case 'tcp':
      return openNodeSocket(endpoint, false, undefined, events);
    case 'tls':
      return openNodeSocket(endpoint, true, options.tls, events);
    case 'ws':
    case 'wss':
      return openWebSocket(endpoint, options, events);
  }
}

function openWebSocket(endpoint: Endpoint, options: TransportOptions, events: TransportEvents): Transport {
  // Only when asked for: the platform's WebSocket (undici's on Node 22+) cannot pause reading, so
  // behind a slow consumer the faces' bounded buffers would grow without bound.
  if (options.ws?.implementation === 'global') {
    if (!hasGlobalWebSocket()) throw usageError('UNSUPPORTED_TRANSPORT', 'This platform has no global WebSocket');
    return openGlobalWebSocket(endpoint, events);
  }
  return openNodeWebSocket(endpoint, options, events);
}
