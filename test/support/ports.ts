/**
 * Loopback ports for test servers. Everything here binds or connects to 127.0.0.1 only.
 */
import net from 'node:net';

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
