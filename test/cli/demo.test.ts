/**
 * `impmqtt demo` (what `npm start` runs): every face against the embedded broker and against
 * mosquitto, exit 0; and without aedes installed, a message saying how to get it or use --url.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../support/examples.js';
import { ProcessRunner } from '../support/cli.js';
import { describeWithMosquitto, startMosquitto } from '../support/mosquitto.js';
import { deadPort } from '../support/ports.js';

const STEPS = [/^broker {6}/, /^imp {9}sendasync at QoS 1 → 0 \(published\); observer got "hello from the imp API"/, /^async {7}published 28\.4, for await read back "28\.4" \(QoS 1\)/, /^queue {7}sent and received mymessage: "ABC123"/, /^gateway {5}signed SendMessage → 200 MsgId [0-9A-F]{32}; observer got "hello from SendMessage"/, /^done {8}every face worked/];

function expectTranscript(stdout: string): void {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(STEPS.length);
  STEPS.forEach((step, i) => expect(lines[i]).toMatch(step));
}

describe('impmqtt demo', () => {
  const runner = new ProcessRunner();
  const dirs: string[] = [];
  afterEach(() => {
    runner.stopAll();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('on the embedded broker: every face works, a line each with its time, exit 0', async () => {
    const finished = await runner.impmqtt(['demo']).done;
    expect(finished.stderr).toBe('');
    expect(finished.status).toBe(0);
    expectTranscript(finished.stdout.toString());
    expect(finished.stdout.toString()).toMatch(/^broker {6}embedded aedes on mqtt:\/\/127\.0\.0\.1:\d+$/m);
  });

  it('installed without aedes (a copy of dist away from node_modules): says how to get it or to pass --url, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'impmqtt-no-aedes-'));
    dirs.push(dir);
    cpSync(join(ROOT, 'dist/node'), join(dir, 'dist/node'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    const finished = await runner.start(process.execPath, [join(dir, 'dist/node/cli/bin.js'), 'demo']).done;
    expect(finished.status).toBe(1);
    expect(finished.stderr).toContain('npm install aedes');
    expect(finished.stderr).toContain('impmqtt demo --url mqtt://');
  });
});

describeWithMosquitto('impmqtt demo --url', () => {
  const runner = new ProcessRunner();
  afterAll(() => runner.stopAll());

  it('against mosquitto: the same steps, exit 0', async () => {
    const broker = await startMosquitto();
    try {
      const finished = await runner.impmqtt(['demo', '--url', broker.url]).done;
      expect(finished.status).toBe(0);
      expectTranscript(finished.stdout.toString());
    } finally {
      await broker.stop();
    }
  });

  it('a broker that is not there: which step failed and why, exit 1', async () => {
    const finished = await runner.impmqtt(['demo', '--url', `mqtt://127.0.0.1:${await deadPort()}`]).done;
    expect(finished.status).toBe(1);
    expect(finished.stderr).toMatch(/^impmqtt demo: /);
  });
});
