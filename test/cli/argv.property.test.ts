/**
 * Whatever the command line, a mistake in it is a usage error (one line, status 1), never an
 * internal error (a throw the bin reports with status 70), and what is accepted is what was
 * typed: the broker reached is the host and port given, never a part of them. In-process; the
 * only broker address ever used is a loopback port nothing listens on.
 */
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/client/options.js';
import type { CliIo } from '../../src/cli/command.js';
import { CONNECTION_FLAGS, connectionSettings, newClient } from '../../src/cli/connect-options.js';
import { UsageError, parseFlags } from '../../src/cli/flags.js';
import { main } from '../../src/cli/main.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { getFreePort } from '../support/ports.js';

/** Values that have tripped URL building, ports and percent-decoding, and arbitrary text. */
const TRICKY = ['', '0', '-1', '65536', '1883', 'a/b', 'x#y', 'x?y', 'u@h', 'u:p@h', '%41', 'a\\b', 'a\tb', 'a\nb', '[::1]', '::1', 'h:1', ' ', 'mqtt://a/t', 'ws://u:p@h:1/t', 'mqtts://[::1]:8883/x', 'mqtt://a#b:2000/t', 'mqtt://a:99999/t', 'mqtt://@/t', '%zz', '\u0000', '\ud800'];
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...TRICKY));

/** Random argv over `names`: names, values, and --name=value. */
function argvOver(names: readonly string[]): fc.Arbitrary<string[]> {
  const long = names.filter((n) => n.startsWith('--'));
  const arg = fc.oneof(fc.constantFrom(...names), text, fc.tuple(fc.constantFrom(...long), text).map(([n, t]) => `${n}=${t}`));
  return fc.array(arg, { maxLength: 8 });
}

/** Lower-case, without IPv6 brackets: how the engine keeps a host. */
const hostKey = (host: string): string => host.replace(/^\[(.*)\]$/, '$1').toLowerCase();

describe('connection flags (direct)', () => {
  // The TLS file flags read files: left out, they are tested with real files in tls-url.test.ts.
  const names = CONNECTION_FLAGS.flatMap((s) => s.names).filter((n) => !['--cafile', '--cert', '--key'].includes(n));

  it('any argv: a UsageError, or a client for exactly the host and port given (property)', () => {
    fc.assert(
      fc.property(argvOver(names), (argv) => {
        let endpoint;
        try {
          const settings = connectionSettings(parseFlags(CONNECTION_FLAGS, argv), 42);
          newClient(settings.options).destroy();
          endpoint = resolveOptions(settings.options).endpoints_[0]!;
        } catch (error) {
          if (!(error instanceof UsageError)) throw error;
          return;
        }
        const flags = parseFlags(CONNECTION_FLAGS, argv);
        const host = flags.get<string>('host');
        // ASCII names are kept as typed; others become their IDNA form, and a numeric last label
        // the IPv4 address it spells as inet_aton does ('65536' is 0.1.0.0, for ping as here).
        if (host !== undefined && /^[\x21-\x7e]*$/.test(host) && !/(^|\.)(0x[0-9a-f]*|\d+)\.?$/i.test(host)) expect(endpoint.host).toBe(hostKey(host));
        const port = flags.get<number>('port');
        if (port !== undefined) expect(endpoint.port).toBe(port);
      }),
      { numRuns: 5_000 },
    );
  });

  // Shrunk counterexamples: each of these connected somewhere other than the host typed.
  it.each([
    [['-h', 'a/b', '-p', '2000'], 'the port after a "/" was ignored: a:1883'],
    [['-h', 'x#y'], 'a "#" cut the host: x'],
    [['-h', 'x?y'], 'a "?" cut the host: x'],
    [['-h', 'u@h'], '"u" was sent as the user name, to host h'],
    [['-h', '%41'], 'the escape was decoded: a'],
    [['-h', 'a\tb'], 'the tab was dropped: ab'],
    [['-L', 'mqtt://a#b:2000/t'], 'the port after a "#" was ignored: a:1883'],
  ])('%j is a usage error (it was: %s)', (argv) => {
    expect(() => connectionSettings(parseFlags(CONNECTION_FLAGS, argv), 42)).toThrow(UsageError);
  });
});

function fakeIo(): CliIo & { err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end(); // -l and -s read to the end of stdin: there is none
  stdout.resume();
  let err = '';
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { stdin, stdout, stderr, env: {}, err: () => err };
}

describe('pub and sub command lines (through main)', () => {
  let deadPort: string;
  beforeAll(async () => {
    deadPort = String(await getFreePort());
  });

  for (const name of ['pub', 'sub']) {
    const command = COMMANDS.find((c) => c.name === name)!;
    const names = command.flags.flatMap((s) => s.names).filter((n) => !['--cafile', '--cert', '--key', '-h', '--host', '-p', '--port', '-L', '--url'].includes(n));

    it(`${name}: any flags end in an exit status, never a throw (status 70); usage errors are one line with status 1 (property)`, async () => {
      await fc.assert(
        fc.asyncProperty(argvOver(names), async (argv) => {
          const io = fakeIo();
          // Last, so it wins: the only broker is a loopback port nothing listens on.
          const status = await main([name, ...argv, '-h', '127.0.0.1', '-p', deadPort], io);
          expect(typeof status).toBe('number');
          if (io.err().includes("--help' to see usage")) {
            expect(status).toBe(1);
            expect(io.err()).toMatch(/^Error: [^\n]*\n$/);
          }
        }),
        { numRuns: 1_000 },
      );
    });
  }
});
