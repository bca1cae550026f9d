/** `impmqtt <command> …`: finds the command, parses its flags, prints help and usage errors. */
import type { CliIo, Command } from './command.js';
import { Reporter } from './command.js';
import { COMMANDS } from './commands.js';
import { UsageError, flagHelp, parseFlags } from './flags.js';
import type { FlagSpec } from './flags.js';

const HELP: FlagSpec = { key: 'help', names: ['--help'], help: 'print this help and exit' };

/** Runs one command line; resolves with the exit status. */
export async function main(argv: readonly string[], io: CliIo, commands: readonly Command[] = COMMANDS): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === 'help') {
    io.stdout.write(overview(commands));
    return name === undefined ? 1 : 0;
  }
  const reporter = new Reporter(io);
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    reporter.error(`Error: Unknown command '${name}'. Commands: ${commands.map((c) => c.name).join(', ')}; see 'impmqtt --help'.`);
    return 1;
  }
  try {
    const flags = parseFlags([...command.flags, HELP], rest, command.maxPositionals ?? 0);
    if (flags.has('help')) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run(flags, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // One line, whatever the argument quoted in it holds (a newline typed inside quotes).
    // eslint-disable-next-line no-control-regex
    const message = error.message.replace(/[\u0000-\u001f\u007f]/g, '?');
    reporter.error(`Error: ${message}${/[.?]$/.test(message) ? '' : '.'} Use 'impmqtt ${name} --help' to see usage.`);
    return 1;
  }
}

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'impmqtt: an MQTT 3.1.1 client on the command line.',
    '',
    'Usage: impmqtt <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'impmqtt <command> --help' for a command's options.",
    '',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  return [`impmqtt ${command.name}: ${command.summary}`, '', `Usage: ${command.usage}`, '', 'Options:', flagHelp([...command.flags, HELP]), '', ...(command.notes === undefined ? [] : [command.notes, ''])].join('\n');
}
