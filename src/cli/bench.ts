/**
 * `impmqtt bench pub|sub|conn`: a load generator in the spirit of emqtt-bench. One process holds
 * thousands of engine clients (each a socket and a few timers); connects are paced (-i), each
 * publisher keeps at most one message in flight (a tick that finds it still in flight counts as
 * pub_overrun), so memory stays flat however long it runs.
 */
import { writeFileSync } from 'node:fs';
import { MqttClient } from '../client/index.js';
import type { ClientOptions } from '../client/index.js';
import { isValidTopicFilter, isValidTopicName } from '../packet/index.js';
import type { QoS } from '../packet/index.js';
import { ConnectTiming, canCollectGarbage, fileLimitProblem, idleMemoryText, openFileLimit, perConnection, sampleIdleMemory, sampleMemory } from './bench-connections.js';
import type { IdleMemory, MemorySample } from './bench-connections.js';
import { LatencyRecorder, newCounters, progressLine, summaryText } from './bench-stats.js';
import type { BenchSummary, Counters } from './bench-stats.js';
import { Reporter } from './command.js';
import type { CliIo, Command } from './command.js';
import { connectionFlags, hostUrl, newClient } from './connect-options.js';
import { MAX_TIMER_SECONDS, UsageError, integerIn, secondsIn } from './flags.js';
import type { FlagSpec, ParsedFlags } from './flags.js';

const KINDS = ['pub', 'sub', 'conn'] as const;
type Kind = (typeof KINDS)[number];
const SHARED = new Set(['host', 'port', 'username', 'password', 'qos', 'quiet']);
/** At most this many per-client error lines; the counters carry the rest. */
const MAX_ERROR_LINES = 10;

const FLAGS: readonly FlagSpec[] = [
  // No TLS flags here: the port's default is the plain one.
  ...connectionFlags((key) => SHARED.has(key), { port: 'broker port (default 1883)' }),
  { key: 'count', names: ['-c', '--count'], value: 'clients', help: 'number of clients (default 200)', parse: integerIn(1, 1_000_000, 'Invalid client count') },
  { key: 'interval', names: ['-i', '--interval'], value: 'ms', help: 'ms between connects (default 10; 0: a hundred per timer turn)', parse: integerIn(0, 3_600_000, 'Invalid interval') },
  { key: 'messageInterval', names: ['-I', '--interval_of_msg'], value: 'ms', help: 'pub: ms between publishes per client (default 1000; 0: the next as soon as one completes)', parse: integerIn(0, 3_600_000, 'Invalid publish interval') },
  { key: 'topic', names: ['-t', '--topic'], value: 'topic', help: 'pub/sub: topic; %i = client number, %c = client id (default bench/%i)' },
  { key: 'size', names: ['-s', '--size'], value: 'bytes', help: 'pub: payload size (default 256)', parse: integerIn(0, 268_435_000, 'Invalid payload size') },
  { key: 'retain', names: ['-r', '--retain'], help: 'pub: retain messages' },
  { key: 'wait', names: ['-w', '--wait-before-publishing'], help: 'pub: start publishing once every client has connected (or failed to)' },
  { key: 'limit', names: ['-L', '--limit'], value: 'count', help: 'pub: messages to publish in all, then stop; sub: messages to receive in all, then stop (0: no limit)', parse: integerIn(0, Number.MAX_SAFE_INTEGER, 'Invalid limit') },
  { key: 'keepalive', names: ['-k', '--keepalive'], value: 'secs', help: 'keepalive (default 300)', parse: integerIn(0, 65_535, 'Invalid keepalive') },
  { key: 'prefix', names: ['--prefix'], value: 'prefix', help: 'client id prefix (default impmqtt_bench_<kind>_<pid>_)' },
  { key: 'duration', names: ['--duration'], value: 'secs', help: 'stop after this long (default: at -L, or on Ctrl-C)', parse: secondsIn(0.001, MAX_TIMER_SECONDS, 'Invalid duration') },
  { key: 'json', names: ['--json'], value: 'file', help: 'also write the summary as JSON to this file' },
];

export const benchCommand: Command = {
  name: 'bench',
  summary: 'load-test a broker: many clients publishing, subscribing or just connected (emqtt-bench)',
  usage: 'impmqtt bench {pub | sub | conn} [-h host] [-p port] [-c clients] [-i ms] [-I ms] [-t topic] [-s bytes] [-q qos] [-L count] [--json file]',
  flags: FLAGS,
  maxPositionals: 1,
  notes: `Progress: one line a second on a terminal (stderr); the summary (stdout) has the connect rate
(first connect to last CONNACK, with this process's CPU per connect) and connect and publish
latency percentiles. bench conn also weighs each idle connection: once every client has
connected and a second has passed, the growth of RSS and heap since before the first connect,
per connection (stderr says "idle memory: ..."; exact heap figures need node --expose-gc, or
NODE_OPTIONS=--expose-gc). Each client is a socket: the open-file limit (ulimit -n) must allow
-c plus a margin, or the bench refuses to start. Exit status: 0 once the run ends; 1 for usage
errors or when no client connected.

Examples:
  impmqtt bench conn -c 5000 -i 2 --duration 60
  impmqtt bench sub -c 100 -t 'bench/#' -q 1
  impmqtt bench pub -c 100 -I 10 -s 64 -q 1 -t bench/%i -L 100000 --json result.json`,
  run,
};

async function run(flags: ParsedFlags, io: CliIo): Promise<number> {
  const kind = flags.positionals[0] as Kind | undefined;
  if (kind === undefined || !KINDS.includes(kind)) throw new UsageError('Say what to run: impmqtt bench pub | sub | conn.');
  const bench = new Bench(kind, flags, io);
  return bench.run();
}

class Bench {
  readonly counters: Counters = newCounters();
  readonly connectLatency = new LatencyRecorder();
  readonly publishLatency = new LatencyRecorder();
  readonly clients: MqttClient[] = [];
  readonly #reporter: Reporter;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #count: number;
  readonly #limit: number;
  readonly #payload: Uint8Array;
  #errorLines = 0;
  /** Connected publishers not yet publishing (with -w, until every client has tried to connect). */
  readonly #publishers: (() => void)[] = [];
  #startedAt = performance.now();
  /** The broker's URL, made once: every client parses the same string. */
  readonly #url: string;
  readonly #connectTiming = new ConnectTiming();
  /** conn: memory before the first connect, and per idle connection once all are connected. */
  #memoryBefore: MemorySample | null = null;
  #idleMemory: IdleMemory | null = null;
  #done!: () => void;
  #finished = false;

  constructor(
    readonly kind: Kind,
    readonly flags: ParsedFlags,
    readonly io: CliIo,
  ) {
    this.#reporter = new Reporter(io, flags.has('quiet'));
    this.#count = flags.get<number>('count') ?? 200;
    this.#limit = flags.get<number>('limit') ?? 0;
    this.#payload = new Uint8Array(flags.get<number>('size') ?? 256).fill(0x61);
    if (kind === 'conn' && this.#limit > 0) throw new UsageError('-L applies to bench pub and bench sub.');
    // The topic every client will use, checked once here (with %i and %c filled in) rather than thrown from a connect handler.
    const template = flags.get<string>('topic');
    if (template !== undefined && kind !== 'conn') {
      const sample = template.replaceAll('%i', '1').replaceAll('%c', 'c');
      if (kind === 'pub' && !isValidTopicName(sample)) throw new UsageError(`Invalid publish topic '${template}', does it contain '+' or '#'?`);
      if (kind === 'sub' && !isValidTopicFilter(sample)) throw new UsageError(`Invalid subscription topic '${template}', are all '+' and '#' wildcards correct?`);
    }
    const json = flags.get<string>('json');
    // Found unwritable now, not as a stack trace after a run of minutes (the file is written again at the end).
    if (json !== undefined) writeJson(json, '', (problem) => new UsageError(problem));
    const fileProblem = fileLimitProblem(this.#count, openFileLimit());
    if (fileProblem !== null) throw new UsageError(fileProblem);
    const host = flags.get<string>('host') ?? 'localhost';
    this.#url = hostUrl('mqtt', host, flags.get<number>('port') ?? 1883);
    // What the engine refuses (a bad host, a user name over 65535 bytes…) is a usage error here,
    // not thrown from the first connect. The last client has the longest id.
    newClient(this.#clientOptions(this.#count)).destroy();
  }

  async run(): Promise<number> {
    const ended = new Promise<void>((resolve) => (this.#done = resolve));
    const stop = (): void => this.#finish();
    process.once('SIGINT', stop).once('SIGTERM', stop);
    const duration = this.flags.get<number>('duration');
    if (duration !== undefined) this.#every(duration * 1000, stop, true);
    this.#startProgress();
    if (this.kind === 'conn') this.#memoryBefore = sampleMemory();
    this.#connectAll();
    await ended;
    process.off('SIGINT', stop).off('SIGTERM', stop);
    await this.#closeAll();
    const summary = this.#summary();
    this.io.stdout.write(summaryText(summary));
    const json = this.flags.get<string>('json');
    if (json !== undefined) {
      try {
        writeJson(json, `${JSON.stringify(summary, null, 2)}\n`, (problem) => new Error(problem));
      } catch (error) {
        this.#reporter.error(`Error: ${(error as Error).message}`);
        return 1;
      }
    }
    return this.counters.connect_succ === 0 ? 1 : 0;
  }

  #every(ms: number, fn: () => void, once = false): void {
    const timer = once ? setTimeout(fn, ms) : setInterval(fn, ms);
    this.#timers.add(timer);
  }

  #connectAll(): void {
    const interval = this.flags.get<number>('interval') ?? 10;
    let next = 0;
    // With no interval, connect in batches per turn so the event loop (and earlier clients) keep running.
    const batch = interval === 0 ? 100 : 1;
    const connectSome = (): void => {
      for (let i = 0; i < batch && next < this.#count && !this.#finished; i++) this.#connect(++next);
      if (next < this.#count && !this.#finished) this.#every(interval, connectSome, true);
    };
    connectSome();
  }

  /** Client `n`'s options (its id is the prefix and n). */
  #clientOptions(n: number): ClientOptions & { clientId: string } {
    const prefix = this.flags.get<string>('prefix') ?? `impmqtt_bench_${this.kind}_${process.pid}_`;
    const username = this.flags.get<string>('username');
    const password = this.flags.get<string>('password');
    return {
      url: this.#url,
      clientId: `${prefix}${n}`,
      keepalive: this.flags.get<number>('keepalive') ?? 300,
      reconnect: false,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
    };
  }

  #connect(n: number): void {
    const options = this.#clientOptions(n);
    const clientId = options.clientId;
    const client = new MqttClient(options);
    this.clients.push(client);
    const started = this.#connectTiming.starting();
    // No topic string per client where none is used: bench conn measures what a client holds.
    const topic = this.kind === 'conn' ? '' : (this.flags.get<string>('topic') ?? (this.kind === 'sub' ? 'bench/#' : 'bench/%i')).replaceAll('%i', String(n)).replaceAll('%c', clientId);
    client.on('connect', () => {
      this.counters.connect_succ++;
      this.connectLatency.add(this.#connectTiming.connacked() - started);
      if (this.kind === 'sub') this.#subscribe(client, topic);
      if (this.kind === 'pub') this.#publishers.push(() => this.#publishFrom(client, topic, n));
      this.#attempted();
    });
    client.on('connectfailed', ({ error }) => {
      this.counters.connect_fail++;
      this.#clientError(n, 'connect', error.message);
      if (this.counters.connect_fail === this.#count) this.#finish();
      else this.#attempted();
    });
    client.on('close', ({ error }) => {
      if (this.#finished) return;
      this.counters.connection_lost++;
      this.#clientError(n, 'connection', error?.message ?? 'closed');
    });
    if (this.kind === 'sub') {
      client.on('message', () => {
        this.counters.recv++;
        if (this.#limit > 0 && this.counters.recv >= this.#limit) this.#finish();
      });
    }
    client.connect();
  }

  /** A client connected or failed to: publishers start (at once, or with -w once all have tried). */
  #attempted(): void {
    const all = this.counters.connect_succ + this.counters.connect_fail === this.#count;
    if (all) {
      this.#connectTiming.ended();
      this.#milestone(`connected ${this.counters.connect_succ}/${this.#count}`);
    }
    if (all && this.#memoryBefore !== null && this.counters.connect_succ > 0) void this.#measureIdle(this.#memoryBefore);
    if (this.flags.has('wait') && !all) return;
    for (const start of this.#publishers.splice(0)) start();
  }

  /** conn: what each connection holds once all of them sit idle (a milestone line, and the summary). */
  async #measureIdle(before: MemorySample): Promise<void> {
    const after = await sampleIdleMemory();
    if (this.#finished) return;
    this.#idleMemory = perConnection(before, after, this.counters.connect_succ - this.counters.connection_lost, canCollectGarbage());
    this.#milestone(idleMemoryText(this.#idleMemory));
  }

  #subscribe(client: MqttClient, topic: string): void {
    client.subscribe([{ topic, qos: this.flags.get<QoS>('qos') ?? 0 }], (result, granted) => {
      if (result === 0 && granted[0] !== 0x80) this.counters.sub++;
      else this.counters.sub_fail++;
      if (this.counters.sub + this.counters.sub_fail === this.#count) this.#milestone(`subscribed ${this.counters.sub}/${this.#count}`);
    });
  }

  #publishFrom(client: MqttClient, topic: string, n: number): void {
    const qos = this.flags.get<QoS>('qos') ?? 0;
    const retain = this.flags.has('retain');
    const interval = this.flags.get<number>('messageInterval') ?? 1000;
    let inFlight = false;
    const publish = (): void => {
      if (this.#finished || (this.#limit > 0 && this.counters.pub >= this.#limit)) return;
      if (inFlight) {
        this.counters.pub_overrun++;
        return;
      }
      inFlight = true;
      this.counters.pub++;
      const sentAt = performance.now();
      try {
        client.publish(topic, this.#payload, { qos, retain }, (result) => {
          inFlight = false;
          if (result === 0) {
            this.counters.pub_succ++;
            this.publishLatency.add(performance.now() - sentAt);
          } else {
            this.counters.pub_fail++;
            this.#clientError(n, 'publish', `result ${result}`);
          }
          if (this.#limit > 0 && this.counters.pub_succ + this.counters.pub_fail >= this.#limit) {
            this.#milestone('publish complete');
            this.#finish();
          } else if (interval === 0) {
            setImmediate(publish);
          }
        });
      } catch (error) {
        // A message no packet can carry (a payload near the maximum with a long topic): counted, not thrown from the timer.
        inFlight = false;
        this.counters.pub_fail++;
        this.#clientError(n, 'publish', (error as Error).message);
        if (this.#limit > 0 && this.counters.pub_succ + this.counters.pub_fail >= this.#limit) this.#finish();
      }
    };
    if (interval > 0) this.#every(interval, publish);
    publish();
  }

  #clientError(n: number, what: string, reason: string): void {
    if (++this.#errorLines <= MAX_ERROR_LINES) this.#reporter.error(`client(${n}): ${what} error - ${reason}`);
    else if (this.#errorLines === MAX_ERROR_LINES + 1) this.#reporter.error('(more client errors: see the counters)');
  }

  /** A line on stderr marking a stage of the run (also what scripts and tests wait for). */
  #milestone(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  #startProgress(): void {
    if (this.io.stderr.isTTY !== true) return;
    let previous = { ...this.counters };
    this.#every(1000, () => {
      this.io.stderr.write(`${progressLine(this.kind, performance.now() - this.#startedAt, this.counters, previous, 1000)}\n`);
      previous = { ...this.counters };
    });
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#done();
  }

  #summary(): BenchSummary {
    const durationMs = performance.now() - this.#startedAt;
    const done = this.kind === 'sub' ? this.counters.recv : this.kind === 'pub' ? this.counters.pub_succ : this.counters.connect_succ;
    return {
      command: this.kind,
      clients: this.#count,
      durationMs: Math.round(durationMs),
      counters: this.counters,
      rate: Math.round((done * 1000 * 100) / durationMs) / 100,
      connectRate: this.#connectTiming.rate(this.counters.connect_succ),
      connectCpuUs: this.#connectTiming.cpuPerConnect(this.counters.connect_succ),
      idleMemory: this.#idleMemory,
      connectLatencyMs: this.connectLatency.percentiles(),
      publishLatencyMs: this.publishLatency.percentiles(),
    };
  }

  /** Every client closed: DISCONNECT where connected (no will), at most 5 s for all. */
  async #closeAll(): Promise<void> {
    const closing = this.clients.map((client) => new Promise<void>((resolve) => client.disconnect(resolve, 0)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closing), new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
    clearTimeout(timer);
    for (const client of this.clients) client.destroy();
  }
}

/** Writes the --json file; a failure becomes `fail`'s error, naming the file and the reason. */
function writeJson(file: string, text: string, fail: (problem: string) => Error): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    throw fail(`--json: cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
}
