/**
 * A loopback TCP proxy that shapes how a broker's first bytes (CONNACK, and whatever the broker
 * sends straight after it, such as the messages of a resumed session) reach the client:
 *
 * - 'coalesce': CONNACK and the bytes after it are held until more than the 4-byte CONNACK has
 *   come (or `holdMs` passed), then written in one go, so the client reads them in one chunk, as
 *   happens on real networks when the broker writes them back to back.
 * - 'split': CONNACK is written alone; what follows is held back for `holdMs`, so the client has
 *   finished handling CONNACK (its promise continuations included) before anything else arrives.
 *
 * After that first exchange both directions are piped unchanged. A way to make a race between
 * "connected" and "first message" deterministic in either direction; not a timing assertion.
 */
import net from 'node:net';
import type { Socket } from 'node:net';
import { LOOPBACK, listenOnLoopback } from '../../support/ports.js';

export interface ShapingProxy {
  readonly url: string;
  stop(): Promise<void>;
}

const CONNACK_LENGTH = 4;

export async function startShapingProxy(target: string, mode: 'coalesce' | 'split', holdMs = 200): Promise<ShapingProxy> {
  const targetPort = Number(new URL(target).port);
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  };
  const server = net.createServer((client) => {
    track(client);
    const upstream = net.connect({ port: targetPort, host: LOOPBACK });
    track(upstream);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.pipe(upstream);

    let held: Buffer[] = [];
    let heldBytes = 0;
    let shaping = true;
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      clearTimeout(timer);
      shaping = false;
      if (heldBytes > 0 && !client.destroyed) client.write(Buffer.concat(held));
      held = [];
      heldBytes = 0;
    };
    upstream.on('data', (chunk: Buffer) => {
      if (!shaping) {
        client.write(chunk);
        return;
      }
      if (mode === 'split' && heldBytes === 0 && timer === undefined) {
        // First bytes: CONNACK goes out alone, the rest waits.
        client.write(chunk.subarray(0, CONNACK_LENGTH));
        chunk = chunk.subarray(CONNACK_LENGTH);
        timer = setTimeout(flush, holdMs);
        if (chunk.length === 0) return;
      }
      held.push(chunk);
      heldBytes += chunk.length;
      if (mode === 'coalesce') {
        if (heldBytes > CONNACK_LENGTH) flush();
        else timer ??= setTimeout(flush, holdMs);
      }
    });
  });
  server.on('error', () => {});
  const port = await listenOnLoopback(server);
  let stopping: Promise<void> | undefined;
  return {
    url: `mqtt://${LOOPBACK}:${port}`,
    stop: () => {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopping;
    },
  };
}
