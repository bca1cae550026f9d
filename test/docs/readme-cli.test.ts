/**
 * The README's `impmqtt` command lines, run as written against brokers started here on loopback:
 * `impmqtt` is the package's bin (dist/node/cli/bin.js, run by node), each line is read as sh
 * reads it (readme-support.ts, shellLine) and its stages are started by the harness, a pipe
 * between them.
 *
 * Rewrites, per line and literal (each must be found): the broker's address. A line that names
 * none (mosquitto's default, localhost:1883) gets `-h 127.0.0.1 -p <port>` after its
 * subcommand; `-h broker.local` becomes `-h 127.0.0.1 -p <port>`; the host in `-L`'s URL becomes
 * 127.0.0.1:<port>; the gateway's `--http-port 8080` a free port (it serves on 127.0.0.1 by
 * default). Files a line names (`app.log`, `ca.pem`) are made in the directory it runs in: ca.pem
 * is the test CA, the TLS broker's issuer.
 *
 * The tests run in the README's order and build on one another as its lines do: the message the
 * first `pub` line retains is the first that each `sub` line receives.
 *
 * Commands that run until stopped (`sub` without -C, `tail -f`, `gateway`) are run until they
 * have done what the README says, then stopped as the README says they stop: `sub` by SIGINT,
 * `gateway` by SIGTERM (both exit 0), `tail -f` by killing it, which ends `pub -l`'s stdin.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAedes } from '../support/aedes.js';
import type { AedesBroker } from '../support/aedes.js';
import { certPaths } from '../support/certs.js';
import { BIN } from '../support/cli.js';
import { exitCode } from '../support/examples.js';
import type { Run } from '../support/examples.js';
import { getServerPort, waitForPort } from '../support/ports.js';
import { ReadmeSuite, WAIT_MS, brokerPublish, printed, readmeBlock, rewrite, shellLine, until, watchBroker } from './readme-support.js';
import type { Seen } from './readme-support.js';

const PUB_SUB = 'The command line: `impmqtt pub`, `sub`, `bench`, `gateway`, `demo` #1';
const GATEWAY = 'The command line: `impmqtt pub`, `sub`, `bench`, `gateway`, `demo` #3';

/** The block's command lines (comments and blank lines aside). */
function commandLines(key: string): string[] {
  return readmeBlock(key).code.split('\n').filter((line) => line.trim() !== '');
}

/** Lines of the run blocks that are not run, and why. */
const LINES_EXCLUDED: Readonly<Record<string, string>> = {
  'impmqtt gateway --config gateway.json --http-host 0.0.0.0':
    'its gateway.json is not in the README (the config file is test/cli/gateway-config.test.ts\'s), and it serves on every interface, where tests listen on loopback only',
};

describe('README command lines, run on dist/', () => {
  const suite = new ReadmeSuite();
  const { runner, files } = suite;
  let tlsBroker: AedesBroker;
  let tlsSeen: Seen;
  const ran = new Set<string>();

  beforeAll(async () => {
    tlsBroker = await startAedes({ tls: true, users: { alice: 'secret' } });
    tlsSeen = watchBroker(tlsBroker.broker);
    copyFileSync(certPaths.caCert, join(files.dir, 'ca.pem'));
  });

  afterAll(async () => {
    await tlsBroker?.stop();
  });

  /** The README line `line` of `key`, after `rewrites`: its stages' env and argv. */
  function line(key: string, text: string, rewrites: readonly (readonly [string, string])[]) {
    expect(commandLines(key).map((l) => l.trim())).toContain(text);
    ran.add(text);
    return shellLine(rewrite(text, rewrites));
  }

  /** Starts an `impmqtt …` stage (in the suite's directory). */
  function impmqtt(stage: { env: Record<string, string>; argv: string[] }, stdin: 'ignore' | 'pipe' = 'ignore'): Run {
    expect(stage.argv[0]).toBe('impmqtt');
    return runner.run(BIN, stage.argv.slice(1), stage.env, { cwd: files.dir, stdin });
  }

  /** For a line that names no broker: `-h 127.0.0.1 -p <port>` after `command` (`impmqtt sub`). */
  const local = (command: string): [string, string] => [command, `${command} -h 127.0.0.1 -p ${suite.broker.port}`];

  it('pub -r: a retained QoS 1 message, then exit 0', async () => {
    const [stage] = line(PUB_SUB, 'impmqtt pub -h broker.local -t sensors/1/temp -m 21.5 -q 1 -r', [['-h broker.local', `-h 127.0.0.1 -p ${suite.broker.port}`]]);
    const run = impmqtt(stage!);
    expect(await exitCode(run, 'pub')).toBe(0);
    expect(run.stderr()).toBe('');
    expect(suite.seen.publishes).toContainEqual(expect.objectContaining({ topic: 'sensors/1/temp', text: '21.5', qos: 1, retain: true }));
  });

  it('tail -f | pub -l: a message per line as each line comes; exit 0 when the pipe ends', async () => {
    writeFileSync(join(files.dir, 'app.log'), '');
    const [tail, pub] = line(PUB_SUB, 'tail -f app.log | impmqtt pub -t logs/app -l            # a message per line, sent as each line comes', [local('impmqtt pub')]);
    expect(tail!.argv).toEqual(['tail', '-f', 'app.log']);
    const source = spawn(tail!.argv[0]!, tail!.argv.slice(1), { cwd: files.dir, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const run = impmqtt(pub!, 'pipe');
      source.stdout.pipe(run.child.stdin!);
      appendFileSync(join(files.dir, 'app.log'), 'started\n');
      await until(run, () => suite.seen.publishes.some((p) => p.topic === 'logs/app'), 'the first line going out');
      appendFileSync(join(files.dir, 'app.log'), 'working\nstopping\n');
      await until(run, () => suite.seen.publishes.filter((p) => p.topic === 'logs/app').length === 3, 'the next two lines going out');
      expect(suite.seen.publishes.filter((p) => p.topic === 'logs/app').map((p) => p.text)).toEqual(['started', 'working', 'stopping']);
      source.kill(); // tail -f runs until stopped; its end is pub's end of input
      expect(await exitCode(run, 'pub -l')).toBe(0);
      expect(run.stderr()).toBe('');
    } finally {
      source.kill('SIGKILL');
    }
  });

  it('pub -L mqtts://user:password@host/topic --cafile: over TLS, authenticated', async () => {
    const [stage] = line(PUB_SUB, 'impmqtt pub -L mqtts://alice:secret@broker.example.com/status -m up --cafile ca.pem', [['@broker.example.com/', `@127.0.0.1:${tlsBroker.port}/`]]);
    const run = impmqtt(stage!);
    expect(await exitCode(run, 'pub -L')).toBe(0);
    expect(run.stderr()).toBe('');
    expect(tlsSeen.publishes).toContainEqual(expect.objectContaining({ topic: 'status', text: 'up', qos: 0 }));
  });

  it("sub -t 'sensors/#' -v: topic and payload per line (the retained one first); SIGINT exits 0", async () => {
    const [stage] = line(PUB_SUB, "impmqtt sub -t 'sensors/#' -v", [local('impmqtt sub')]);
    const run = impmqtt(stage!);
    await printed(run, 'sensors/1/temp 21.5\n'); // retained by the pub -r line
    await until(run, () => suite.seen.subscriptions.some((s) => s.topic === 'sensors/#'), 'subscribing');
    await brokerPublish(suite.broker.broker, 'sensors/2/humidity', '40');
    await printed(run, 'sensors/2/humidity 40\n');
    run.child.kill('SIGINT');
    expect(await exitCode(run, 'sub after SIGINT')).toBe(0);
    expect(run.stdout()).toBe('sensors/1/temp 21.5\nsensors/2/humidity 40\n');
    expect(run.stderr()).toBe('');
  });

  it("sub -F '%I %t %p' -C 10 -W 60: ten formatted lines, then exit 0", async () => {
    const [stage] = line(PUB_SUB, "impmqtt sub -t 'sensors/+/temp' -F '%I %t %p' -C 10 -W 60", [local('impmqtt sub')]);
    const subscribed = suite.seen.subscriptions.filter((s) => s.topic === 'sensors/+/temp').length;
    const run = impmqtt(stage!);
    await until(run, () => suite.seen.subscriptions.filter((s) => s.topic === 'sensors/+/temp').length > subscribed, 'subscribing');
    for (let i = 2; i <= 10; i++) await brokerPublish(suite.broker.broker, `sensors/${i}/temp`, `${20 + i}`);
    expect(await exitCode(run, 'sub -C 10')).toBe(0);
    const lines = run.stdout().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} sensors\/1\/temp 21\.5$/); // the retained one
    expect(lines[9]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} sensors\/10\/temp 30$/);
  });

  it("sub -c -i audit -q 1 -F %j: one JSON line per message, and the kept session's messages after a restart", async () => {
    const [stage] = line(PUB_SUB, "impmqtt sub -c -i audit -q 1 -t 'orders/#' -F %j        # a persistent session, one JSON line per message", [local('impmqtt sub')]);
    const first = impmqtt(stage!);
    await until(first, () => suite.seen.subscriptions.some((s) => s.topic === 'orders/#' && s.clientId === 'audit'), 'subscribing');
    await brokerPublish(suite.broker.broker, 'orders/1', '{"id":1}', 1);
    await until(first, () => first.stdout().endsWith('\n'), 'a line');
    first.child.kill('SIGINT');
    expect(await exitCode(first, 'sub -c after SIGINT')).toBe(0);
    // Sent while it is away: the broker keeps it for the session.
    await brokerPublish(suite.broker.broker, 'orders/2', '{"id":2}', 1);
    const second = impmqtt(stage!);
    await until(second, () => second.stdout().endsWith('\n'), 'the kept message');
    second.child.kill('SIGINT');
    expect(await exitCode(second, 'the second sub -c after SIGINT')).toBe(0);
    const [one, two] = [first, second].map((run) => run.stdout().trimEnd().split('\n').map((text) => JSON.parse(text)));
    expect(one).toEqual([expect.objectContaining({ topic: 'orders/1', qos: 1, retain: 0, payload: '{"id":1}' })]);
    expect(two).toEqual([expect.objectContaining({ topic: 'orders/2', qos: 1, payload: '{"id":2}' })]);
    expect(first.stderr() + second.stderr()).toBe('');
  });

  it('gateway from flags and $IMPMQTT_ACCESS_KEY_SECRET: a signed SendMessage is published; SIGTERM exits 0', async () => {
    const httpPort = await getServerPort();
    const [stage] = line(GATEWAY, 'IMPMQTT_ACCESS_KEY_SECRET=s3cret impmqtt gateway --access-key-id LTAI-app --instances post-cn-1 -h broker.local --http-port 8080', [
      ['-h broker.local', `-h 127.0.0.1 -p ${suite.broker.port}`],
      ['--http-port 8080', `--http-port ${httpPort}`],
    ]);
    expect(stage!.env).toEqual({ IMPMQTT_ACCESS_KEY_SECRET: 's3cret' });
    const run = impmqtt(stage!);
    await waitForPort(httpPort, { abort: () => (run.child.exitCode === null ? undefined : `the gateway exited: ${run.stderr()}`) });
    await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200), { timeout: WAIT_MS, interval: 50 });
    const RPCClient = createRequire(import.meta.url)('@alicloud/pop-core') as new (config: Record<string, unknown>) => { request(action: string, params: Record<string, string>): Promise<{ MsgId: string }> };
    const client = new RPCClient({ accessKeyId: 'LTAI-app', accessKeySecret: 's3cret', endpoint: `http://127.0.0.1:${httpPort}`, apiVersion: '2020-04-20' });
    const answer = await client.request('SendMessage', { InstanceId: 'post-cn-1', MqttTopic: 'devices/7/cmd', Payload: 'ping' });
    expect(answer.MsgId).toMatch(/^[0-9A-F]{32}$/);
    expect(suite.seen.publishes).toContainEqual(expect.objectContaining({ topic: 'devices/7/cmd', text: 'ping', qos: 1 }));
    run.child.kill('SIGTERM');
    expect(await exitCode(run, 'gateway after SIGTERM')).toBe(0);
  });

  it('every command line of the run blocks was run above or is excluded with its reason', () => {
    const lines = [...commandLines(PUB_SUB), ...commandLines(GATEWAY)].map((l) => l.trim());
    expect(lines.filter((l) => !ran.has(l) && !(l in LINES_EXCLUDED))).toEqual([]);
    expect(Object.keys(LINES_EXCLUDED).every((l) => lines.includes(l))).toBe(true);
  });
});
