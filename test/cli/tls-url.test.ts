/**
 * TLS options with a -L URL of a plain scheme: --cafile (or --cert/--key) turns TLS on, so
 * `-L mqtt://alice:secret@host/t --cafile ca.pem` must speak TLS. It used to keep the URL's
 * plain scheme: the CONNECT, password and all, went out in cleartext (to port 8883). (Found in
 * review.) In-process, against a loopback server that records the first bytes and hangs up.
 * And a WebSocket URL's default port is WebSocket's, not MQTT's.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { CONNECTION_FLAGS, connectionSettings } from '../../src/cli/connect-options.js';
import { parseFlags } from '../../src/cli/flags.js';
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

it("-L ws:// and wss:// without a port use WebSocket's ports (80, 443), not MQTT's 1883 and 8883", () => {
  const urlOf = (argv: string[]): string | undefined => connectionSettings(parseFlags(CONNECTION_FLAGS, argv), 1).options.url;
  expect(urlOf(['-L', 'ws://broker.example/t'])).toBe('ws://broker.example:80');
  expect(urlOf(['-L', 'wss://broker.example/t'])).toBe('wss://broker.example:443');
  expect(urlOf(['-L', 'ws://broker.example/t', '--cafile', certPaths.caCert])).toBe('wss://broker.example:443');
  expect(urlOf(['-L', 'wss://broker.example:8884/t'])).toBe('wss://broker.example:8884');
  // MQTT's own stay as they were.
  expect(urlOf(['-L', 'mqtt://broker.example/t'])).toBe('mqtt://broker.example:1883');
  expect(urlOf(['-L', 'mqtts://broker.example/t'])).toBe('mqtts://broker.example:8883');
  expect(urlOf(['-h', 'broker.example', '--cafile', certPaths.caCert])).toBe('mqtts://broker.example:8883');
});
