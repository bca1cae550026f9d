/**
 * The flag parser every impmqtt command shares: a command declares its flags as data, gets
 * them parsed (mosquitto style: `-t a -t b`, `--topic a`, `--topic=a`) and its --help text made
 * from the same declarations, so the help can never disagree with what is accepted.
 */
import { MAX_TIMER_MS } from '../client/index.js';

/** A mistake on the command line: reported as one line on stderr, exit status 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  /** Where the value is kept: one key may have several names. */
  key: string;
  /** '-t', '--topic', … */
  names: readonly string[];
  /** The value's name in the help ("topic"); absent for a switch. */
  value?: string;
  help: string;
  /** Checks and converts the text given; throws UsageError naming what is wrong. */
  parse?: (text: string, name: string) => unknown;
}

export class ParsedFlags {
  constructor(
    private readonly values: ReadonlyMap<string, unknown[]>,
    readonly positionals: readonly string[],
  ) {}

  has(key: string): boolean {
    return this.values.has(key);
  }

  /** The last value given (a repeated single-valued flag: the last one wins, as in mosquitto). */
  get<T>(key: string): T | undefined {
    const all = this.values.get(key);
    return all === undefined ? undefined : (all[all.length - 1] as T);
  }

  all<T>(key: string): T[] {
    return (this.values.get(key) ?? []) as T[];
  }
}

/** Parses `argv` against `specs`; `maxPositionals` arguments that are not flags are allowed. */
export function parseFlags(specs: readonly FlagSpec[], argv: readonly string[], maxPositionals = 0): ParsedFlags {
  const byName = new Map<string, FlagSpec>();
  for (const spec of specs) for (const name of spec.names) byName.set(name, spec);
  const values = new Map<string, unknown[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = byName.get(name);
    if (spec === undefined) {
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`Unknown option '${arg}'.`);
      if (positionals.length >= maxPositionals) throw new UsageError(`Unexpected argument '${arg}'.`);
      positionals.push(arg);
      continue;
    }
    let value: unknown = true;
    if (spec.value !== undefined) {
      let text: string;
      if (eq > 0) text = arg.slice(eq + 1);
      else if (i + 1 < argv.length) text = argv[++i]!;
      else throw new UsageError(`${name} argument given but no ${spec.value} specified.`);
      value = spec.parse === undefined ? text : spec.parse(text, name);
    } else if (eq > 0) {
      throw new UsageError(`${name} takes no value.`);
    }
    const list = values.get(spec.key);
    if (list === undefined) values.set(spec.key, [value]);
    else list.push(value);
  }
  return new ParsedFlags(values, positionals);
}

/** An integer in [min, max], or a UsageError saying `what` was invalid (mosquitto's wording). */
/** The longest wait a timer keeps, in whole seconds (past it setTimeout fires after 1 ms). */
export const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

export function integerIn(min: number, max: number, what: string): (text: string) => number {
  return (text) => {
    const value = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`${what}: ${text}`);
    return value;
  };
}

/** A number of seconds (fractions allowed) in [min, max]. */
export function secondsIn(min: number, max: number, what: string): (text: string) => number {
  return (text) => {
    const value = /^\d+(\.\d*)?$|^\.\d+$/.test(text.trim()) ? Number(text) : NaN;
    if (!Number.isFinite(value) || value < min || value > max) throw new UsageError(`${what}: ${text}`);
    return value;
  };
}

/** The flags' part of --help: one line per flag, the help text aligned. */
export function flagHelp(specs: readonly FlagSpec[]): string {
  const heads = specs.map((spec) => spec.names.join(', ') + (spec.value === undefined ? '' : ` ${spec.value}`));
  const width = Math.min(30, Math.max(...heads.map((h) => h.length)));
  return specs
    .map((spec, i) => {
      const head = heads[i]!;
      return head.length > width ? `  ${head}\n  ${' '.repeat(width)}  ${spec.help}` : `  ${head.padEnd(width)}  ${spec.help}`;
    })
    .join('\n');
}
