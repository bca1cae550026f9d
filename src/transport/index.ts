/** impmqtt/transport: byte streams for the session — TCP, TLS, WebSocket. */
export type { Endpoint, Transport, TransportEvents, TransportFactory, TransportKind, TransportOptions, TlsOptions, WebSocketOptions } from './types.js';
export { parseBrokerUrl, redactUrl } from './url.js';
export { openTransport } from './platform.js';
