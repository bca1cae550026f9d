/**
 * A loopback TCP proxy in front of a broker, so a test can cut a client's connection from the
 * outside whatever the broker (mosquitto has no "close this client" command): cut() destroys
 * both sockets of every pair — the broker sees its client vanish without DISCONNECT, the client
 * sees the broker vanish. While `refusing` is set, new connections are dropped as they arrive
 * (an outage), so a reconnecting client keeps failing until it is cleared.
 */
import net from 'node:net';
import type { Socket } from 'node:net';
import { LOOPBACK, listenOnLoopback } from './ports.js';

export interface TcpProxy {
  readonly port: number;
  /** mqtt://127.0.0.1:port */
  readonly url: string;
  /** Connections accepted and piped to the broker so far. */
  readonly accepted: number;
  /** Connections dropped on arrival while `refusing`. */
  readonly refused: number;
  /** Pairs currently open. */
  readonly open: number;
  /** Drop new connections at once (an outage) while true. */
  refusing: boolean;
  /** Destroys every open pair, both sides, abruptly. */
  cut(): void;
  /** Closes the listener and every pair. Idempotent. */
  stop(): Promise<void>;
}

export async function startTcpProxy(target: { port: number } | string): Promise<TcpProxy> {
  const targetPort = typeof target === 'string' ? Number(new URL(target).port) : target.port;
  const pairs = new Set<[Socket, Socket]>();
  let accepted = 0;
  let refused = 0;
  let stopped = false;
  const server = net.createServer((client) => {
    client.on('error', () => {});
    if (stopped || proxy.refusing) {
      if (!stopped) refused++;
      client.destroy();
      return;
    }
    accepted++;
    const upstream = net.connect({ port: targetPort, host: LOOPBACK });
    upstream.on('error', () => {});
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', drop);
    upstream.once('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.on('error', () => {});
  const port = await listenOnLoopback(server);
  const cut = (): void => {
    for (const [client, upstream] of [...pairs]) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  let stopping: Promise<void> | undefined;
  const proxy: TcpProxy = {
    port,
    url: `mqtt://${LOOPBACK}:${port}`,
    get accepted() {
      return accepted;
    },
    get refused() {
      return refused;
    },
    get open() {
      return pairs.size;
    },
    refusing: false,
    cut,
    stop: () => {
      stopping ??= new Promise<void>((resolve) => {
        stopped = true;
        server.close(() => resolve());
        cut();
      });
      return stopping;
    },
  };
  return proxy;
}
