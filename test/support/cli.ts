/**
 * Running `impmqtt` (the built bin, dist/node/cli/bin.js) and mosquitto's own clients as child
 * processes: stdin given as bytes, stdout kept as bytes, every process bounded in time and
 * stopped by the suite (by its own handle) when still running at the end.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './examples.js';

export const BIN = join(ROOT, 'dist/node/cli/bin.js');

export interface Finished {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  done: Promise<Finished>;
  /** What it has written to stderr so far. */
  stderr(): string;
}

export class ProcessRunner {
  readonly #children = new Set<ChildProcess>();

  /** Starts `file args`; `stdin` is written then closed (none: closed at once). */
  start(file: string, args: readonly string[], options: { stdin?: Uint8Array; env?: Record<string, string>; timeoutMs?: number } = {}): Running {
    const child = spawn(file, args, { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.#children.add(child);
    const out: Buffer[] = [];
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.stdin!.on('error', () => {}); // a child that exits early closes its stdin
    child.stdin!.end(options.stdin);
    const timeoutMs = options.timeoutMs ?? 20_000;
    const done = new Promise<Finished>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${file} ${args.join(' ')} did not exit within ${timeoutMs} ms (stderr: ${JSON.stringify(err)})`));
      }, timeoutMs);
      child.once('close', (status) => {
        clearTimeout(timer);
        this.#children.delete(child);
        resolve({ status, stdout: Buffer.concat(out), stderr: err });
      });
    });
    return { child, done, stderr: () => err };
  }

  impmqtt(args: readonly string[], options: { stdin?: Uint8Array; env?: Record<string, string>; timeoutMs?: number } = {}): Running {
    return this.start(process.execPath, [BIN, ...args], options);
  }

  /** Stops what is still running (each by its own handle). */
  stopAll(): void {
    for (const child of this.#children) child.kill('SIGKILL');
  }
}

/** Resolves once `running` has printed `text` on stderr (e.g. a -d line), or rejects when it exits first. */
export async function stderrShows(running: Running, text: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!running.stderr().includes(text)) {
    if (running.child.exitCode !== null || Date.now() > deadline) throw new Error(`never printed ${JSON.stringify(text)} on stderr: ${JSON.stringify(running.stderr())}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The stderr lines, without the empty one after the last newline. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line, i, all) => line !== '' || i < all.length - 1);
}
