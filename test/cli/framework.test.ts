/**
 * The command framework in-process: the declarative flag parser, --help made from the same
 * declarations, dispatch, usage errors as one line with status 1, and colour only on a terminal
 * without NO_COLOR.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo, Command } from '../../src/cli/command.js';
import { Reporter } from '../../src/cli/command.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { UsageError, flagHelp, integerIn, parseFlags } from '../../src/cli/flags.js';
import type { FlagSpec } from '../../src/cli/flags.js';
import { main } from '../../src/cli/main.js';

const SPECS: FlagSpec[] = [
  { key: 'topic', names: ['-t', '--topic'], value: 'topic', help: 'a topic' },
  { key: 'qos', names: ['-q'], value: 'qos', help: 'QoS', parse: integerIn(0, 2, 'Invalid QoS given') },
  { key: 'verbose', names: ['-v'], help: 'verbose' },
];

function fakeIo(options: { tty?: boolean; env?: Record<string, string> } = {}): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { stdin: new PassThrough(), stdout, stderr, env: options.env ?? {}, out: () => out, err: () => err };
}

describe('parseFlags', () => {
  it('reads switches, values (separate or --name=value) and repeats, keeping every value in order', () => {
    const flags = parseFlags(SPECS, ['-t', 'a', '--topic=b', '-v', '-q', '2']);
    expect(flags.all('topic')).toEqual(['a', 'b']);
    expect(flags.get('topic')).toBe('b'); // the last one wins, as in mosquitto
    expect(flags.get('qos')).toBe(2);
    expect(flags.has('verbose')).toBe(true);
    expect(flags.has('nothing')).toBe(false);
    expect(parseFlags(SPECS, ['-t', '-v']).get('topic')).toBe('-v'); // a value may look like a flag
  });

  it('refuses unknown options, missing values, values for switches, bad values and stray arguments with one clear message', () => {
    const message = (argv: string[], positionals = 0): string => {
      try {
        parseFlags(SPECS, argv, positionals);
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(message(['--bogus'])).toBe("Unknown option '--bogus'.");
    expect(message(['-t'])).toBe('-t argument given but no topic specified.');
    expect(message(['--topic'])).toBe('--topic argument given but no topic specified.');
    expect(message(['-q', '3'])).toBe('Invalid QoS given: 3');
    expect(message(['-q', '1x'])).toBe('Invalid QoS given: 1x');
    expect(message(['--v=1'])).toBe("Unknown option '--v=1'.");
    expect(message(['stray'])).toBe("Unexpected argument 'stray'.");
    expect(parseFlags(SPECS, ['conn', '-v'], 1).positionals).toEqual(['conn']);
  });

  it('makes the help from the declarations', () => {
    expect(flagHelp(SPECS).split('\n')).toEqual(['  -t, --topic topic  a topic', '  -q qos             QoS', '  -v                 verbose']);
  });
});

describe('main', () => {
  it('lists the commands (status 0 with --help, 1 with nothing) and gives each command its --help', async () => {
    const io = fakeIo();
    expect(await main(['--help'], io)).toBe(0);
    for (const command of COMMANDS) expect(io.out()).toContain(`  ${command.name}  `);
    expect(await main([], fakeIo())).toBe(1);
    for (const command of COMMANDS) {
      const help = fakeIo();
      expect(await main([command.name, '--help'], help)).toBe(0);
      for (const spec of command.flags) expect(help.out()).toContain(spec.names.join(', '));
    }
  });

  it('a new command is one object in the list: dispatched with its flags parsed', async () => {
    const seen: unknown[] = [];
    const hello: Command = {
      name: 'hello',
      summary: 'greets',
      usage: 'impmqtt hello [-n name]',
      flags: [{ key: 'name', names: ['-n'], value: 'name', help: 'who' }],
      maxPositionals: 1,
      run: async (flags, io) => {
        seen.push(flags.get('name'), flags.positionals);
        io.stdout.write('hi\n');
        return 3;
      },
    };
    const io = fakeIo();
    expect(await main(['hello', 'there', '-n', 'Ada'], io, [hello])).toBe(3);
    expect(seen).toEqual(['Ada', ['there']]);
    expect(io.out()).toBe('hi\n');
  });

  it("usage errors are one line on stderr with status 1, in mosquitto's words where it has them", async () => {
    const cases: [string[], string][] = [
      [['pub', '-t', 'a', '-m', 'b', '--bogus'], "Error: Unknown option '--bogus'."],
      [['pub', '-t', 'a', '-m', 'b', '-q', '3'], 'Error: Invalid QoS given: 3.'],
      [['pub', '-t', 'a/#', '-m', 'b'], "Error: Invalid publish topic 'a/#', does it contain '+' or '#'?"],
      [['pub', '-t', 'a'], 'Error: Both topic and message must be supplied.'],
      [['pub', '-t', 'a', '-m', 'b', '-n'], 'Error: Only one type of message can be sent at once.'],
      [['pub', '-t', 'a', '-m', 'b', '-c'], 'Error: You must provide a client id if you are using the -c option.'],
      [['pub', '-t', 'a', '-m', 'b', '-p', 'http'], 'Error: Invalid port given: http.'],
      [['pub', '-t', 'a', '-m', 'b', '-V', '5'], 'Error: impmqtt speaks MQTT 3.1.1 only; -V 5 is not supported.'],
      [['pub', '-t', 'a', '-f', '/nonexistent/file'], 'Error: Unable to read input file "/nonexistent/file".'],
      [['pub', '-t', 'a', '-m'], 'Error: -m argument given but no message specified.'],
      [['sub'], 'Error: You must specify a topic to subscribe to (-t) or unsubscribe from (-U).'],
      [['sub', '-t', 'a/#/b'], "Error: Invalid subscription topic 'a/#/b', are all '+' and '#' wildcards correct?"],
      [['sub', '-t', 'a', '-F', '%z'], "Error: Invalid format specifier 'z'."],
      [['sub', '-t', 'a', '-R', '--retained-only'], "Error: Combining '-R' and '--retained-only' makes no sense."],
      [['sub', '-t', 'a', '-C', '0'], 'Error: Invalid message count: 0.'],
      [['sub', '-t', 'a', '-W', '2147484'], 'Error: Invalid timeout: 2147484.'], // past setTimeout's range, which would fire at once
      [['bench', 'pub', '--duration', '3000000'], 'Error: Invalid duration: 3000000.'], // likewise (found in review)
      [['bench', 'pub', '-t', 'a/#'], "Error: Invalid publish topic 'a/#', does it contain '+' or '#'?"], // was thrown from each connect handler
      [['bench', 'sub', '-t', 'a/#/%i'], "Error: Invalid subscription topic 'a/#/%i', are all '+' and '#' wildcards correct?"],
      [['bogus'], "Error: Unknown command 'bogus'."],
    ];
    for (const [argv, line] of cases) {
      const io = fakeIo();
      expect(await main(argv, io), argv.join(' ')).toBe(1);
      expect(io.err(), argv.join(' ')).toMatch(/^Error: [^\n]+\n$/);
      expect(io.err().startsWith(line), `${argv.join(' ')}: ${io.err()}`).toBe(true);
    }
  });

  it('usage errors are one line on stderr with status 1, thrown by the parser or by the command', async () => {
    for (const argv of [['pub', '--bogus'], ['pub', '-t', 'a'], ['sub', '-F', '%'], ['nope']]) {
      const io = fakeIo();
      expect(await main(argv, io)).toBe(1);
      expect(io.err()).toMatch(/^Error: [^\n]+\n$/);
      expect(io.out()).toBe('');
    }
  });
});

describe('Reporter', () => {
  it('colours error lines only on a terminal, never with NO_COLOR, and says nothing with --quiet', () => {
    const cases: [{ tty?: boolean; env?: Record<string, string> }, boolean][] = [
      [{ tty: true }, true],
      [{ tty: true, env: { NO_COLOR: '1' } }, false],
      [{ tty: true, env: { NO_COLOR: '' } }, true], // NO_COLOR counts only when set to something
      [{ tty: false }, false],
    ];
    for (const [options, coloured] of cases) {
      const io = fakeIo(options);
      new Reporter(io).error('Error: x');
      expect(io.err().includes('\x1b['), JSON.stringify(options)).toBe(coloured);
      expect(io.err().replace(/\x1b\[\d+m/g, '')).toBe('Error: x\n');
    }
    const quiet = fakeIo();
    new Reporter(quiet, true).error('Error: x');
    expect(quiet.err()).toBe('');
    const debugOff = fakeIo();
    new Reporter(debugOff).debug('packet');
    expect(debugOff.err()).toBe('');
  });
});
