/**
 * The imp examples (examples/imp/send.mjs, examples/imp/subscribe.mjs) run as child processes
 * against a mosquitto started here, exactly as `npm run example:imp:*` runs them: on the built
 * package (dist/). The subscriber starts first; once it reports its subscription, the sender
 * publishes the seed 000 message; both must exit 0 with the expected output.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithMosquitto, startMosquitto } from '../../support/mosquitto.js';
import type { MosquittoBroker } from '../../support/mosquitto.js';
import { getFreePort } from '../../support/ports.js';
import { impUrl, waitFor, within } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SEND = join(ROOT, 'examples/imp/send.mjs');
const SUBSCRIBE = join(ROOT, 'examples/imp/subscribe.mjs');
const DIST = join(ROOT, 'dist/esm/index.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ unless it is already newer than every source file. */
function ensureBuilt(): void {
  if (existsSync(DIST) && statSync(DIST).mtimeMs >= newestMtime(join(ROOT, 'src'))) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];

function run(script: string, args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function exitCode(r: Run, what: string): Promise<number | null> {
  return within(r.exit, `${what} to exit (stdout: ${JSON.stringify(r.stdout())}, stderr: ${JSON.stringify(r.stderr())})`, 20_000);
}

describeWithMosquitto('imp examples (examples/imp/*.mjs on dist/)', () => {
  let broker: MosquittoBroker;

  beforeAll(async () => {
    ensureBuilt();
    broker = await startMosquitto();
  }, 150_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await broker?.stop();
  });

  it('subscribe.mjs receives what send.mjs publishes; both exit 0', async () => {
    const url = impUrl(broker.url);
    const subscriber = run(SUBSCRIBE, [url, '1'], { MQTT_TIMEOUT_MS: '15000' });
    await waitFor(() => /Subscribed to imp\.mqtt\.test\.pings/.test(subscriber.stdout()) || subscriber.child.exitCode !== null, 'the subscriber to subscribe', 15_000);
    expect(subscriber.stdout()).toMatch(/Subscribed to imp\.mqtt\.test\.pings with delivery mode 1/);

    // The sender takes its URL from MQTT_URL this time.
    const sender = run(SEND, [], { MQTT_URL: url });
    expect(await exitCode(sender, 'send.mjs')).toBe(0);
    expect(sender.stdout()).toContain('Posting the message');
    expect(sender.stdout()).toContain('The message was published');
    expect(sender.stdout()).not.toContain('not published');
    expect(sender.stdout()).toContain('Disconnected');
    expect(sender.stderr()).toBe('');

    expect(await exitCode(subscriber, 'subscribe.mjs')).toBe(0);
    expect(subscriber.stdout()).toContain('Message received on topic imp.mqtt.test.pings: This is a test message (qos 1, retain 0, dup 0)');
    expect(subscriber.stderr()).toBe('');
  });

  it('send.mjs reports a connection failure and exits non-zero (no hang)', async () => {
    const port = await getFreePort();
    const sender = run(SEND, [`tcp://127.0.0.1:${port}`]);
    expect(await exitCode(sender, 'send.mjs')).toBe(1);
    expect(sender.stderr()).toMatch(/Could not connect to tcp:\/\/127\.0\.0\.1:\d+: Socket error/);
  });

  it('subscribe.mjs gives up after its timeout with exit code 1', async () => {
    const subscriber = run(SUBSCRIBE, [impUrl(broker.url)], { MQTT_TIMEOUT_MS: '300', MQTT_TOPIC: 'nobody/publishes/here' });
    expect(await exitCode(subscriber, 'subscribe.mjs')).toBe(1);
    expect(subscriber.stderr()).toMatch(/Timed out after 300 ms with 0 of 1 message/);
  });
});
