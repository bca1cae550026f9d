/**
 * Options the flag parser lets through but the engine refuses (a host no URL can hold, a client
 * id or user name over 65535 bytes, a --url that is not one) are usage errors: one line on
 * stderr, status 1. They were thrown from `new MqttClient` as "internal error" with a stack trace,
 * status 70. Likewise a bench --json file that cannot be written. (Found in review.) In-process:
 * nothing here connects anywhere but a loopback port nothing listens on.
 */
import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { deadPort } from '../support/ports.js';

function fakeIo(): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { stdin: new PassThrough(), stdout, stderr, env: {}, out: () => out, err: () => err };
}

const long = 'a'.repeat(70_000);

it('a host, -L URL, client id or user name the engine refuses: a usage error (status 1, one line), not an internal error', async () => {
  const cases: [string[], string][] = [
    [['pub', '-h', '', '-t', 'a', '-m', 'b'], 'Error: Not a valid broker URL'],
    [['pub', '-h', '[::1]', '-t', 'a', '-m', 'b'], 'Error: Not a valid broker URL'],
    [['sub', '-h', 'a b', '-t', 'a'], 'Error: Not a valid broker URL'],
    [['pub', '-L', 'mqtt://a b/t', '-m', 'x'], 'Error: Not a valid broker URL'],
    [['pub', '-h', '127.0.0.1', '-i', long, '-t', 'a', '-m', 'b'], 'Error: These options make a CONNECT no broker may receive: Client identifier must be 65535 bytes or less, got 70000'],
    [['sub', '-h', '127.0.0.1', '-u', long, '-t', 'a'], 'Error: These options make a CONNECT no broker may receive: User name must be 65535 bytes or less, got 70000'],
    [['pub', '-h', '127.0.0.1', '--will-topic', 'w', '--will-payload', long, '-t', 'a', '-m', 'b'], 'Error: These options make a CONNECT no broker may receive: Will message'],
    [['bench', 'conn', '-h', '', '-c', '1'], 'Error: Not a valid broker URL'],
    [['bench', 'pub', '-h', '127.0.0.1', '-u', long, '-c', '1'], 'Error: These options make a CONNECT no broker may receive: User name'],
    [['demo', '--url', 'nonsense'], 'Error: Not a valid broker URL'],
  ];
  for (const [argv, line] of cases) {
    const io = fakeIo();
    const what = argv.map((a) => a.slice(0, 20)).join(' ');
    expect(await main(argv, io), what).toBe(1);
    expect(io.err(), what).toMatch(/^Error: [^\n]+\n$/);
    expect(io.err().startsWith(line), `${what}: ${io.err().slice(0, 200)}`).toBe(true);
    expect(io.out(), what).toBe('');
  }
});

it('bench --json to a file that cannot be written: a usage error before the run, not a stack trace after it', async () => {
  const port = String(await deadPort()); // nothing listens: the run (if it started) ends at once
  const io = fakeIo();
  const status = await main(['bench', 'conn', '-h', '127.0.0.1', '-p', port, '-c', '1', '--json', '/nonexistent-dir/summary.json'], io);
  expect(status).toBe(1);
  expect(io.err()).toMatch(/^Error: --json: cannot write \/nonexistent-dir\/summary\.json \(ENOENT\)[^\n]*\n$/);
  expect(io.out()).toBe(''); // refused before any client connected
});
