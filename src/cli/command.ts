/**
 * What a command is to the dispatcher (one file per command, listed in commands.ts), and what it
 * is given to run: the process's streams and environment, and a reporter for its stderr lines.
 */
import type { FlagSpec, ParsedFlags } from './flags.js';

export interface CliIo {
  stdin: NodeJS.ReadableStream & { pause(): unknown; resume(): unknown };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
}

export interface Command {
  name: string;
  /** One line for `impmqtt --help`. */
  summary: string;
  /** The usage line(s) after "Usage: ", e.g. "impmqtt pub -t topic {-m message | -f file | …}". */
  usage: string;
  flags: readonly FlagSpec[];
  /** Arguments that are not flags it accepts (e.g. a subcommand). Default 0. */
  maxPositionals?: number;
  /** Text after the flag list in --help (examples, notes). */
  notes?: string;
  /** Runs with the parsed flags (UsageError for bad combinations); resolves with the exit status. */
  run(flags: ParsedFlags, io: CliIo): Promise<number>;
}

/**
 * The one place a command's stderr lines come from: errors (red on a terminal, never with
 * NO_COLOR, silent with --quiet as mosquitto's err_printf) and -d debug lines.
 */
export class Reporter {
  readonly #colour: boolean;

  constructor(
    private readonly io: CliIo,
    private readonly quiet = false,
    readonly debugging = false,
  ) {
    const noColor = io.env.NO_COLOR;
    this.#colour = io.stderr.isTTY === true && (noColor === undefined || noColor === '');
  }

  /** A runtime error line (mosquitto's wording where it has one). */
  error(line: string): void {
    if (this.quiet) return;
    this.io.stderr.write(this.#colour ? `\x1b[31m${line}\x1b[0m\n` : `${line}\n`);
  }

  debug(line: string): void {
    if (this.debugging) this.io.stderr.write(this.#colour ? `\x1b[2m${line}\x1b[0m\n` : `${line}\n`);
  }
}

