/**
 * TLS options with a -L URL of a plain scheme: --cafile (or --cert/--key) turns TLS on, so
 * `-L mqtt://alice:secret@host/t --cafile ca.pem` must speak TLS. It used to keep the URL's
 * plain scheme: the CONNECT, password and all, went out in cleartext (to port 8883). (Found in
 * review.) In-process, against a loopback server that records the first bytes and hangs up.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { certPaths } from '../support/certs.js';

let server: net.Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve()))));

/** A server that keeps the first bytes each client sends, then closes the connection. */
async function recordingServer(): Promise<{ port: number; first: Promise<Buffer> }> {
  let got!: (bytes: Buffer) => void;
  const first = new Promise<Buffer>((resolve) => (got = resolve));
  server = net.createServer((socket) => {
    socket.once('data', (chunk: Buffer) => {
      got(chunk);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, first };
}

const io = () => {
  const stderr = new PassThrough();
  stderr.resume();
  return { stdin: new PassThrough(), stdout: new PassThrough(), stderr, env: {} };
};

it('-L mqtt://… or ws://… with --cafile speaks TLS: a ClientHello first, never the password in cleartext', async () => {
  for (const scheme of ['mqtt', 'ws']) {
    const { port, first } = await recordingServer();
    const status = main(['pub', '-L', `${scheme}://alice:secret-pw@127.0.0.1:${port}/t`, '--cafile', certPaths.caCert, '-m', 'x'], io());
    const bytes = await first;
    expect(bytes[0], `${scheme}: first byte`).toBe(0x16); // a TLS handshake record
    expect(bytes.includes('secret-pw'), scheme).toBe(false);
    expect(await status, scheme).toBe(1);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
  }
});
