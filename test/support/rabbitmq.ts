/**
 * A RabbitMQ cluster on loopback for the cluster suite (test/cluster) and bench/cluster.mjs:
 * N nodes of the Debian `rabbitmq-server` package with the `rabbitmq_mqtt` plugin, each with
 * its own node name, temp dir and ports, clustered onto the first node.
 *
 *   const cluster = await startRabbitCluster({ nodes: 2 });
 *   cluster.nodes[0].url;            // mqtt://127.0.0.1:<port>
 *   await cluster.nodes[0].kill();   // SIGKILL that node's beam.smp
 *   await cluster.stop();            // every process it started, by PID; the temp dir
 *
 * How it keeps to itself (a system RabbitMQ or epmd may be running):
 *  - Its own epmd on a free loopback port (ERL_EPMD_PORT), started here as a child process and
 *    stopped by its PID, so node names never meet another epmd's. Its and the nodes' ports are
 *    drawn outside the ephemeral range and each once (serverPort).
 *  - Every listener on 127.0.0.1: AMQP and MQTT in rabbitmq.conf, Erlang distribution through
 *    `-kernel inet_dist_use_interface`, for the nodes and for rabbitmqctl alike. No management.
 *  - A random Erlang cookie in a HOME of its own (the nodes and rabbitmqctl read it there), and
 *    RABBITMQ_CONF_ENV_FILE pointed at nothing so /etc/rabbitmq is not read.
 *
 * Why the PID we hold is the broker: with RABBITMQ_ALLOW_INPUT the rabbitmq-server script
 * `exec`s erl, which execs beam.smp, so the spawned child *is* the VM (checked in /proc on
 * Linux); SIGKILL on it is a node crash. Without it the script would stay as a parent and a
 * SIGKILL would orphan the VM. The VM's stdin is a pipe we never write: its shell waits on it,
 * and if this process dies the pipe closes and the node halts on EOF, so nothing outlives us.
 * The VM's helpers (erl_child_setup, inet_gethost) exit with it.
 *
 * A killed node is not booted again: in a two-node cluster the survivor's MQTT client-id
 * tracker (a Raft cluster of both nodes) has lost its majority, and RabbitMQ 3.10's
 * rabbitmq_mqtt, restarting, waits 100 s for that tracker's leader (mqtt_node START_TIMEOUT)
 * before it opens its listener. Callers that need every node again start a fresh cluster.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable, isExecutable } from './executables.js';
import { LOOPBACK, getServerPort, waitForPort } from './ports.js';

/** Where the package puts its scripts ($RABBITMQ_SBIN overrides; "none" simulates a machine without). */
const SBIN = process.env.RABBITMQ_SBIN ?? '/usr/lib/rabbitmq/bin';
/** Distribution (nodes and rabbitmqctl) on loopback only. */
const LOOPBACK_DIST = '-kernel inet_dist_use_interface {127,0,0,1}';
const MAX_OUTPUT = 64 * 1024;

function epmdPath(): string | undefined {
  return findExecutable('epmd', ['/usr/bin', '/usr/lib/erlang/bin']);
}

/** True when rabbitmq-server, rabbitmqctl and epmd are installed. */
export function rabbitmqAvailable(): boolean {
  return isExecutable(join(SBIN, 'rabbitmq-server')) && isExecutable(join(SBIN, 'rabbitmqctl')) && epmdPath() !== undefined;
}

export interface RabbitNode {
  /** Erlang node name, e.g. impmqtt-a-1234@localhost. */
  readonly name: string;
  readonly mqttPort: number;
  readonly amqpPort: number;
  readonly distPort: number;
  /** mqtt://127.0.0.1:mqttPort */
  readonly url: string;
  /** beam.smp's pid while the node runs. */
  pid(): number | undefined;
  running(): boolean;
  /** Crashes the node: SIGKILL on its beam.smp; resolves once it has exited. */
  kill(): Promise<void>;
  /** The node's log file so far. */
  readLog(): string;
}

export interface RabbitCluster {
  readonly nodes: readonly RabbitNode[];
  readonly dir: string;
  /** Milliseconds from the first spawn until every node was up and clustered. */
  readonly startupMs: number;
  /** Runs `rabbitmqctl -n <node> ...args`; resolves with its stdout, rejects with its output. */
  ctl(node: RabbitNode, args: string[], timeoutMs?: number): Promise<string>;
  /** Stops every node still running and the epmd, by PID, and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface RabbitClusterOptions {
  /** Default 2. */
  nodes?: number;
  /** Bound on one node's boot (default 120 s: two cores, and other work may be running). */
  startTimeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Child processes: exit tracked, output kept (bounded), killed on our exit as a last resort.

interface Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  exitInfo(): string | undefined;
  output(): string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function launch(file: string, args: string[], env: NodeJS.ProcessEnv, keepStdinOpen = false): Proc {
  const child = spawn(file, args, { env, stdio: [keepStdinOpen ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const p of live) p.kill('SIGKILL');
    });
  }
  let output = '';
  let info: string | undefined;
  const capture = (chunk: Buffer): void => {
    if (output.length < MAX_OUTPUT) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);
  child.stdin?.on('error', () => {}); // the VM closing its end is no error of ours
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      info = `could not be spawned: ${error.message}`;
      live.delete(child);
      resolve();
    });
    child.once('exit', (code, signal) => {
      info = `exited with ${signal ?? `code ${String(code)}`}`;
      live.delete(child);
      resolve();
    });
  });
  return { child, exited, exitInfo: () => info, output: () => output };
}

/** `signal`, then SIGKILL if the process is still there after `graceMs`. */
async function terminate(proc: Proc, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (proc.exitInfo() !== undefined) return;
  proc.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([proc.exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
  clearTimeout(timer);
  if (late) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
}

// ---------------------------------------------------------------------------------------------
// The cluster

interface NodeSetup {
  short: string;
  name: string;
  dir: string;
  mqttPort: number;
  amqpPort: number;
  distPort: number;
}

/** The environment without anything RabbitMQ- or Erlang-specific the caller's shell may carry. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('RABBITMQ_') && !key.startsWith('ERL_')) env[key] = value;
  }
  return env;
}

export async function startRabbitCluster(options: RabbitClusterOptions = {}): Promise<RabbitCluster> {
  const epmd = epmdPath();
  if (!rabbitmqAvailable() || epmd === undefined) {
    throw new Error(`RabbitMQ is not installed (looked for rabbitmq-server and rabbitmqctl in ${SBIN}, and epmd)`);
  }
  const count = options.nodes ?? 2;
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const startedAt = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'impmqtt-rabbitmq-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  writeFileSync(join(home, '.erlang.cookie'), randomBytes(16).toString('hex').toUpperCase(), { mode: 0o600 });

  /** The ports drawn for this cluster: each once. */
  const ports = new Set<number>();
  /** Every node process launched: stop() ends those still running. */
  const procs: Proc[] = [];
  const nodes: Node[] = [];
  let epmdProc: Proc | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // SIGTERM is RabbitMQ's own graceful stop; the data is throw-away, so the grace is short.
      await Promise.all(procs.map((p) => terminate(p, 'SIGTERM', 10_000)));
      if (epmdProc !== undefined) await terminate(epmdProc, 'SIGTERM', 5_000);
      if (process.env.MQTT_DEBUG_BROKER === '1') for (const node of nodes) console.log(`--- ${node.name} log ---\n${node.readLog()}`);
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    const epmdPort = await serverPort(ports);
    epmdProc = launch(epmd, ['-port', String(epmdPort), '-address', LOOPBACK], cleanEnv());
    await waitForPort(epmdPort, { abort: () => epmdProc?.exitInfo() });

    const baseEnv: NodeJS.ProcessEnv = {
      ...cleanEnv(),
      HOME: home,
      ERL_EPMD_PORT: String(epmdPort),
      RABBITMQ_CONF_ENV_FILE: join(dir, 'no-rabbitmq-env.conf'),
      RABBITMQ_CTL_ERL_ARGS: LOOPBACK_DIST,
    };
    const ctl = (node: RabbitNode, args: string[], timeoutMs = 60_000): Promise<string> => runCtl(baseEnv, node.name, args, timeoutMs);
    const context: NodeContext = { baseEnv, startTimeoutMs, ctl, launched: (proc) => procs.push(proc) };

    for (let i = 0; i < count; i++) {
      const short = String.fromCharCode(97 + i); // a, b, c, ...
      const setup: NodeSetup = {
        short,
        name: `impmqtt-${short}-${process.pid}@localhost`,
        dir: join(dir, short),
        mqttPort: await serverPort(ports),
        amqpPort: await serverPort(ports),
        distPort: await serverPort(ports),
      };
      writeNodeFiles(setup);
      nodes.push(new Node(setup, context));
    }
    // Boot all nodes at once (each takes several seconds of mostly single-threaded work).
    for (const node of nodes) node.boot();
    await Promise.all(nodes.map((node) => node.ready()));
    // Cluster every other node onto the first, the documented way.
    const first = nodes[0]!;
    for (const node of nodes.slice(1)) {
      await ctl(node, ['stop_app']);
      await ctl(node, ['join_cluster', first.name]);
      await ctl(node, ['start_app']);
      await waitForPort(node.mqttPort, { timeoutMs: startTimeoutMs, intervalMs: 100 });
    }
    return { nodes, dir, startupMs: Date.now() - startedAt, ctl, stop };
  } catch (error) {
    const logs = nodes.map((n) => n.describe()).join('\n');
    await stop();
    throw new Error(`The RabbitMQ cluster did not start: ${(error as Error).message}\n${logs}`);
  }
}

/**
 * A port for epmd or a node, which binds it seconds later, once the VM has booted that far: from
 * outside the kernel's ephemeral range (getServerPort), so that no listen(0) or outgoing
 * connection meanwhile (rabbitmqctl's, the other node's) can be handed it, and not one already
 * drawn for this cluster (two draws of the same free port would leave one node unable to listen).
 */
async function serverPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await getServerPort();
    if (taken.has(port)) continue;
    taken.add(port);
    return port;
  }
}

interface NodeContext {
  baseEnv: NodeJS.ProcessEnv;
  startTimeoutMs: number;
  ctl(node: RabbitNode, args: string[]): Promise<string>;
  launched(proc: Proc): void;
}

class Node implements RabbitNode {
  readonly name: string;
  readonly mqttPort: number;
  readonly amqpPort: number;
  readonly distPort: number;
  readonly url: string;
  readonly #setup: NodeSetup;
  readonly #context: NodeContext;
  #proc: Proc | undefined;

  constructor(setup: NodeSetup, context: NodeContext) {
    this.#setup = setup;
    this.#context = context;
    this.name = setup.name;
    this.mqttPort = setup.mqttPort;
    this.amqpPort = setup.amqpPort;
    this.distPort = setup.distPort;
    this.url = `mqtt://${LOOPBACK}:${setup.mqttPort}`;
  }

  pid(): number | undefined {
    return this.running() ? this.#proc!.child.pid : undefined;
  }

  running(): boolean {
    return this.#proc !== undefined && this.#proc.exitInfo() === undefined;
  }

  boot(): void {
    this.#proc = launch(join(SBIN, 'rabbitmq-server'), [], nodeEnv(this.#context.baseEnv, this.#setup), true);
    this.#context.launched(this.#proc);
  }

  /**
   * The MQTT listener opens near the end of the boot; await_startup then confirms the node is
   * fully up and that rabbitmqctl reaches it (cookie, epmd) for what follows.
   */
  async ready(): Promise<void> {
    const proc = this.#proc!;
    await waitForPort(this.mqttPort, { timeoutMs: this.#context.startTimeoutMs, intervalMs: 200, abort: () => proc.exitInfo() });
    await this.#context.ctl(this, ['await_startup']);
    checkIsBeam(proc, this.name);
  }

  kill(): Promise<void> {
    return this.#proc === undefined ? Promise.resolve() : terminate(this.#proc, 'SIGKILL', 0);
  }

  readLog(): string {
    try {
      return readFileSync(join(this.#setup.dir, 'log', 'rabbit.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** The state, the log's tail and the VM's output, for a failure message. */
  describe(): string {
    return `--- ${this.name} (${this.#proc?.exitInfo() ?? 'running'}) ---\n${tail(this.readLog())}\n${tail(this.#proc?.output() ?? '')}`;
  }
}

function writeNodeFiles(setup: NodeSetup): void {
  mkdirSync(join(setup.dir, 'log'), { recursive: true });
  writeFileSync(join(setup.dir, 'enabled_plugins'), '[rabbitmq_mqtt].\n');
  const conf = [
    `listeners.tcp.default = ${LOOPBACK}:${setup.amqpPort}`,
    `mqtt.listeners.tcp.default = ${LOOPBACK}:${setup.mqttPort}`,
    'mqtt.allow_anonymous = true',
    `log.file = ${join(setup.dir, 'log', 'rabbit.log')}`,
    'log.console = false',
  ];
  writeFileSync(join(setup.dir, 'rabbitmq.conf'), conf.join('\n') + '\n');
}

function nodeEnv(base: NodeJS.ProcessEnv, setup: NodeSetup): NodeJS.ProcessEnv {
  return {
    ...base,
    RABBITMQ_NODENAME: setup.name,
    RABBITMQ_MNESIA_BASE: join(setup.dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(setup.dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(setup.dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(setup.dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(setup.dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(setup.dir, 'rabbit.pid'),
    RABBITMQ_DIST_PORT: String(setup.distPort),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: LOOPBACK_DIST,
    RABBITMQ_ALLOW_INPUT: '1', // the script execs the VM (see the header)
  };
}

/** Refuses to go on if the pid we hold is not the VM: a SIGKILL on it would not crash the node. */
function checkIsBeam(proc: Proc, name: string): void {
  if (process.platform !== 'linux') return;
  const exe = readlinkSync(`/proc/${String(proc.child.pid)}/exe`);
  if (!exe.endsWith('beam.smp')) throw new Error(`${name}: the spawned process is ${exe}, not beam.smp`);
}

function runCtl(env: NodeJS.ProcessEnv, node: string, args: string[], timeoutMs: number): Promise<string> {
  const proc = launch(join(SBIN, 'rabbitmqctl'), ['-n', node, ...args], env);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)));
  return Promise.race([proc.exited.then(() => false), timedOut]).then(async (late) => {
    clearTimeout(timer);
    if (late) await terminate(proc, 'SIGKILL', 0);
    const code = proc.child.exitCode;
    if (late || code !== 0) {
      throw new Error(`rabbitmqctl -n ${node} ${args.join(' ')} ${late ? `timed out after ${timeoutMs} ms` : proc.exitInfo()}:\n${tail(proc.output())}`);
    }
    return proc.output();
  });
}

function tail(text: string, chars = 4_000): string {
  return text.length <= chars ? text : `…${text.slice(-chars)}`;
}
