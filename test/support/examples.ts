/**
 * Running the runnable examples (examples/<face>/*.mjs) as child processes, exactly as their npm
 * scripts run them: on the built package (dist/), which is built first when it is stale.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { describeWithMosquitto, startMosquitto } from './mosquitto.js';
import type { MosquittoBroker } from './mosquitto.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist/esm/index.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ unless it is already newer than every source file (`types: false`: the JavaScript only, `--no-types`). */
export function ensureBuilt(options: { types?: boolean } = {}): void {
  if (existsSync(DIST) && statSync(DIST).mtimeMs >= newestMtime(join(ROOT, 'src'))) return;
  const flags = options.types === false ? ['--no-types'] : [];
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), ...flags], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
}

export interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Example processes started by a suite; kill the ones still running in its afterAll. */
export class ExampleRunner {
  readonly children: ChildProcess[] = [];

  /** `script` relative to the repository (or absolute); `stdin: 'pipe'` leaves `child.stdin` to the caller. */
  run(script: string, args: string[], env: Record<string, string> = {}, options: { cwd?: string; stdin?: 'ignore' | 'pipe' } = {}): Run {
    const child = spawn(process.execPath, [resolve(ROOT, script), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...env },
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    });
    this.children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, stdout: () => out, stderr: () => err, exit };
  }

  killAll(): void {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** The exit code, within `ms` (a bound against hangs, naming what the process printed). */
export async function exitCode(r: Run, what: string, ms = 20_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not exit within ${ms} ms (stdout: ${JSON.stringify(r.stdout())}, stderr: ${JSON.stringify(r.stderr())})`)), ms);
  });
  try {
    return await Promise.race([r.exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A suite of example runs against one mosquitto (skipped, or failed under
 * MQTT_REQUIRE_MOSQUITTO, where mosquitto is missing): dist/ built first, every example process
 * and the broker stopped at the end.
 */
export function describeExamples(title: string, body: (broker: () => MosquittoBroker, runner: ExampleRunner) => void): void {
  const runner = new ExampleRunner();
  describeWithMosquitto(title, () => {
    let broker: MosquittoBroker | undefined;
    beforeAll(async () => {
      ensureBuilt();
      broker = await startMosquitto();
    }, 150_000);
    afterAll(async () => {
      runner.killAll();
      await broker?.stop();
    });
    body(() => broker!, runner);
  });
}
