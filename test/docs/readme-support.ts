/**
 * Running the README's code blocks as users run them (test/docs/readme*.test.ts).
 *
 * - Blocks are read from README.md by their fences; a block's key is the heading it stands under
 *   and its ordinal there (`Quick start: the codec #1`). Every block is listed in BLOCKS: run by a
 *   named test file, or excluded with the reason.
 * - A block runs as written, in its own node process, on the built package: it is saved under the
 *   repository's `.tmp/` (git-ignored), inside the package, so `import … from 'impmqtt'`,
 *   `'impmqtt/async'`… resolve through package.json's `exports` to dist/ (Node's package
 *   self-reference), exactly as in an application that installed impmqtt.
 * - The only edit is `rewrite()`: literal replacements of the broker's host and port (and where a
 *   block names another address or place of this machine, that too: each test says which), each
 *   of which must be found in the block, so a README that changes them fails here instead of
 *   having a block reach for a real host.
 * - `lower()` runs a block through esbuild for syntax Node 20 lacks (`await using`), nothing else.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Aedes } from 'aedes';
import { buildSync, transformSync } from 'esbuild';
import { afterAll, beforeAll } from 'vitest';
import { startAedes } from '../support/aedes.js';
import type { AedesBroker } from '../support/aedes.js';
import { ExampleRunner, ROOT, ensureBuilt, exitCode } from '../support/examples.js';
import type { Run } from '../support/examples.js';

/** dist/ built from src/ unless already newer, JavaScript only (`node scripts/build.mjs --no-types`): what the blocks import. */
export const ensureBuiltJs = (): void => ensureBuilt({ types: false });

export const README = join(ROOT, 'README.md');

export interface Block {
  /** `<heading> #<n>`: the n-th block under that heading. */
  key: string;
  heading: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's info string ('js', 'sh', '' for plain text). */
  lang: string;
  code: string;
}

/** Every fenced block of the README, in order. */
export function readmeBlocks(text = readFileSync(README, 'utf8')): Block[] {
  const blocks: Block[] = [];
  const perHeading = new Map<string, number>();
  let heading = '';
  let open: { lang: string; line: number; lines: string[] } | undefined;
  text.split('\n').forEach((line, i) => {
    if (open === undefined) {
      const title = /^#{1,6} (.*)$/.exec(line);
      if (title) heading = title[1]!.trim();
      const fence = /^```(\S*)\s*$/.exec(line);
      if (fence) open = { lang: fence[1]!, line: i + 1, lines: [] };
    } else if (/^```\s*$/.test(line)) {
      const n = (perHeading.get(heading) ?? 0) + 1;
      perHeading.set(heading, n);
      blocks.push({ key: `${heading} #${n}`, heading, line: open.line, lang: open.lang, code: open.lines.join('\n') + '\n' });
      open = undefined;
    } else {
      open.lines.push(line);
    }
  });
  if (open !== undefined) throw new Error(`README.md: the block opened at line ${open.line} is never closed`);
  return blocks;
}

export type Disposition = { runBy: string } | { excluded: string };

/**
 * What becomes of each README block. Keys of blocks that are run name the test file running
 * them; an excluded block says why (each reason is the test's claim that the block is not meant
 * to be run as it stands, or cannot be here).
 */
export const BLOCKS: Readonly<Record<string, Disposition>> = {
  'Set up, run, test #1': {
    excluded: "npm ci / npm start / npm test: npm ci replaces node_modules, npm test runs this very suite, npm start rebuilds dist/ under the other suites' feet; what npm start runs after its build, impmqtt demo, is test/cli/demo.test.ts's",
  },
  'Set up, run, test #2': { excluded: 'not code: the transcript npm start prints (its lines are test/cli/demo.test.ts\'s assertions)' },
  'Set up, run, test #3': { excluded: 'npm run size / bench / soak / test:cluster: benchmarks (not run by tests on this shared machine) and suites of their own (minutes long)' },
  'The command line: `impmqtt pub`, `sub`, `bench`, `gateway`, `demo` #1': { runBy: 'readme-cli.test.ts' },
  'The command line: `impmqtt pub`, `sub`, `bench`, `gateway`, `demo` #2': {
    excluded: 'impmqtt bench: a load generator sized for a real broker (5,000 connections for 60 s, 100,000 messages), beyond a test on two shared cores; test/cli/bench.test.ts runs its flags at small scale',
  },
  'The command line: `impmqtt pub`, `sub`, `bench`, `gateway`, `demo` #3': { runBy: 'readme-cli.test.ts' },
  'Quick start: the core client #1': { runBy: 'readme.test.ts' },
  'Quick start: the async API (promises and async iterators) #1': { runBy: 'readme.test.ts' },
  "Quick start: the message-queue face (Pip.Services' MqttMessageQueue) #1": { runBy: 'readme.test.ts' },
  "Quick start: the SendMessage gateway (ApsaraMQ for MQTT's HTTP API, self-hosted) #1": { runBy: 'readme-others.test.ts' },
  "Quick start: the SendMessage gateway (ApsaraMQ for MQTT's HTTP API, self-hosted) #2": { runBy: 'readme-others.test.ts' },
  'Quick start: the imp-style API #1': { runBy: 'readme.test.ts' },
  'Quick start: the imp-style API #2': {
    excluded: 'npm run example:imp:*: each first runs the full build (tsc declarations, tens of seconds on two cores, rewriting dist/ under the other suites); test/api/imp/examples.test.ts runs the two scripts they run (subscribe.mjs for one message, then send.mjs) against mosquitto',
  },
  'Durability: a session store that survives the process (`impmqtt/store`) #1': { runBy: 'readme-others.test.ts' },
  'Clustered brokers (RabbitMQ) #1': {
    excluded: 'a fragment showing one option (no import, never connects): the failover it stands for needs two RabbitMQ nodes, test/cluster/rabbitmq.test.ts (npm run test:cluster)',
  },
  'In the browser #1': { runBy: 'readme-others.test.ts' },
  'Quick start: the codec #1': { runBy: 'readme.test.ts' },
  'Bring your own I/O: the session #1': { runBy: 'readme.test.ts' },
};

/** The block under `key`, which BLOCKS must list as run. */
export function readmeBlock(key: string): Block {
  const block = readmeBlocks().find((b) => b.key === key);
  if (block === undefined) throw new Error(`README.md has no block ${JSON.stringify(key)}`);
  if (!('runBy' in (BLOCKS[key] ?? {}))) throw new Error(`BLOCKS does not list ${JSON.stringify(key)} as run`);
  return block;
}

/** Replaces each `from` (literally, every occurrence) by its `to`; each must occur in `code`. */
export function rewrite(code: string, replacements: readonly (readonly [string, string])[]): string {
  for (const [from, to] of replacements) {
    if (!code.includes(from)) throw new Error(`The block no longer contains ${JSON.stringify(from)}:\n${code}`);
    code = code.split(from).join(to);
  }
  return code;
}

/** The block lowered by esbuild to what Node 20 runs (`await using`); still an ES module. */
export function lower(code: string): string {
  return transformSync(code, { loader: 'ts', format: 'esm', target: 'node20' }).code;
}

/** The block bundled as a bundler builds it for a page: impmqtt's `browser` export condition. */
export function bundleForBrowser(code: string): string {
  const result = buildSync({ stdin: { contents: code, resolveDir: ROOT, sourcefile: 'readme-block.js' }, bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' });
  return result.outputFiles[0]!.text;
}

/** Block files of one suite, in a directory under the repository's .tmp/ (inside the package). */
export interface BlockFiles {
  dir: string;
  /** Saves `code` as `name` in the directory; returns its path. */
  write(name: string, code: string): string;
  remove(): void;
}

/** A directory under the repository's .tmp/ for one suite's block files; `remove()` in its afterAll. */
export function blockDir(): BlockFiles {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.tmp', 'readme-'));
  return {
    dir,
    write(name, code) {
      const path = join(dir, name);
      writeFileSync(path, code);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * One suite's harness, made inside its describe(): dist/ built, an aedes broker on loopback and
 * what it sees, block files, and the block processes, every one of which (and the broker) is
 * stopped in afterAll.
 */
export class ReadmeSuite {
  readonly runner = new ExampleRunner();
  readonly files = blockDir();
  broker!: AedesBroker;
  seen!: Seen;

  constructor() {
    beforeAll(async () => {
      ensureBuiltJs();
      this.broker = await startAedes();
      this.seen = watchBroker(this.broker.broker);
    }, 120_000);
    afterAll(async () => {
      this.runner.killAll();
      await this.broker?.stop();
      this.files.remove();
    });
  }

  /** Saves the block under `key` (after `rewrites`; lowered by esbuild if asked) as `name` and starts it. */
  start(key: string, rewrites: readonly (readonly [string, string])[], options: { lower?: boolean; env?: Record<string, string>; name?: string } = {}): Run {
    const code = rewrite(readmeBlock(key).code, rewrites);
    const file = this.files.write(`${(options.name ?? key).replace(/\W+/g, '-')}.mjs`, options.lower ? lower(code) : code);
    return this.runner.run(file, [], options.env);
  }
}

export interface Seen {
  publishes: { topic: string; text: string; qos: number; retain: boolean; clientId: string | undefined }[];
  subscriptions: { topic: string; qos: number; clientId: string }[];
  clients: string[];
}

/** What an aedes broker sees from its clients: connections, subscriptions, publishes ($SYS left out). */
export function watchBroker(broker: Aedes): Seen {
  const seen: Seen = { publishes: [], subscriptions: [], clients: [] };
  broker.on('client', (client) => seen.clients.push(client.id));
  broker.on('subscribe', (subscriptions, client) => {
    for (const s of subscriptions) seen.subscriptions.push({ topic: s.topic, qos: s.qos, clientId: client.id });
  });
  broker.on('publish', (packet, client) => {
    if (packet.topic.startsWith('$SYS/')) return;
    seen.publishes.push({ topic: packet.topic, text: Buffer.from(packet.payload).toString('utf8'), qos: packet.qos, retain: packet.retain, clientId: client?.id });
  });
  return seen;
}

/** Publishes as the broker itself (no client), e.g. to a block that only subscribes. */
export function brokerPublish(broker: Aedes, topic: string, text: string, qos: 0 | 1 | 2 = 0): Promise<void> {
  return new Promise((resolve, reject) => {
    broker.publish({ cmd: 'publish', topic, payload: Buffer.from(text), qos, retain: false, dup: false }, (error) => (error ? reject(error) : resolve()));
  });
}

/** How long a wait may take: a bound against hangs, never a timing assertion. */
export const WAIT_MS = 10_000;

/** Waits until `done()`; fails naming the block's output if it exits first (its output read to the end) or after WAIT_MS. */
export async function until(run: Run, done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!done()) {
    const exited = run.child.exitCode ?? run.child.signalCode;
    const over = exited !== null && run.child.stdout!.closed && run.child.stderr!.closed;
    if (over || Date.now() > deadline) {
      const why = over ? `The block exited (${exited})` : `${WAIT_MS} ms passed`;
      throw new Error(`${why} before ${what}: stdout ${JSON.stringify(run.stdout())}, stderr ${JSON.stringify(run.stderr())}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Until the block has printed `text`. */
export function printed(run: Run, text: string): Promise<void> {
  return until(run, () => run.stdout().includes(text), `printing ${JSON.stringify(text)}`);
}

/** Ends a block that runs until stopped (the harness's bound), by its own handle; resolves once it has exited. */
export async function stop(run: Run, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill(signal);
  await exitCode(run, 'the stopped block');
}

export interface Stage {
  env: Record<string, string>;
  argv: string[];
}

/**
 * A README shell line as sh reads it, for the simple lines there: words split on blanks, '…' and
 * "…" quoting, a `#` comment, `|` between stages, leading NAME=value assignments. Anything more
 * (expansions, redirections, escapes) is refused rather than misread.
 */
export function shellLine(line: string): Stage[] {
  const stages: Stage[] = [];
  let words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  const endWord = (): void => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endStage = (): void => {
    endWord();
    let i = 0;
    const env: Record<string, string> = {};
    for (; i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i]!); i++) {
      const at = words[i]!.indexOf('=');
      env[words[i]!.slice(0, at)] = words[i]!.slice(at + 1);
    }
    stages.push({ env, argv: words.slice(i) });
    words = [];
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === ' ' || c === '\t') {
      endWord();
    } else if (c === '#' && word === undefined) {
      break;
    } else if (c === '|') {
      endStage();
    } else if ('$`\\<>;&*?'.includes(c)) {
      throw new Error(`shellLine() does not read ${JSON.stringify(c)} in ${line}`);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote !== undefined) throw new Error(`Unclosed quote in ${line}`);
  endStage();
  return stages;
}
