// mosquitto for the benchmarks: started on a free 127.0.0.1 port with settings under which the
// broker drops nothing, stopped by its PID, and its CPU time read from /proc.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const BROKER_SETTINGS = [
  'allow_anonymous true',
  'persistence false',
  // 0 = no limit. With mosquitto's defaults (20 in flight, 1000 queued per client) a QoS 1 burst
  // loses messages at the broker. With both at 0 (and max_inflight_bytes / max_queued_bytes at
  // their default 0), mosquitto 2.0's db__ready_for_flight() admits every outgoing message, QoS 0
  // included, so the broker drops nothing; the subscriber's counts check that.
  'max_inflight_messages 0',
  'max_queued_messages 0',
  'max_inflight_bytes 0',
  'max_queued_bytes 0',
  'sys_interval 0',
  'connection_messages false',
  'log_dest stderr',
  'log_type error',
  'log_type warning',
];

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts `binary` with BROKER_SETTINGS (and `settings` after them) and a config file in `dir`;
 * resolves once it accepts connections. With `openFiles`, it starts under `ulimit -n openFiles`
 * (a shell that then execs it, so the PID is mosquitto's own).
 */
export async function startMosquitto(binary, dir, { settings = [], openFiles } = {}) {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  const lines = [...BROKER_SETTINGS, ...settings];
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, ...lines, ''].join('\n'));
  const proc = spawnWithOpenFiles(binary, ['-c', conf], openFiles, { stdio: ['ignore', 'ignore', 'pipe'] });
  const broker = { port, proc, log: '', conf: lines };
  proc.stderr.on('data', (chunk) => {
    broker.log = (broker.log + chunk.toString()).slice(-8000);
  });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) break;
    if (await canConnect(port)) return broker;
    await sleep(50);
  }
  proc.kill('SIGKILL');
  throw new Error(`mosquitto did not start on 127.0.0.1:${port}:\n${broker.log}`);
}

/**
 * Node cannot raise its own open-file limit (no setrlimit), so a process that needs more than the
 * soft limit starts from a shell that raises it (up to the hard limit) and then execs it.
 */
export function spawnWithOpenFiles(file, args, openFiles, options) {
  if (openFiles === undefined) return spawn(file, args, options);
  return spawn('sh', ['-c', 'ulimit -n "$0" && exec "$@"', String(openFiles), file, ...args], options);
}

/** The hard open-file limit of processes started from here (Infinity: unlimited). */
export function hardOpenFileLimit() {
  const text = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  return text === 'unlimited' ? Infinity : Number(text);
}

/** SIGTERM, then SIGKILL after 3 s: only the process this module started. */
export async function stopMosquitto(broker) {
  if (!broker) return;
  const { proc } = broker;
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    if ((await Promise.race([exited.then(() => true), sleep(3000).then(() => false)])) === false) {
      proc.kill('SIGKILL');
      await exited;
    }
  }
}

/** A process's CPU time so far, µs (from /proc; 10 ms resolution), or null. */
export function processCpuUs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1e6) / 100;
  } catch {
    return null;
  }
}
