// Child processes of bench/e2e.mjs (the scripts beside this file: publisher, subscriber, latency,
// idle), spoken to over IPC. Every child and the broker are tracked and killed on the way out,
// whatever happens.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Every child still running. */
export const children = new Set();
let spawnOptions = { cwd: process.cwd(), env: process.env };

/** Children run in `cwd` with `env` (IMPMQTT_DIST pointing at the parent's build snapshot). */
export function configureChildren(cwd, env) {
  spawnOptions = { cwd, env };
}

/** Kills every child and the broker `getBroker()` returns, and removes `tmp`, on exit or on
 * SIGINT / SIGTERM / SIGHUP. */
export function cleanUpOnExit(getBroker, tmp) {
  function cleanupSync() {
    for (const child of children) {
      try {
        child.proc.kill('SIGKILL');
      } catch {}
    }
    children.clear();
    const broker = getBroker();
    if (broker && broker.proc.exitCode === null && broker.proc.signalCode === null) {
      try {
        broker.proc.kill('SIGKILL');
      } catch {}
    }
    try {
      rmSync(tmp, { recursive: true, force: true });
    } catch {}
  }
  process.on('exit', cleanupSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping the broker and child processes.`);
      cleanupSync();
      process.exit(130);
    });
  }
}

export class Child {
  constructor(script, cfg, nodeArgs = []) {
    this.name = `${script}(${cfg.lib ?? 'both'})`;
    this.queue = [];
    this.waiters = [];
    this.events = [];
    this.exit = null;
    this.proc = spawn(process.execPath, [...nodeArgs, join(here, script), JSON.stringify(cfg)], { ...spawnOptions, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(this);
    this.proc.on('message', (message) => {
      if (message.type === 'closed') this.events.push(message.description);
      this.queue.push(message);
      this.deliver();
    });
    this.proc.on('exit', (code, signal) => {
      children.delete(this);
      this.exit = { code, signal };
      this.deliver();
    });
    this.proc.on('error', (error) => {
      this.queue.push({ type: 'error', message: error.message });
      this.deliver();
    });
  }

  deliver() {
    for (const waiter of [...this.waiters]) {
      const index = this.queue.findIndex((m) => m.type === waiter.type || m.type === 'error');
      if (index !== -1) {
        const [message] = this.queue.splice(index, 1);
        waiter.resolve(message);
      } else if (this.exit) waiter.resolve({ type: 'exit', ...this.exit });
      else continue;
      clearTimeout(waiter.timer);
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
    }
  }

  /** The next message of `type` (or an 'error' message, an 'exit', or a 'timeout'). */
  next(type, timeoutMs) {
    return new Promise((resolve) => {
      const waiter = { type, resolve };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve({ type: 'timeout' });
      }, timeoutMs);
      this.waiters.push(waiter);
      this.deliver();
    });
  }

  send(message) {
    if (this.exit === null && this.proc.connected) {
      try {
        this.proc.send(message);
      } catch {}
    }
  }

  /** Asks the child to disconnect and exit; kills it if it has not within `graceMs`. */
  async stop(graceMs = 4000) {
    if (this.exit) return this.exit;
    this.send({ type: 'exit' });
    const result = await this.next('__never__', graceMs);
    if (result.type === 'timeout') {
      this.proc.kill('SIGKILL');
      await this.next('__never__', 2000);
      return { code: null, signal: 'SIGKILL', forced: true };
    }
    return this.exit;
  }
}

/** Waits for `type` from `child`, polling its progress each second; gives up when `metric` of the
 * progress has not moved for `stallMs`. */
export async function waitWithProgress(child, type, metric, stallMs) {
  let last = null;
  let lastChange = Date.now();
  let lastProgress = null;
  for (;;) {
    const message = await child.next(type, 1000);
    if (message.type !== 'timeout') return { message, progress: lastProgress };
    child.send({ type: 'progress' });
    const progress = await child.next('progress', 2000);
    if (progress.type === 'progress') {
      lastProgress = progress;
      const value = metric(progress);
      if (value !== last) {
        last = value;
        lastChange = Date.now();
      }
    } else if (progress.type !== 'timeout') {
      return { message: progress, progress: lastProgress }; // exit or error
    }
    if (Date.now() - lastChange > stallMs) return { message: { type: 'stalled' }, progress: lastProgress };
  }
}
