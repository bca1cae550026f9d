/**
 * The `impmqtt` command as users run it: the built bin as a child process against a mosquitto
 * started here, next to mosquitto_pub and mosquitto_sub. Output is compared byte for byte with
 * mosquitto_sub's; every exit status is checked; -l is fed a large pipe with memory measured.
 */
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { certPaths } from '../support/certs.js';
import { ProcessRunner, lines, stderrShows } from '../support/cli.js';
import type { Finished } from '../support/cli.js';
import { ensureBuilt } from '../support/examples.js';
import { describeWithMosquitto, startMosquitto } from '../support/mosquitto.js';
import type { MosquittoBroker } from '../support/mosquitto.js';
import { deadPort } from '../support/ports.js';

const PASSWORD = 'wonder-land-9';

describeWithMosquitto(
  'impmqtt pub and sub against mosquitto',
  () => {
    const runner = new ProcessRunner();
    let broker: MosquittoBroker;
    let secured: MosquittoBroker;
    let dir: string;
    let at: string[];
    let sessions = 0;

    beforeAll(async () => {
      ensureBuilt();
      dir = mkdtempSync(join(tmpdir(), 'impmqtt-cli-'));
      // No queue limits: the large pipe's subscriber may lag the publisher.
      broker = await startMosquitto({ maxQueuedMessages: 0, maxInflightMessages: 0 });
      secured = await startMosquitto({ users: { alice: PASSWORD }, tls: true });
      at = ['-h', '127.0.0.1', '-p', String(broker.port)];
    }, 150_000);
    afterAll(async () => {
      runner.stopAll();
      await Promise.all([broker?.stop(), secured?.stop()]);
      rmSync(dir, { recursive: true, force: true });
    });

    const impmqtt = (args: string[], stdin?: Uint8Array): Promise<Finished> => runner.impmqtt(args, stdin === undefined ? {} : { stdin }).done;
    const mosquitto = (tool: 'mosquitto_pub' | 'mosquitto_sub', args: string[], stdin?: Uint8Array): Promise<Finished> => runner.start(tool, args, stdin === undefined ? {} : { stdin }).done;
    const ok = (result: Finished): Finished => {
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      return result;
    };
    const sub = (tool: 'impmqtt' | 'mosquitto_sub', args: string[]): Promise<Finished> => (tool === 'impmqtt' ? impmqtt(['sub', ...at, ...args]) : mosquitto('mosquitto_sub', [...at, ...args]));

    /**
     * A persistent QoS 2 session for each subscriber tool on `filter` (made with -E, so nothing
     * races the subscription), then `publish`, then each reads what was queued for it.
     */
    async function bothReceive(filter: string, count: number, publish: () => Promise<void>, output: string[]): Promise<[Finished, Finished]> {
      const ids = [`cli-im-${++sessions}`, `cli-mq-${sessions}`];
      const tools = ['impmqtt', 'mosquitto_sub'] as const;
      (await Promise.all(tools.map((tool, i) => sub(tool, ['-c', '-i', ids[i]!, '-q', '2', '-t', filter, '-E'])))).forEach(ok);
      await publish();
      return Promise.all(tools.map((tool, i) => sub(tool, ['-c', '-i', ids[i]!, '-q', '2', '-t', filter, '-C', String(count), ...output]))) as Promise<[Finished, Finished]>;
    }
    const withoutTime = (bytes: Buffer): string => bytes.toString('latin1').replace(/"tst":"[^"]*"/g, '"tst":"-"');

    const binary = Uint8Array.from([0, 1, 2, 0x7f, 0x80, 0xff, 0x0a, 0x0d, 0x22, 0x5c, 0x41]);
    // The QoS 2 message comes last: libmosquitto hands a QoS 2 message over at PUBREL, impmqtt at
    // PUBLISH, so one sent in between may be printed in another order (both are right).
    const json = '{"b": [1, 2.5e3, -0.0, 1e400, 0.1, 1e15, 123456789012345678, 1.5e-7, 0.30000000000000004, 01, -.5, "x\\u00e9\\n\\ud83d\\ude00"], "b": true, "2": {}, "": [[], {"\\/": null}]}';
    /** The same four messages (empty, binary, JSON, UTF-8), published with impmqtt or mosquitto_pub. */
    async function publishSet(tool: 'impmqtt' | 'mosquitto_pub', prefix: string): Promise<void> {
      const file = join(dir, 'binary');
      writeFileSync(file, binary);
      const sets = [
        ['-t', `${prefix}/empty`, '-n', '-q', '1'],
        ['-t', `${prefix}/binary`, '-f', file, '-q', '1'],
        ['-t', `${prefix}/json`, '-m', json, '-q', '1'],
        ['-t', `${prefix}/grüße`, '-m', 'grüße "quoted" \\', '-q', '2'],
      ];
      for (const args of sets) ok(tool === 'impmqtt' ? await impmqtt(['pub', ...at, ...args]) : await mosquitto('mosquitto_pub', [...at, ...args]));
    }

    const FORMAT = '%t|%p|%x|%X|%l|%q|%r|%m|%j|%J|%-12t|%12.3t|%05l|%-4p|%6x|%-x|%A%C%D%E%F%P%R%S|%%|@@|\\t\\\\|\\e';

    it('-F prints what mosquitto_sub prints, byte for byte (empty, binary, JSON and UTF-8 payloads; impmqtt pub → both)', async () => {
      const [mine, theirs] = await bothReceive('fa/#', 4, () => publishSet('impmqtt', 'fa'), ['-F', FORMAT]);
      expect(withoutTime(mine.stdout)).toBe(withoutTime(theirs.stdout));
      expect(mine.stderr).toBe(theirs.stderr); // the %J refusals of non-JSON payloads
      expect(mine.status).toBe(0);
      expect(theirs.stdout.toString('latin1')).toContain(`fa/binary|${Buffer.from(binary).toString('latin1')}|${Buffer.from(binary).toString('hex')}|`);
    });

    it('-v, plain and -N output match mosquitto_sub (mosquitto_pub → both)', async () => {
      for (const output of [['-v'], ['-N']]) {
        const prefix = `v${output.join('')}`.replace(/-/g, '');
        const [mine, theirs] = await bothReceive(`${prefix}/#`, 4, () => publishSet('mosquitto_pub', prefix), output);
        expect(mine.stdout.toString('latin1')).toBe(theirs.stdout.toString('latin1'));
        expect(mine.status).toBe(0);
      }
    });

    it('retained messages: same flags and bytes both ways, -R, -T and --retained-only', async () => {
      ok(await impmqtt(['pub', ...at, '-t', 'ret/a', '-m', 'from impmqtt', '-r', '-q', '1']));
      ok(await mosquitto('mosquitto_pub', [...at, '-t', 'ret/b', '-m', 'from mosquitto', '-r', '-q', '2']));
      const format = ['-F', '%t %r %q %p'];
      const mine = ok(await sub('impmqtt', ['-t', 'ret/#', '-q', '2', '-C', '2', ...format]));
      const theirs = ok(await sub('mosquitto_sub', ['-t', 'ret/#', '-q', '2', '-C', '2', ...format]));
      expect(mine.stdout.toString()).toBe('ret/a 1 1 from impmqtt\nret/b 1 2 from mosquitto\n');
      expect(mine.stdout.toString()).toBe(theirs.stdout.toString());
      const [filtered, quiet] = await Promise.all([sub('impmqtt', ['-t', 'ret/#', '-T', 'ret/a', '-C', '1', '-v']), sub('impmqtt', ['-t', 'ret/#', '-R', '-W', '1'])]);
      expect(filtered.stdout.toString()).toBe('ret/b from mosquitto\n');
      expect([quiet.status, quiet.stdout.length, quiet.stderr]).toEqual([27, 0, 'Timed out\n']);
      const retainedOnly = runner.impmqtt(['sub', ...at, '-t', 'ret/#', '--retained-only', '-v', '-d']);
      await stderrShows(retainedOnly, 'received PUBLISH (d0, q0, r1, m0, \'ret/b\'');
      ok(await impmqtt(['pub', ...at, '-t', 'ret/c', '-m', 'live']));
      const done = await retainedOnly.done;
      expect([done.status, done.stdout.toString()]).toEqual([0, 'ret/a from impmqtt\nret/b from mosquitto\n']);
      ok(await impmqtt(['pub', ...at, '-t', 'ret/a', '-n', '-r'])); // an empty retained message clears it
      expect((await sub('impmqtt', ['-t', 'ret/a', '-W', '1'])).status).toBe(27);
    });

    it('-l sends each line as mosquitto_pub -l does: empty lines sent, CR kept, the unterminated last line sent', async () => {
      const input = Buffer.from('a\n\nb\r\nc');
      const [mine, theirs] = await bothReceive('lines/#', 8, async () => {
        ok(await impmqtt(['pub', ...at, '-t', 'lines/1', '-l', '-q', '1'], input));
        ok(await mosquitto('mosquitto_pub', [...at, '-t', 'lines/2', '-l', '-q', '1'], input));
      }, ['-F', '%x|%l']);
      expect(mine.stdout.toString()).toBe('61|1\n|0\n620d|2\n63|1\n'.repeat(2));
      expect(mine.stdout.toString()).toBe(theirs.stdout.toString());
    });

    it('-s, -f, -n, -L and --repeat publish what mosquitto_pub would', async () => {
      const file = join(dir, 'payload');
      writeFileSync(file, 'from a file\n');
      const [mine] = await bothReceive('modes/#', 7, async () => {
        ok(await impmqtt(['pub', ...at, '-t', 'modes/s', '-s', '-q', '1'], Buffer.from('x\ny\n')));
        ok(await impmqtt(['pub', ...at, '-t', 'modes/f', '-f', file, '-q', '1']));
        ok(await impmqtt(['pub', ...at, '-t', 'modes/n', '-n', '-q', '1']));
        ok(await impmqtt(['pub', '-L', `mqtt://127.0.0.1:${broker.port}/modes/url`, '-m', 'via -L', '-q', '1']));
        ok(await impmqtt(['pub', ...at, '-t', 'modes/r', '-m', 'again', '--repeat', '3', '--repeat-delay', '0.01', '-q', '1']));
      }, ['-F', '%t %l %p']);
      expect(mine.stdout.toString()).toBe('modes/s 4 x\ny\n\nmodes/f 12 from a file\n\nmodes/n 0 \nmodes/url 6 via -L\nmodes/r 5 again\nmodes/r 5 again\nmodes/r 5 again\n');
    });

    it('exit statuses: -C → 0, -W → 27 with "Timed out" even after messages, unreachable broker → 1', async () => {
      ok(await impmqtt(['pub', ...at, '-t', 'w/1', '-m', 'kept', '-r']));
      const [counted, timedOut] = await Promise.all([sub('impmqtt', ['-t', 'w/1', '-C', '1']), sub('impmqtt', ['-t', 'w/1', '-W', '1'])]);
      expect(ok(counted).stdout.toString()).toBe('kept\n');
      expect([timedOut.status, timedOut.stdout.toString(), timedOut.stderr]).toEqual([27, 'kept\n', 'Timed out\n']);
      const port = String(await deadPort()); // nothing listens there
      const refusals = await Promise.all([['pub', '-t', 'a', '-m', 'b'], ['sub', '-t', 'a']].map((command) => impmqtt([command[0]!, '-h', '127.0.0.1', '-p', port, ...command.slice(1)])));
      for (const refused of refusals) expect([refused.status, refused.stderr]).toEqual([1, 'Error: Connection refused\n']);
    });

    it('a CONNACK refusal exits with its return code (bad credentials → 5); passwords never appear, even with -d', async () => {
      const port = String(secured.port);
      for (const command of [['pub', '-t', 'a', '-m', 'b'], ['sub', '-t', 'a']]) {
        const refused = await impmqtt([command[0]!, '-h', '127.0.0.1', '-p', port, '-u', 'alice', '-P', 'not-the-password', '-d', ...command.slice(1)]);
        expect(refused.status).toBe(5);
        // mosquitto_pub's loop adds a second line; mosquitto_sub prints the refusal alone.
        const epilogue = command[0] === 'pub' ? 'Error: The connection was refused.\n' : '';
        expect(refused.stderr.endsWith(`Connection error: Connection Refused: not authorised.\n${epilogue}`)).toBe(true);
        expect(refused.stderr).not.toContain('not-the-password');
      }
      const theirs = await mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-u', 'alice', '-P', 'nope', '-t', 'a', '-m', 'b']);
      expect(theirs.status).toBe(5);
      const accepted = await impmqtt(['pub', '-h', '127.0.0.1', '-p', port, '-u', 'alice', '-P', PASSWORD, '-t', 'a', '-m', 'b', '-d']);
      expect(accepted.status).toBe(0);
      expect(accepted.stderr).toContain('received CONNACK (0)');
      expect(accepted.stderr).not.toContain(PASSWORD);
      const url = await impmqtt(['pub', '-L', `mqtt://alice:${PASSWORD}@127.0.0.1:${port}/a`, '-m', 'b', '-d']);
      expect([url.status, url.stderr.includes(PASSWORD)]).toEqual([0, false]);
    });

    it('TLS: --cafile verifies the broker, an untrusted one fails with status 1, --insecure skips verification', async () => {
      const tls = ['pub', '-h', '127.0.0.1', '-p', String(secured.tlsPort), '-u', 'alice', '-P', PASSWORD, '-t', 'a', '-m', 'b'];
      ok(await impmqtt([...tls, '--cafile', certPaths.caCert]));
      const untrusted = await impmqtt([...tls, '--cafile', certPaths.untrustedCaCert]);
      expect(untrusted.status).toBe(1);
      expect(lines(untrusted.stderr)).toHaveLength(1);
      expect(untrusted.stderr).toMatch(/^Error: TLS handshake to 127\.0\.0\.1:\d+ failed/);
      ok(await impmqtt([...tls, '--cafile', certPaths.untrustedCaCert, '--insecure']));
    });

    it('usage errors from the bin: one line on stderr, exit status 1 (every message: framework.test.ts)', async () => {
      const argvs = [['pub', '-t', 'a', '-m', 'b', '--bogus'], ['pub', '-t', 'a/#', '-m', 'b'], ['sub', '-t', 'a', '-F', '%z']];
      const results = await Promise.all(argvs.map((args) => impmqtt([...args.slice(0, 1), ...at, ...args.slice(1)])));
      results.forEach((result, i) => expect([result.status, lines(result.stderr).length, result.stdout.length], argvs[i]!.join(' ')).toEqual([1, 1, 0]));
    });

    it('--help on impmqtt and every command (stdout, status 0)', async () => {
      const [bare, ...helps] = await Promise.all([[], ['--help'], ['pub', '--help'], ['sub', '--help'], ['bench', '--help']].map((args) => impmqtt(args)));
      for (const help of helps) expect([help.status, help.stdout.toString().includes('Usage: impmqtt')]).toEqual([0, true]);
      expect(bare!.status).toBe(1);
    });

    it('-l streams a 64 MiB pipe with bounded memory, and every line arrives', async () => {
      const line = Buffer.alloc(1000, 0x61);
      line[999] = 0x0a;
      const count = 64 * 1024;
      const input = Buffer.concat(Array.from({ length: count }, () => line));
      const subscriber = runner.impmqtt(['sub', ...at, '-t', 'big', '-q', '1', '-C', String(count), '-F', '%l', '-d'], { timeoutMs: 60_000 });
      await stderrShows(subscriber, 'received SUBACK');
      const publisher = runner.impmqtt(['pub', ...at, '-t', 'big', '-q', '1', '-l'], { stdin: input, timeoutMs: 60_000 });
      let peakKb = 0;
      const poll = setInterval(() => {
        try {
          const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${publisher.child.pid}/status`, 'utf8'));
          if (hwm !== null) peakKb = Math.max(peakKb, Number(hwm[1]));
        } catch {
          // exited between polls
        }
      }, 25);
      const published = await publisher.done;
      clearInterval(poll);
      expect([published.status, published.stderr]).toEqual([0, '']);
      expect(peakKb).toBeGreaterThan(0);
      expect(peakKb, `peak RSS ${peakKb} kB`).toBeLessThan(150 * 1024);
      const received = await subscriber.done;
      expect(received.status).toBe(0);
      expect(received.stdout.toString()).toBe('999\n'.repeat(count));
    }, 90_000);
  },
  'clients',
);
