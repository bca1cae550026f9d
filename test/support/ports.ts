/**
 * Loopback ports for test servers. Everything here binds or connects to 127.0.0.1 only.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { onTestFinished } from 'vitest';

export const LOOPBACK = '127.0.0.1';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: listens on port 0, reads the port the
 * kernel chose, closes. Another process may take it before the caller binds it; launchers that
 * cannot bind in-process (mosquitto) retry with a fresh port when that happens.
 */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: LOOPBACK, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`Unexpected server address ${String(address)}`));
        return;
      }
      const { port } = address;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}

/** The kernel's ephemeral port range: what listen(0) and outgoing connections draw from. */
export function ephemeralPortRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && low > 0 && high >= low) return { low, high };
  } catch {
    // not Linux: its default below
  }
  return { low: 32_768, high: 60_999 };
}

/** Whether 127.0.0.1:port can be listened on right now (listens, then closes at once). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: LOOPBACK, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback port for a server that binds it itself a moment later and again on each restart
 * (mosquitto). Drawn at random from outside the kernel's ephemeral range (above 20000), where no
 * listen(0) and no outgoing connection is ever given a port: between this probe and the server's
 * bind, or while the server restarts, only another explicit bind could take it, i.e. another
 * launcher drawing the same port among thousands. A port from getFreePort() is instead the kind
 * the next listen(0) of any concurrent test may be handed. Probed free by listening on it; falls
 * back to getFreePort() where the ephemeral range leaves no room.
 */
export async function getServerPort(): Promise<number> {
  const { low, high } = ephemeralPortRange();
  const ranges = [
    [20_000, low - 1],
    [high + 1, 65_535],
  ].filter(([from, to]) => to! - from! >= 1_000) as [number, number][];
  const size = ranges.reduce((sum, [from, to]) => sum + to - from + 1, 0);
  for (let attempt = 0; attempt < 50 && size > 0; attempt++) {
    let pick = Math.floor(Math.random() * size);
    for (const [from, to] of ranges) {
      if (pick <= to - from) {
        const port = from + pick;
        if (await canListen(port)) return port;
        break;
      }
      pick -= to - from + 1;
    }
  }
  return getFreePort();
}

/** A loopback port that refuses connections, and that no concurrent test can take (see `reserveDeadPort`). */
export interface DeadPort {
  readonly port: number;
  /** Gives the port back (idempotent). */
  close(): Promise<void>;
}

/** Whether a connection to 127.0.0.1:port is refused (ECONNREFUSED), as to a port nothing listens on. */
export function refuses(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: LOOPBACK });
    const finish = (refused: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(refused);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('connect', () => finish(false));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNREFUSED'));
  });
}

/**
 * A loopback port that refuses every connection while the handle is open, and that no concurrent
 * test can take meanwhile. Checked to refuse (ECONNREFUSED) before it is handed out, so a test
 * cannot pass against a port that accepts, or hang on one that drops.
 *
 * A port that was free a moment ago (`getFreePort`) is no dead port: listen(0) picks odd ports,
 * so the next listen(0) of a concurrent test (a fake broker, aedes) may well be handed the same
 * one. Here the port is drawn from below the ones `getServerPort` draws (10000–19999) and outside
 * the kernel's ephemeral range, so nothing in the test suite ever listens there: every server
 * listens on port 0 or on a `getServerPort` port. Outgoing connections take their local ports
 * from the ephemeral range only, so a client cannot connect to itself on it either (a TCP
 * self-connect, possible when the dead port is one a connect() could pick as its own).
 *
 * Where the ephemeral range leaves no room below 20000: the local end of an open loopback
 * connection, which the kernel keeps bound (every bind of it fails, SO_REUSEADDR included) and on
 * which nothing listens.
 */
export async function reserveDeadPort(): Promise<DeadPort> {
  const from = 10_000;
  const to = Math.min(20_000, ephemeralPortRange().low) - 1;
  for (let attempt = 0; attempt < 20 && to - from >= 1_000; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (await refuses(port)) return { port, close: async () => undefined };
  }
  return heldDeadPort();
}

/** The local end of an open loopback connection to a throwaway listener, checked to refuse. */
export async function heldDeadPort(): Promise<DeadPort> {
  const accepted: net.Socket[] = [];
  const listener = net.createServer((socket) => accepted.push(socket.on('error', () => undefined)));
  const listenerPort = await listenOnLoopback(listener);
  const holder = net.connect({ port: listenerPort, host: LOOPBACK });
  holder.on('error', () => undefined);
  const close = async (): Promise<void> => {
    holder.destroy();
    for (const socket of accepted) socket.destroy();
    if (listener.listening) await new Promise<void>((resolve) => listener.close(() => resolve()));
  };
  try {
    await new Promise<void>((resolve, reject) => {
      holder.once('connect', resolve);
      holder.once('error', reject);
    });
    const port = holder.localPort;
    if (port === undefined) throw new Error('The holding socket has no local port');
    if (!(await refuses(port))) throw new Error(`Loopback port ${port} did not refuse a connection; it was to be dead`);
    return { port, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Inside a test: a dead loopback port (see `reserveDeadPort`), given back when the test ends. */
export async function deadPort(): Promise<number> {
  const dead = await reserveDeadPort();
  onTestFinished(() => dead.close());
  return dead.port;
}

/** One connection attempt to host:port; resolves true when it is accepted, false otherwise. */
export function canConnect(port: number, host: string = LOOPBACK, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    let settled = false;
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export interface WaitForPortOptions {
  host?: string;
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 25 ms). */
  intervalMs?: number;
  /** Checked before every attempt: a reason to stop waiting early (e.g. the server process exited). */
  abort?: () => string | undefined;
}

/** Polls until host:port accepts a TCP connection; rejects after `timeoutMs` or when `abort` says so. */
export async function waitForPort(port: number, options: WaitForPortOptions = {}): Promise<void> {
  const { host = LOOPBACK, timeoutMs = 10_000, intervalMs = 25, abort } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = abort?.();
    if (reason !== undefined) throw new Error(`Stopped waiting for ${host}:${port}: ${reason}`);
    if (await canConnect(port, host, Math.max(100, Math.min(1_000, deadline - Date.now())))) return;
    if (Date.now() >= deadline) throw new Error(`Nothing accepted connections on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Starts `server` listening on a free loopback port; resolves with the port. */
export function listenOnLoopback(server: import('node:net').Server): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: LOOPBACK }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error(`Unexpected address ${String(address)}`));
      else resolve(address.port);
    });
  });
}
