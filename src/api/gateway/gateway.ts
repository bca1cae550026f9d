/**
 * createGateway: ApsaraMQ for MQTT's SendMessage HTTP API in front of any broker, publishing
 * through one held connection of the engine. Requests are routed, read, authenticated and
 * handed to the action; every answer is JSON, every refusal in the service's error shape.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { MqttClient } from '../../client/index.js';
import { ApiFailure, failureBody } from './api-failure.js';
import { authenticate } from './authenticate.js';
import type { AuthenticationContext } from './authenticate.js';
import { printable } from './form.js';
import { MessageIds, newRequestId } from './ids.js';
import { GatewayMetrics } from './metrics.js';
import { NonceCache } from './nonce-cache.js';
import { resolveGatewayOptions } from './options.js';
import type { GatewayOptions, ResolvedGatewayOptions } from './options.js';
import { InstanceRateLimits } from './rate-limits.js';
import { readApiRequest } from './request.js';
import type { ApiRequest } from './request.js';
import { sendMessage } from './send-message.js';
import type { SendMessageContext } from './send-message.js';

export const API_VERSION = '2020-04-20';

export interface Gateway {
  /** The MQTT connection the gateway publishes through. */
  readonly client: MqttClient;
  /** Connects to the broker and starts serving HTTP (port 0: a free one). */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /**
   * Stops accepting, lets publishes in flight finish for up to `graceMs` (default 10,000),
   * disconnects from the broker cleanly and closes every HTTP connection.
   */
  close(graceMs?: number): Promise<void>;
}

export function createGateway(options: GatewayOptions): Gateway {
  return new SendMessageGateway(resolveGatewayOptions(options));
}

class SendMessageGateway implements Gateway {
  readonly client: MqttClient;
  readonly #options: ResolvedGatewayOptions;
  readonly #server: Server;
  readonly #metrics = new GatewayMetrics();
  #refusedUnlogged = 0;
  #refusalLoggedAt = -Infinity;
  readonly #messageIds = new MessageIds();
  readonly #authentication: AuthenticationContext;
  readonly #action: SendMessageContext;
  #closing: Promise<void> | undefined;
  /** Resolves the wait of close() once the last publish in flight settles. */
  #drained: (() => void) | undefined;

  constructor(options: ResolvedGatewayOptions) {
    this.#options = options;
    this.client = new MqttClient(options.mqtt);
    this.#authentication = {
      keys: options.keys,
      nonces: new NonceCache(options.maxNonces),
      timestampWindow: options.timestampWindow,
      allowAnonymous: options.allowAnonymous,
    };
    this.#action = {
      client: this.client,
      qos: options.qos,
      payloadEncoding: options.payloadEncoding,
      maxPayloadBytes: options.maxPayloadBytes,
      maxTopicLevels: options.maxTopicLevels,
      publishTimeout: options.publishTimeout,
      maxInflight: options.maxInflight,
      rateLimits: new InstanceRateLimits(options.rateLimit),
      inflight: { count: 0 },
      held: { count: 0 },
      published: (seconds) => {
        if (seconds !== undefined) this.#metrics.observePublish(seconds);
        if (this.#action.inflight.count === 0) this.#drained?.();
      },
    };
    const { http } = options;
    const limits = {
      maxHeaderSize: http.maxHeaderSize,
      headersTimeout: http.headersTimeout,
      requestTimeout: http.requestTimeout,
      keepAliveTimeout: http.keepAliveTimeout,
      // Node checks the two timeouts only this often (30 s by default): a slow client would outlive them.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(http.headersTimeout / 4))),
    };
    this.#server = createServer(limits, (request, response) => void this.#serve(request, response));
    this.#server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => this.#refuseMalformed(error, socket));
    this.#server.maxConnections = http.maxConnections;
    this.#server.on('drop', () => this.#refusedConnection());
    let lastFailure = '';
    this.client.on('connect', () => {
      lastFailure = '';
      this.#log(`gateway: connected to ${this.client.url}`);
    });
    // Each attempt of an outage fails the same way: say it once, not at every retry.
    this.client.on('connectfailed', ({ error }) => {
      if (error.message !== lastFailure) this.#log(`gateway: cannot connect to ${this.client.url}: ${error.message} (retrying)`);
      lastFailure = error.message;
    });
    this.client.on('close', ({ error }) => this.#log(`gateway: MQTT connection closed${error ? `: ${error.message}` : ''}`));
  }

  /** The configured log, which must not break a request or an event handler by throwing. */
  #log(line: string): void {
    try {
      this.#options.log(line);
    } catch {
      // a broken logger loses its line, nothing else
    }
  }

  /** Past http.maxConnections: counted, and logged at most once a minute, so a flood cannot flood the log. */
  #refusedConnection(): void {
    this.#metrics.refusedConnections++;
    this.#refusedUnlogged++;
    const now = performance.now();
    if (now - this.#refusalLoggedAt < 60_000) return;
    this.#log(`gateway: refused ${this.#refusedUnlogged} connection(s): http.maxConnections (${this.#options.http.maxConnections}) are open`);
    this.#refusalLoggedAt = now;
    this.#refusedUnlogged = 0;
  }

  listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
    if (this.#options.allowAnonymous) {
      this.#log('gateway: WARNING: anonymous access is on: unsigned requests can publish to any instance and topic');
    }
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        if (this.client.state === 'disconnected') this.client.connect();
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  close(graceMs = 10_000): Promise<void> {
    this.#closing ??= this.#shutDown(graceMs);
    return this.#closing;
  }

  async #shutDown(graceMs: number): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    if (this.#action.inflight.count > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.#drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await new Promise<void>((resolve) => this.client.disconnect(resolve, Math.max(0, deadline - Date.now())));
    this.#server.closeAllConnections();
    await stopped;
  }

  async #serve(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    let action: string | undefined;
    try {
      const path = (incoming.url ?? '/').split('?', 1)[0];
      if (path === '/healthz' || path === '/metrics') return this.#operations(path, incoming, response);
      if (this.#closing !== undefined) throw ApiFailure.of('ServiceUnavailable', 'The gateway is shutting down. Please try again.');
      if (incoming.method !== 'GET' && incoming.method !== 'POST') {
        throw ApiFailure.of('UnsupportedHTTPMethod', `HTTP method ${printable(incoming.method ?? '', 16)} is not supported: use GET or POST.`);
      }
      const request = await readApiRequest(incoming, this.#options.maxBodyBytes);
      action = this.#actionOf(request);
      const caller = authenticate(request, this.#authentication, this.#options.wallClock());
      await sendMessage(request.parameters, caller, this.#action);
      this.#metrics.countRequest(action, 200, 'OK');
      this.#answer(response, 200, requestId, `{"MsgId":"${this.#messageIds.next()}","RequestId":"${requestId}"}`);
    } catch (error) {
      const failure = error instanceof ApiFailure ? error : ApiFailure.of('InternalError', 'An error occurred while processing your request. Try again later.');
      if (!(error instanceof ApiFailure)) this.#log(`gateway: request ${requestId} failed unexpectedly: ${String(error)}`);
      // A request cut short (its client gone, or its HTTP refused as malformed — and counted —
      // by #refuseMalformed) can be neither answered nor counted as answered.
      if (incoming.socket.destroyed || incoming.socket.writableEnded) return;
      this.#metrics.countRequest(action, failure.status, failure.code);
      // A body left unread (too large, or refused before it was read) must not be parsed as the next request.
      if (!incoming.complete || this.#closing !== undefined) response.shouldKeepAlive = false;
      const hostId = this.#options.hostId ?? printable(incoming.headers.host ?? 'impmqtt-gateway');
      this.#answer(response, failure.status, requestId, failureBody(failure, requestId, hostId));
    }
  }

  /** The action and version, from the parameters or the x-acs-* headers; only SendMessage is served. */
  #actionOf(request: ApiRequest): string {
    if (request.path !== '/') throw ApiFailure.of('ApiNotSupport', `The path ${printable(request.path)} is not served: call / (RPC style).`);
    const header = (name: string): string | undefined => request.headers[name]?.[0];
    const action = request.parameters.get('Action') ?? header('x-acs-action');
    if (action === undefined || action === '') throw ApiFailure.missing('Action');
    const version = request.parameters.get('Version') ?? header('x-acs-version');
    if (version === undefined || version === '') throw ApiFailure.missing('Version');
    if (version !== API_VERSION) throw ApiFailure.of('InvalidVersion', `Specified parameter Version "${printable(version)}" is not valid: use ${API_VERSION}.`);
    if (action !== 'SendMessage') throw ApiFailure.of('ApiNotSupport', `The specified API ${printable(action)} is not supported.`);
    const format = request.parameters.get('Format');
    if (format !== undefined && format.toUpperCase() !== 'JSON') throw ApiFailure.of('InvalidParameter', `Format "${printable(format)}" is not supported: use JSON.`);
    return action;
  }

  #operations(path: string, incoming: IncomingMessage, response: ServerResponse): void {
    // HEAD as GET (RFC 9110 §9.1; HEAD-based uptime monitors): Node sends the headers only.
    if (incoming.method !== 'GET' && incoming.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
    } else if (path === '/healthz') {
      const up = this.client.connected && this.#closing === undefined;
      const body = JSON.stringify({ status: up ? 'ok' : 'unavailable', mqtt: this.client.state });
      response.writeHead(up ? 200 : 503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    } else {
      // What the client holds, including messages whose calls timed out.
      const body = this.#metrics.render(this.client.connected, this.#action.held.count);
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(body) }).end(body);
    }
  }

  #answer(response: ServerResponse, status: number, requestId: string, body: string): void {
    if (response.headersSent || response.destroyed) return;
    response.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-acs-request-id': requestId }).end(body);
  }

  /** Malformed HTTP (a garbage request line, oversized or slow headers): a JSON 4xx, then the connection closes. */
  #refuseMalformed(error: NodeJS.ErrnoException, socket: Socket): void {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, text] =
      error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
    const requestId = newRequestId();
    const failure = ApiFailure.of('BadRequest', `The request is not valid HTTP/1.1 (${text}).`);
    this.#metrics.countRequest(undefined, status, failure.code);
    const body = failureBody(failure, requestId, this.#options.hostId ?? 'impmqtt-gateway');
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json;charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `x-acs-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  }
}
