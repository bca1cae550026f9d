/** The byte stream a session runs on: connect, write bytes, close; events for the rest. */

export interface TransportEvents {
  /** The stream is ready for the first byte (after TCP, TLS and WebSocket handshakes). */
  open(): void;
  data(chunk: Uint8Array): void;
  /** A write that returned false has drained; writing may resume. */
  drain(): void;
  /** Called once, last; `error` when the close was not asked for. */
  close(error?: Error): void;
}

export interface Transport {
  /** Queues bytes; false asks the caller to wait for `drain` before writing more. */
  write(bytes: Uint8Array): boolean;
  /** Sends what is queued, then closes. */
  end(): void;
  /** Closes at once, dropping anything queued. */
  destroy(): void;
  /**
   * Bytes accepted by write() and not yet handed to the network, so a graceful close can tell a
   * slow link (still sending) from a stalled one. Absent: the transport cannot say.
   */
  unsentBytes?(): number;
  /**
   * Stops reading (the peer then meets TCP backpressure) until resume(). Absent where the
   * platform cannot stop a stream (a browser's WebSocket).
   */
  pause?(): void;
  resume?(): void;
}

export interface TlsOptions {
  ca?: string | Uint8Array | (string | Uint8Array)[];
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
  passphrase?: string;
  /**
   * The name the certificate must match, sent as SNI; defaults to the URL's host. An IP
   * address (given or defaulted) is checked against the certificate but never sent as SNI.
   */
  servername?: string;
  ALPNProtocols?: string[];
  /** Verify the broker's certificate. Default true: a bad certificate fails the connection. */
  rejectUnauthorized?: boolean;
}

export interface WebSocketOptions {
  /** Extra HTTP headers for the upgrade request (Node's built-in client only). */
  headers?: Record<string, string>;
  /**
   * Node: 'auto' (default) and 'builtin' are impmqtt's own RFC 6455 client on Node sockets, which
   * can pause reading (inbound backpressure); 'global' is the platform's WebSocket, which cannot.
   * The browser build always uses the platform's.
   */
  implementation?: 'auto' | 'builtin' | 'global';
}

export type TransportKind = 'tcp' | 'tls' | 'ws' | 'wss';

export interface Endpoint {
  kind: TransportKind;
  host: string;
  port: number;
  /** WebSocket path (with query), default '/mqtt'. */
  path: string;
  /** The URL as given, less any user:password part, safe to show. */
  displayUrl: string;
  /** From the URL's userinfo, if any. */
  username?: string;
  password?: string;
}

export interface TransportOptions {
  tls?: TlsOptions;
  ws?: WebSocketOptions;
}

export type TransportFactory = (endpoint: Endpoint, options: TransportOptions, events: TransportEvents) => Transport;
