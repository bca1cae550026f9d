/**
 * A scripted fake broker built on our own codec: it does nothing by itself (apart from
 * optionally answering PINGREQ); the test drives every step of the conversation.
 *
 *   const broker = await startFakeBroker();
 *   try {
 *     const client = connect(broker.url);                       // the client under test
 *     const conn = await broker.nextConnection();
 *     await acceptConnect(conn);                                  // CONNECT → CONNACK 0
 *     const sub = await conn.expect('subscribe');
 *     await conn.send({ type: 'suback', packetId: sub.packetId, granted: [1] });
 *     conn.close();                                               // drop the socket abruptly
 *   } finally {
 *     await broker.stop();
 *   }
 *
 * Every byte the client sends is logged (`rawChunks`, and per packet in `receivedFrames`, so
 * a test can check e.g. the DUP bit of a resent PUBLISH at the byte level). This file is the
 * listener (TCP, TLS, WebSocket); each connection is a FakeConnection (fake-connection.ts,
 * re-exported here).
 */
import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import net from 'node:net';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import type { ConnectPacket } from '../../src/packet/index.js';
import { certs, serverIdentities } from './certs.js';
import type { ServerIdentityName } from './certs.js';
import { DEFAULT_TIMEOUT_MS, FakeConnection, acceptConnect } from './fake-connection.js';
import type { AcceptConnectOptions, FakeConnectionOptions, Link } from './fake-connection.js';
import { LOOPBACK } from './ports.js';

export { DEFAULT_TIMEOUT_MS, FakeConnection, acceptConnect, describePacket } from './fake-connection.js';
export type { AcceptConnectOptions, FakeConnectionOptions, PacketOf, WaitOptions } from './fake-connection.js';

export interface FakeBrokerTlsOptions {
  identity?: ServerIdentityName;
  requireClientCert?: boolean;
}

export interface FakeBrokerOptions extends FakeConnectionOptions {
  /** Serve TLS (or wss with `websocket`); `true` = the good server certificate. */
  tls?: boolean | FakeBrokerTlsOptions;
  /** Serve MQTT over WebSocket (binary frames) at `path` (default '/mqtt'), subprotocol 'mqtt'. */
  websocket?: boolean | { path?: string };
}

export interface FakeBroker {
  readonly port: number;
  /** mqtt://, mqtts://, ws:// or wss:// 127.0.0.1:port[/mqtt] */
  readonly url: string;
  /** Every connection accepted so far, in order. */
  readonly connections: readonly FakeConnection[];
  /** The next connection not yet handed out (already accepted, or the next to come). */
  nextConnection(timeoutMs?: number): Promise<FakeConnection>;
  /** nextConnection() + acceptConnect(). */
  acceptNext(options?: AcceptConnectOptions): Promise<{ conn: FakeConnection; connect: ConnectPacket }>;
  /** Closes the listener and destroys every connection. Idempotent. */
  stop(): Promise<void>;
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

function socketLink(socket: Socket, kind: 'tcp' | 'tls'): Link {
  return {
    kind,
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        socket.write(bytes, (error) => (error ? reject(error) : resolve()));
      }),
    end: () => socket.end(),
    destroy: () => socket.destroy(),
  };
}

function webSocketLink(websocket: WebSocket): Link {
  return {
    kind: 'ws',
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        websocket.send(bytes, { binary: true }, (error) => (error ? reject(error) : resolve()));
      }),
    end: () => websocket.close(1000),
    destroy: () => websocket.terminate(),
  };
}

function rawDataBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

export async function startFakeBroker(options: FakeBrokerOptions = {}): Promise<FakeBroker> {
  const tlsSettings = options.tls === undefined || options.tls === false ? undefined : options.tls === true ? {} : options.tls;
  const tlsOptions: tls.TlsOptions | undefined =
    tlsSettings === undefined
      ? undefined
      : {
          ...serverIdentities[tlsSettings.identity ?? 'good'],
          ca: certs.caCert,
          requestCert: tlsSettings.requireClientCert ?? false,
          rejectUnauthorized: tlsSettings.requireClientCert ?? false,
        };
  const wsPath = options.websocket === undefined || options.websocket === false ? undefined : options.websocket === true ? '/mqtt' : options.websocket.path ?? '/mqtt';

  const connections: FakeConnection[] = [];
  const unclaimed: FakeConnection[] = [];
  const claimers: Array<{ resolve: (conn: FakeConnection) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }> = [];
  const sockets = new Set<Socket>();
  let stopped = false;

  const adopt = (link: Link): FakeConnection => {
    const conn = new FakeConnection(connections.length, link, options);
    connections.push(conn);
    const claimer = claimers.shift();
    if (claimer === undefined) unclaimed.push(conn);
    else {
      clearTimeout(claimer.timer);
      claimer.resolve(conn);
    }
    return conn;
  };

  const track = (socket: Socket): void => {
    if (stopped) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  let server: net.Server | HttpServer;
  let wss: WebSocketServer | undefined;

  if (wsPath === undefined) {
    const onSocket = (socket: Socket): void => {
      if (stopped) {
        socket.destroy();
        return;
      }
      const conn = adopt(socketLink(socket, tlsOptions === undefined ? 'tcp' : 'tls'));
      socket.on('data', (chunk: Buffer) => conn.onData(chunk));
      socket.on('error', () => {});
      socket.once('close', () => conn.onClose());
    };
    server = tlsOptions === undefined ? net.createServer(onSocket) : tls.createServer(tlsOptions, onSocket);
    server.on('connection', track);
  } else {
    const httpServer = tlsOptions === undefined ? createHttpServer() : createHttpsServer(tlsOptions);
    httpServer.on('connection', track);
    server = httpServer;
    wss = new WebSocketServer({
      server: httpServer,
      path: wsPath,
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
    });
    wss.on('error', () => {});
    wss.on('connection', (websocket: WebSocket) => {
      if (stopped) {
        websocket.terminate();
        return;
      }
      const conn = adopt(webSocketLink(websocket));
      websocket.on('message', (data: RawData, isBinary: boolean) => {
        if (!isBinary) {
          conn.fail(new Error(`Connection #${conn.index}: the client sent a WebSocket text frame; MQTT needs binary frames`));
          return;
        }
        conn.onData(rawDataBytes(data));
      });
      websocket.on('error', () => {});
      websocket.once('close', () => conn.onClose());
    });
  }
  server.on('tlsClientError', () => {});
  server.on('error', () => {});

  const port = await listen(server);
  const scheme = wsPath === undefined ? (tlsOptions === undefined ? 'mqtt' : 'mqtts') : tlsOptions === undefined ? 'ws' : 'wss';
  const url = `${scheme}://${LOOPBACK}:${port}${wsPath ?? ''}`;

  const nextConnection = (timeoutMs: number = DEFAULT_TIMEOUT_MS): Promise<FakeConnection> => {
    const ready = unclaimed.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (stopped) return Promise.reject(new Error('The fake broker is stopped'));
    return new Promise<FakeConnection>((resolve, reject) => {
      const claimer = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const at = claimers.indexOf(claimer);
          if (at >= 0) claimers.splice(at, 1);
          reject(new Error(`No client connected to the fake broker within ${timeoutMs} ms (${connections.length} connection(s) so far)`));
        }, timeoutMs),
      };
      claimers.push(claimer);
    });
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopped = true;
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const claimer of claimers.splice(0)) {
        clearTimeout(claimer.timer);
        claimer.reject(new Error('The fake broker stopped'));
      }
      for (const conn of connections) conn.close();
      if (wss !== undefined) {
        for (const client of wss.clients) client.terminate();
        const closing = wss;
        await new Promise<void>((resolve) => closing.close(() => resolve()));
      }
      if ('closeAllConnections' in server) server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await serverClosed;
      // Every connection reports closed before stop() resolves.
      await Promise.all(connections.map((conn) => conn.closed));
    })();
    return stopping;
  };

  return {
    port,
    url,
    connections,
    nextConnection,
    acceptNext: async (acceptOptions = {}) => {
      const conn = await nextConnection(acceptOptions.timeoutMs);
      const connect = await acceptConnect(conn, acceptOptions);
      return { conn, connect };
    },
    stop,
  };
}
