/**
 * Byte-exact output of `impmqtt pub` and `impmqtt sub` next to mosquitto_pub's and
 * mosquitto_sub's, for what cli.test.ts does not compare: the -d debug lines, input edge cases
 * and refusals. (Found in the output conformance review.)
 *
 * mosquitto's clients print -d lines on stdout, impmqtt on stderr (README, "Not like mosquitto"):
 * the lines themselves are compared.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ProcessRunner, lines } from '../support/cli.js';
import type { Finished } from '../support/cli.js';
import { ensureBuilt } from '../support/examples.js';
import { describeWithMosquitto, startMosquitto } from '../support/mosquitto.js';
import type { MosquittoBroker } from '../support/mosquitto.js';

const PASSWORD = 'queen-of-hearts-3';

describeWithMosquitto(
  'impmqtt pub and sub output, byte for byte with mosquitto_pub and mosquitto_sub',
  () => {
    const runner = new ProcessRunner();
    let broker: MosquittoBroker;
    let secured: MosquittoBroker;
    let at: string[];

    beforeAll(async () => {
      ensureBuilt();
      [broker, secured] = await Promise.all([startMosquitto(), startMosquitto({ users: { alice: PASSWORD } })]);
      at = ['-h', '127.0.0.1', '-p', String(broker.port)];
    }, 60_000);
    afterAll(async () => {
      runner.stopAll();
      await Promise.all([broker?.stop(), secured?.stop()]);
    });

    const impmqtt = (command: 'pub' | 'sub', args: string[], stdin?: Uint8Array): Promise<Finished> => runner.impmqtt([command, ...args], stdin === undefined ? {} : { stdin }).done;
    const mosquitto = (command: 'pub' | 'sub', args: string[], stdin?: Uint8Array): Promise<Finished> => runner.start(`mosquitto_${command}`, args, stdin === undefined ? {} : { stdin }).done;
    /** Both tools, one after the other (the same client id never overlaps). */
    const both = async (command: 'pub' | 'sub', args: string[], stdin?: Uint8Array): Promise<[Finished, Finished]> => [await impmqtt(command, args, stdin), await mosquitto(command, args, stdin)];

    it('pub -d prints the packet lines mosquitto_pub prints: QoS 0 message ids, PUBACK/PUBREC/PUBREL/PUBCOMP wording, no credential marks', async () => {
      const cases = [
        [...at, '-i', 'dbg-pub', '-t', 'dbg/p', '-m', 'x', '--repeat', '2'],
        [...at, '-i', 'dbg-pub', '-t', 'dbg/p', '-m', 'x', '-q', '1'],
        [...at, '-i', 'dbg-pub', '-t', 'dbg/p', '-m', 'xyz', '-q', '2', '-r'],
        ['-h', '127.0.0.1', '-p', String(secured.port), '-u', 'alice', '-P', PASSWORD, '-t', 'dbg/p', '-n', '-q', '1'],
      ];
      for (const args of cases) {
        const [mine, theirs] = await both('pub', [...args, '-d']);
        expect(theirs.status, args.join(' ')).toBe(0);
        expect([mine.status, lines(mine.stderr)], args.join(' ')).toEqual([0, lines(theirs.stdout.toString())]);
      }
    });

    it('sub -d prints the packet lines mosquitto_sub prints: a SUBSCRIBE line per filter, SUBACK, "Subscribed (mid: …)", PUBACK sent', async () => {
      expect((await mosquitto('pub', [...at, '-t', 'dbg/s/kept', '-m', 'kept', '-r', '-q', '1'])).status).toBe(0);
      const [mine, theirs] = await both('sub', [...at, '-i', 'dbg-sub', '-t', 'dbg/s/kept', '-t', 'dbg/s/other', '-q', '1', '-C', '1', '-d']);
      // mosquitto_sub's stdout holds both the message and the debug lines.
      const theirLines = lines(theirs.stdout.toString());
      expect(theirLines).toContain('kept');
      expect([mine.status, mine.stdout.toString(), lines(mine.stderr)]).toEqual([theirs.status, 'kept\n', theirLines.filter((line) => line !== 'kept')]);
    });

    it('pub -s with empty stdin publishes nothing and fails as mosquitto_pub does (status 1, its two lines)', async () => {
      for (const retain of [[], ['-r']]) {
        const [mine, theirs] = await both('pub', [...at, '-t', 'in/s', '-s', ...retain], new Uint8Array(0));
        expect(theirs.stderr).toBe('Error: Zero length input.\nError loading input from stdin.\n');
        expect([mine.status, mine.stderr]).toEqual([theirs.status, theirs.stderr]);
      }
    });

    it('an empty client id (-i "") is refused as mosquitto_pub and mosquitto_sub refuse it', async () => {
      for (const command of ['pub', 'sub'] as const) {
        const [mine, theirs] = await both(command, [...at, '-i', '', '-t', 'in/id', ...(command === 'pub' ? ['-m', 'x'] : ['-C', '1'])]);
        expect(theirs.status, command).toBe(1);
        expect([mine.status, mine.stderr, mine.stdout.length], command).toEqual([theirs.status, theirs.stderr, 0]);
      }
    });

    it('a CONNACK refusal prints what each mosquitto client prints: pub two lines, sub one; the status is the return code', async () => {
      const refused = ['-h', '127.0.0.1', '-p', String(secured.port), '-u', 'alice', '-P', 'not-the-password', '-t', 'in/refused'];
      for (const command of ['pub', 'sub'] as const) {
        const [mine, theirs] = await both(command, [...refused, ...(command === 'pub' ? ['-m', 'x'] : [])]);
        expect(theirs.status, command).toBe(5);
        expect([mine.status, mine.stderr, mine.stdout.length], command).toEqual([theirs.status, theirs.stderr, 0]);
      }
    });

    it('-F with %J twice: one stderr line per %J for a payload that is not JSON, as mosquitto_sub prints', async () => {
      expect((await mosquitto('pub', [...at, '-t', 'in/j', '-m', 'not json', '-r'])).status).toBe(0);
      const [mine, theirs] = await both('sub', [...at, '-t', 'in/j', '-C', '1', '-F', '[%J|%J]']);
      expect(theirs.stderr).toBe('Error: Message payload is not valid JSON on topic in/j.\n'.repeat(2));
      expect([mine.status, mine.stdout.toString(), mine.stderr]).toEqual([theirs.status, theirs.stdout.toString(), theirs.stderr]);
    });
  },
  'clients',
);
