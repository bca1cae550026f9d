/**
 * In-process aedes brokers on free 127.0.0.1 ports: plain TCP, TLS (node:tls with the test
 * certificates), and WebSocket (a `ws` WebSocketServer at /mqtt). stop() closes every client
 * connection, the server and the broker.
 *
 *   const broker = await startAedes({ users: { alice: 'secret' } });
 *   try { ... broker.url ... } finally { await broker.stop(); }
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingHttpHeaders, Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import net from 'node:net';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { Aedes } from 'aedes';
import type { AedesOptions, AuthenticateError } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { WebSocket } from 'ws';
import { certs, serverIdentities } from './certs.js';
import type { ServerIdentityName } from './certs.js';
import { LOOPBACK } from './ports.js';

export type { Aedes } from 'aedes';

export interface AedesTlsOptions {
  /** Which checked-in server certificate to present (default 'good'). */
  identity?: ServerIdentityName;
  /** Mutual TLS: ask for a client certificate and reject clients without one signed by the test CA. */
  requireClientCert?: boolean;
}

export interface StartAedesOptions {
  /** Serve TLS instead of plain TCP (`true` = the good server certificate). */
  tls?: boolean | AedesTlsOptions;
  /**
   * username → password. Anything else (no username, unknown user, wrong password) gets
   * CONNACK return code 4 (bad user name or password). Ignored when brokerOptions.authenticate is set.
   */
  users?: Readonly<Record<string, string>>;
  /** Passed to Aedes.createBroker (authenticate, authorizeSubscribe, ...). */
  brokerOptions?: AedesOptions;
}

export interface AedesBroker {
  readonly port: number;
  /** mqtt://127.0.0.1:port, or mqtts:// with TLS. */
  readonly url: string;
  readonly broker: Aedes;
  /** Closes every client connection, the server and the broker. Idempotent. */
  stop(): Promise<void>;
}

export interface WebSocketUpgrade {
  url: string | undefined;
  /** The negotiated subprotocol ('' when the client offered none). */
  protocol: string;
  headers: IncomingHttpHeaders;
}

export interface StartAedesWebSocketOptions {
  /** URL path the WebSocket server accepts (default '/mqtt'). */
  path?: string;
  /** Serve wss:// (HTTPS) instead of ws:// (`true` = the good server certificate). */
  tls?: boolean | AedesTlsOptions;
  users?: Readonly<Record<string, string>>;
  brokerOptions?: AedesOptions;
}

export interface AedesWebSocketBroker extends AedesBroker {
  /** ws://127.0.0.1:port/mqtt (or wss://). */
  readonly url: string;
  readonly path: string;
  /** Every accepted WebSocket upgrade, in order: path, negotiated subprotocol, request headers. */
  readonly upgrades: WebSocketUpgrade[];
}

function authenticateUsers(users: Readonly<Record<string, string>>): NonNullable<AedesOptions['authenticate']> {
  return (_client, username, password, done) => {
    const expected = username === undefined ? undefined : users[username];
    if (expected !== undefined && password !== undefined && password.toString('utf8') === expected) {
      done(null, true);
      return;
    }
    const error = Object.assign(new Error('Bad user name or password'), { returnCode: 4 }) as AuthenticateError;
    done(error, null);
  };
}

async function createBroker(options: { users?: Readonly<Record<string, string>>; brokerOptions?: AedesOptions }): Promise<Aedes> {
  const brokerOptions: AedesOptions = { ...options.brokerOptions };
  if (options.users !== undefined && brokerOptions.authenticate === undefined) {
    brokerOptions.authenticate = authenticateUsers(options.users);
  }
  return Aedes.createBroker(brokerOptions);
}

function tlsServerOptions(option: boolean | AedesTlsOptions | undefined): tls.TlsOptions | undefined {
  if (option === undefined || option === false) return undefined;
  const settings: AedesTlsOptions = option === true ? {} : option;
  const identity = serverIdentities[settings.identity ?? 'good'];
  const requireClientCert = settings.requireClientCert ?? false;
  return {
    key: identity.key,
    cert: identity.cert,
    ca: certs.caCert,
    requestCert: requireClientCert,
    rejectUnauthorized: requireClientCert,
  };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: LOOPBACK }, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error(`Unexpected address ${String(address)}`));
      else resolve(address.port);
    });
  });
}

function closeServer(server: net.Server | HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
  });
}

function closeBroker(broker: Aedes): Promise<void> {
  return new Promise((resolve) => {
    broker.close(() => resolve());
  });
}

/** Tracks raw sockets so stop() can destroy them, whatever state their MQTT session is in. */
function trackSockets(server: net.Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** aedes on TCP (or TLS) at 127.0.0.1:<free port>. */
export async function startAedes(options: StartAedesOptions = {}): Promise<AedesBroker> {
  const broker = await createBroker(options);
  const tlsOptions = tlsServerOptions(options.tls);
  const handle = (stream: Duplex): void => {
    broker.handle(stream);
  };
  const server: net.Server = tlsOptions === undefined ? net.createServer(handle) : tls.createServer(tlsOptions, handle);
  // A failed TLS handshake is the client's problem, not the test process's.
  server.on('tlsClientError', () => {});
  const sockets = trackSockets(server);
  let port: number;
  try {
    port = await listen(server);
  } catch (error) {
    await closeBroker(broker);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const serverClosed = closeServer(server);
      await closeBroker(broker);
      for (const socket of sockets) socket.destroy();
      await serverClosed;
    })();
    return stopping;
  };

  return { port, url: `${tlsOptions === undefined ? 'mqtt' : 'mqtts'}://${LOOPBACK}:${port}`, broker, stop };
}

/** aedes behind a `ws` WebSocketServer at ws://127.0.0.1:<free port>/mqtt, subprotocol 'mqtt'. */
export async function startAedesWebSocket(options: StartAedesWebSocketOptions = {}): Promise<AedesWebSocketBroker> {
  const path = options.path ?? '/mqtt';
  const broker = await createBroker(options);
  const tlsOptions = tlsServerOptions(options.tls);
  const httpServer: HttpServer = tlsOptions === undefined ? createHttpServer() : createHttpsServer(tlsOptions);
  httpServer.on('tlsClientError', () => {});
  const sockets = trackSockets(httpServer);
  const upgrades: WebSocketUpgrade[] = [];
  const wss = new WebSocketServer({
    server: httpServer,
    path,
    // Prefer MQTT 3.1.1's 'mqtt'; also accept 3.1's 'mqttv3.1'. Anything else is refused.
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  wss.on('connection', (websocket: WebSocket, request) => {
    upgrades.push({ url: request.url, protocol: websocket.protocol, headers: request.headers });
    const stream = createWebSocketStream(websocket);
    // The stream errors when the peer vanishes mid-frame; aedes also listens, but never crash on it.
    stream.on('error', () => {});
    broker.handle(stream, request);
  });
  wss.on('error', () => {});

  let port: number;
  try {
    port = await listen(httpServer);
  } catch (error) {
    wss.close();
    await closeBroker(broker);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const serverClosed = closeServer(httpServer);
      await closeBroker(broker);
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      httpServer.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await serverClosed;
    })();
    return stopping;
  };

  const scheme = tlsOptions === undefined ? 'ws' : 'wss';
  return { port, url: `${scheme}://${LOOPBACK}:${port}${path}`, path, broker, upgrades, stop };
}
