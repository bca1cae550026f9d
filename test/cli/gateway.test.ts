/**
 * `impmqtt gateway` as a child process: configured from flags and the environment, or from a
 * JSON file; answers the real pop-core; SIGTERM stops it with exit 0; configuration mistakes are
 * one line and exit 1; secrets never appear in its output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { MqttClient } from '../../src/client/index.js';
import { collectMessages, subscribeAsync, until, utf8, waitFor } from '../client/helpers.js';
import { popCore } from '../api/gateway/sdk.js';
import { ProcessRunner } from '../support/cli.js';
import type { Running } from '../support/cli.js';
import { describeWithMosquitto, startMosquitto } from '../support/mosquitto.js';
import type { MosquittoBroker } from '../support/mosquitto.js';
import { listenOnLoopback } from '../support/ports.js';

const SECRET = 'cli-secret-value-9f3a';

/** The port a running gateway printed on its first stdout line. */
async function servedPort(running: Running, stdout: () => string): Promise<number> {
  await until(() => /http:\/\/127\.0\.0\.1:\d+\//.test(stdout()) || running.child.exitCode !== null, 'the gateway to print its address');
  const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout());
  if (match === null) throw new Error(`the gateway did not start: ${running.stderr()}`);
  const port = Number(match[1]);
  // Serving HTTP comes first; calls are refused (SendMessageFailed) until the broker is connected.
  const deadline = Date.now() + 10_000;
  while ((await fetch(`http://127.0.0.1:${port}/healthz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('the gateway never reported healthy');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return port;
}

function capture(running: Running): () => string {
  let text = '';
  running.child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

describeWithMosquitto('impmqtt gateway', () => {
  let broker: MosquittoBroker;
  let subscriber: MqttClient;
  const runner = new ProcessRunner();
  const dirs: string[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    subscriber = new MqttClient({ url: broker.url, reconnect: false });
    subscriber.connect();
    await waitFor(subscriber, 'connect');
    await subscribeAsync(subscriber, [{ topic: 'cli/gw/#', qos: 1 }]);
  });
  afterEach(() => {
    runner.stopAll();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    subscriber?.destroy();
    await broker?.stop();
  });

  it('from flags and $IMPMQTT_ACCESS_KEY_SECRET: pop-core calls it, the message arrives, SIGTERM exits 0', async () => {
    const running = runner.impmqtt(['gateway', '--access-key-id', 'testid', '--instances', 'post-cn-1', '-h', '127.0.0.1', '-p', String(broker.port), '--http-port', '0'], { env: { IMPMQTT_ACCESS_KEY_SECRET: SECRET } });
    const stdout = capture(running);
    const port = await servedPort(running, stdout);
    const received = collectMessages(subscriber, 'cli/gw/flags');
    const answer = await popCore(`http://127.0.0.1:${port}`, { accessKeyId: 'testid', accessKeySecret: SECRET }).request('SendMessage', { InstanceId: 'post-cn-1', MqttTopic: 'cli/gw/flags', Payload: 'from the CLI' });
    expect(answer.MsgId).toMatch(/^[0-9A-F]{32}$/);
    expect(utf8((await received.wait(1))[0]!.payload)).toBe('from the CLI');
    expect(stdout()).toContain('access keys: testid (instances: post-cn-1)');
    running.child.kill('SIGTERM');
    const finished = await running.done;
    expect(finished.status).toBe(0);
    expect(stdout()).toContain('stopping');
    expect(stdout() + finished.stderr).not.toContain(SECRET);
  });

  it('from a JSON config file, the secret from the variable it names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'impmqtt-gw-cli-'));
    dirs.push(dir);
    const config = join(dir, 'gateway.json');
    writeFileSync(config, JSON.stringify({ http: { port: 0 }, mqtt: { url: broker.url }, qos: 1, accessKeys: [{ accessKeyId: 'filekey', accessKeySecretEnv: 'GW_SECRET', instances: ['post-cn-2'] }] }));
    const running = runner.impmqtt(['gateway', '--config', config], { env: { GW_SECRET: SECRET } });
    const port = await servedPort(running, capture(running));
    const received = collectMessages(subscriber, 'cli/gw/file');
    await popCore(`http://127.0.0.1:${port}`, { accessKeyId: 'filekey', accessKeySecret: SECRET }).request('SendMessage', { InstanceId: 'post-cn-2', MqttTopic: 'cli/gw/file', Payload: 'from the file' });
    expect(utf8((await received.wait(1))[0]!.payload)).toBe('from the file');
    running.child.kill('SIGTERM');
    expect((await running.done).status).toBe(0);
  });

  it("--help states the gateway's own QoS default (1), not pub's and sub's (0)", async () => {
    const finished = await runner.impmqtt(['gateway', '--help']).done;
    const qosLine = finished.stdout.toString('utf8').split('\n').find((line) => line.trimStart().startsWith('-q, --qos'));
    expect(qosLine).toMatch(/\(default 1\b/);
  });

  const mistakes: [string, string[], Record<string, string>, RegExp][] = [
    ['no access key at all', ['gateway', '-h', '127.0.0.1', '-p', '1'], {}, /No access keys/],
    ['a key id without its secret', ['gateway', '--access-key-id', 'k', '-h', '127.0.0.1', '-p', '1'], {}, /IMPMQTT_ACCESS_KEY_SECRET/],
    ['a config file that is not JSON', ['gateway', '--config', '/dev/null'], {}, /not a JSON object/],
    ['a config file that does not exist', ['gateway', '--config', '/nonexistent/gw.json'], {}, /cannot read/],
    ['an unknown flag', ['gateway', '--frobnicate'], {}, /Unknown option '--frobnicate'/],
    ['a bad HTTP port', ['gateway', '--http-port', 'eighty'], {}, /Invalid HTTP port/],
    ['--instances with no instance id in it', ['gateway', '--access-key-id', 'k', '--instances', ' , ', '-h', '127.0.0.1', '-p', '1'], { IMPMQTT_ACCESS_KEY_SECRET: 's' }, /--instances needs at least one instance id/],
  ];
  for (const [what, args, env, message] of mistakes) {
    it(`${what}: one line on stderr, exit 1`, async () => {
      const finished = await runner.impmqtt(args, { env }).done;
      expect(finished.status).toBe(1);
      expect(finished.stderr).toMatch(message);
      expect(finished.stderr.trim().split('\n')).toHaveLength(1);
    });
  }

  it('an HTTP port already in use: a clear line and exit 1', async () => {
    const blocker = createServer();
    const port = await listenOnLoopback(blocker);
    try {
      const finished = await runner.impmqtt(['gateway', '--allow-anonymous', '-h', '127.0.0.1', '-p', String(broker.port), '--http-port', String(port)]).done;
      expect(finished.status).toBe(1);
      expect(finished.stderr).toMatch(new RegExp(`Cannot serve HTTP on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
    } finally {
      blocker.close();
    }
  });
});
