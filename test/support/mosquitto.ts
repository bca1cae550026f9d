/**
 * Launches a real mosquitto broker as a child process for one test suite: its own config in
 * its own temp dir, listeners on free 127.0.0.1 ports only, stopped and cleaned up by stop().
 *
 *   describeWithMosquitto('session resumption', () => {
 *     let broker: MosquittoBroker;
 *     beforeAll(async () => { broker = await startMosquitto({ persistence: true }); });
 *     afterAll(async () => { await broker?.stop(); });
 *     it('...', async () => { ... broker.url ... await broker.restart(); ... });
 *   });
 *
 * Quirks of mosquitto 2.x handled here:
 *  - 2.x binds nothing and refuses anonymous clients unless told otherwise, so every config
 *    names its `listener <port> 127.0.0.1` and says `allow_anonymous` explicitly.
 *  - Started as root it drops privileges to the `mosquitto` user, which then cannot write the
 *    persistence file (or read the password file) in a 0700 temp dir owned by root; as root we
 *    therefore write `user root`. (Non-root runs keep their own user and need nothing.)
 *  - The Debian build has no websockets support (no libwebsockets), so there is no WS listener;
 *    use startAedesWebSocket() for WebSocket tests.
 *  - Password files use the `$7$` format (PBKDF2-SHA512, 101 iterations) that
 *    `mosquitto_passwd -b` writes; when that tool is missing we write the same format ourselves.
 *  - 2.0.11 answers a wrong password, an unknown user and an anonymous client (with
 *    allow_anonymous false) alike with CONNACK 5 (not authorized), not 4, on MQTT 3.1.1.
 *  - A subscription an ACL denies is still granted in SUBACK (no 0x80); messages are just not
 *    delivered. Use aedes' authorizeSubscribe for SUBACK 0x80 tests.
 *
 * Set MQTT_DEBUG_BROKER=1 to have every broker's log printed when it stops.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'vitest';
import { certPaths, serverIdentityPaths } from './certs.js';
import { findExecutable, isExecutable } from './executables.js';
import type { ServerIdentityName } from './certs.js';
import { LOOPBACK, getServerPort, waitForPort } from './ports.js';

// ---------------------------------------------------------------------------------------------
// Finding the binaries

let cachedBinary: string | null | undefined;

/** Path of the mosquitto binary ($MOSQUITTO_BIN if set, else /usr/sbin/mosquitto, ... or PATH), if any. */
export function mosquittoPath(): string | undefined {
  if (cachedBinary === undefined) {
    const fromEnv = process.env.MOSQUITTO_BIN;
    // An explicit MOSQUITTO_BIN is final: pointing it at nothing (e.g. MOSQUITTO_BIN=none)
    // simulates a machine without mosquitto.
    cachedBinary =
      fromEnv !== undefined && fromEnv !== ''
        ? isExecutable(fromEnv)
          ? fromEnv
          : null
        : findExecutable('mosquitto', ['/usr/sbin', '/usr/local/sbin', '/opt/homebrew/sbin']) ?? null;
  }
  return cachedBinary ?? undefined;
}

/** True when a mosquitto binary is installed. */
export function mosquittoAvailable(): boolean {
  return mosquittoPath() !== undefined;
}

/** `mosquitto_passwd`, looked for next to mosquitto first, then in the usual places. */
export function mosquittoPasswdPath(): string | undefined {
  const binary = mosquittoPath();
  const near = binary === undefined ? [] : [dirname(binary), join(dirname(binary), '..', 'bin')];
  return findExecutable('mosquitto_passwd', [...near, '/usr/bin', '/usr/local/bin', '/opt/homebrew/bin']);
}

let cachedVersion: string | null | undefined;

/** The installed version ("2.0.11"), from the first line of `mosquitto -h`. */
export function mosquittoVersion(): string | undefined {
  if (cachedVersion === undefined) {
    const binary = mosquittoPath();
    cachedVersion = null;
    if (binary !== undefined) {
      const out = spawnSync(binary, ['-h'], { encoding: 'utf8', timeout: 5_000 });
      const match = /mosquitto version (\S+)/.exec(`${out.stdout ?? ''}${out.stderr ?? ''}`);
      cachedVersion = match?.[1] ?? null;
    }
  }
  return cachedVersion ?? undefined;
}

// ---------------------------------------------------------------------------------------------
// Skipping or failing suites when mosquitto is missing

export type MosquittoGate = 'run' | 'skip' | 'fail';

/** What a mosquitto suite should do, given availability and MQTT_REQUIRE_MOSQUITTO. */
export function mosquittoGate(available: boolean = mosquittoAvailable(), env: NodeJS.ProcessEnv = process.env): MosquittoGate {
  if (available) return 'run';
  return env.MQTT_REQUIRE_MOSQUITTO === '1' ? 'fail' : 'skip';
}

export function mosquittoSkipMessage(suite: string): string {
  return `mosquitto not installed: skipping ${suite} (set MQTT_REQUIRE_MOSQUITTO=1 to make this an error)`;
}

export function mosquittoMissingMessage(suite: string, packages = 'mosquitto'): string {
  return (
    `mosquitto is required (MQTT_REQUIRE_MOSQUITTO=1) but not installed, so "${suite}" cannot run. ` +
    `Install it with \`apt-get install -y ${packages}\` or point MOSQUITTO_BIN at the binary.`
  );
}

/** mosquitto_pub and mosquitto_sub (Debian's mosquitto-clients), for suites that compare with them. */
export function mosquittoClientsAvailable(): boolean {
  return mosquittoAvailable() && ['mosquitto_pub', 'mosquitto_sub'].every((tool) => findExecutable(tool, ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin']) !== undefined);
}

/**
 * `describe` for suites that need mosquitto. Installed: a plain describe. Missing: the suite is
 * skipped with a printed warning, or — with MQTT_REQUIRE_MOSQUITTO=1, as in CI — replaced by one
 * failing test saying mosquitto is missing. The body is not run at all in the last two cases, so
 * its beforeAll hooks never try to start a broker. `needs: 'clients'`: mosquitto_pub and
 * mosquitto_sub are needed too.
 */
export function describeWithMosquitto(name: string, fn: () => void, needs: 'broker' | 'clients' = 'broker'): void {
  const available = needs === 'broker' ? mosquittoAvailable() : mosquittoClientsAvailable();
  switch (mosquittoGate(available)) {
    case 'run':
      describe(name, fn);
      return;
    case 'skip':
      console.warn(mosquittoSkipMessage(name));
      describe.skip(name, fn);
      return;
    case 'fail':
      describe(name, () => {
        it('needs mosquitto', () => {
          throw new Error(mosquittoMissingMessage(name, needs === 'broker' ? 'mosquitto' : 'mosquitto mosquitto-clients'));
        });
      });
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Password files

const PBKDF2_ITERATIONS = 101;

/** One password-file line in mosquitto's `$7$` (PBKDF2-SHA512) format, as mosquitto_passwd writes it. */
export function hashMosquittoPassword(username: string, password: string, salt: Buffer = randomBytes(12)): string {
  if (username.includes(':')) throw new Error(`A mosquitto username cannot contain ':' (${username})`);
  const hash = pbkdf2Sync(password, salt, PBKDF2_ITERATIONS, 64, 'sha512');
  return `${username}:$7$${PBKDF2_ITERATIONS}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export type PasswordFileMethod = 'auto' | 'mosquitto_passwd' | 'node';

/** Writes a password file for `users`; returns which method produced it. */
export function writeMosquittoPasswordFile(
  file: string,
  users: Readonly<Record<string, string>>,
  method: PasswordFileMethod = 'auto',
): 'mosquitto_passwd' | 'node' {
  const tool = method === 'node' ? undefined : mosquittoPasswdPath();
  if (method === 'mosquitto_passwd' && tool === undefined) throw new Error('mosquitto_passwd is not installed');
  if (tool === undefined) {
    const lines = Object.entries(users).map(([user, password]) => hashMosquittoPassword(user, password));
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    return 'node';
  }
  writeFileSync(file, '', { mode: 0o600 });
  for (const [user, password] of Object.entries(users)) {
    // -b: password on the command line (batch mode). The file exists, so no -c is needed.
    const out = spawnSync(tool, ['-b', file, user, password], { encoding: 'utf8', timeout: 10_000 });
    if (out.status !== 0) {
      throw new Error(`mosquitto_passwd failed for ${user} (status ${String(out.status)}): ${out.stderr}${out.stdout}`);
    }
  }
  return 'mosquitto_passwd';
}

// ---------------------------------------------------------------------------------------------
// The launcher

export interface MosquittoTlsOptions {
  /** Which checked-in server certificate to present (default 'good'). */
  identity?: ServerIdentityName;
  /** CA used to verify client certificates (default the test CA). */
  cafile?: string;
  /** Override certfile/keyfile directly (wins over `identity`). */
  certfile?: string;
  keyfile?: string;
  /** Mutual TLS: clients must present a certificate signed by `cafile`. */
  requireCertificate?: boolean;
  /** With requireCertificate: the certificate CN becomes the username. */
  useIdentityAsUsername?: boolean;
}

export interface MosquittoOptions {
  /** Add a TLS listener on a second port (`true` = the good server cert, test CA). */
  tls?: boolean | MosquittoTlsOptions;
  /** username → password; written as a hashed password_file. */
  users?: Readonly<Record<string, string>>;
  /** How the password file is produced (default 'auto': mosquitto_passwd if installed). */
  passwordFileMethod?: PasswordFileMethod;
  /** Default: true without `users`, false with them. */
  allowAnonymous?: boolean;
  /** Contents of an acl_file (e.g. "user alice\ntopic readwrite a/#\n"). */
  acl?: string;
  /** `max_inflight_messages` (0 = unlimited). */
  maxInflightMessages?: number;
  /** `max_queued_messages` for offline / inflight-blocked clients. */
  maxQueuedMessages?: number;
  /** `persistence true` with a persistence_location inside the temp dir; survives restart(). */
  persistence?: boolean;
  /** `autosave_interval` in seconds (with persistence; mosquitto saves on clean shutdown anyway). */
  autosaveInterval?: number;
  /** `log_type` lines, e.g. ['all'] or ['error', 'warning', 'debug']; logs go to `logFile`. */
  logTypes?: string[];
  /** Appended verbatim to the config (one directive per entry). */
  extraConfig?: string[];
  /** Bound on waiting for the listeners (default 10 s). */
  startTimeoutMs?: number;
  /** Bound on waiting for exit after SIGTERM before SIGKILL (default 5 s). */
  stopTimeoutMs?: number;
}

export interface MosquittoRestartOptions {
  /** Kill with SIGKILL instead of SIGTERM: no persistence save on the way down. */
  hard?: boolean;
}

export interface MosquittoBroker {
  /** Plain MQTT listener on 127.0.0.1. */
  readonly port: number;
  /** mqtt://127.0.0.1:port */
  readonly url: string;
  /** The TLS listener, when options.tls was given. */
  readonly tlsPort?: number;
  /** mqtts://127.0.0.1:tlsPort */
  readonly tlsUrl?: string;
  /** The temp dir holding config, password file, persistence and log (removed by stop()). */
  readonly dir: string;
  readonly configFile: string;
  readonly logFile: string;
  /** How the password file was produced, when there is one. */
  readonly passwordFileMethod?: 'mosquitto_passwd' | 'node';
  /** The current process id (changes on restart). */
  pid(): number | undefined;
  /** The log so far: the log file plus anything mosquitto wrote to stdout/stderr. */
  readLog(): string;
  /** Stops the process (SIGTERM, then SIGKILL after a bound) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Stops and starts again with the same config on the same ports. */
  restart(options?: MosquittoRestartOptions): Promise<void>;
}

/** Processes still running, killed on exit should a test forget to stop them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackProcess(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const p of live) p.kill('SIGKILL');
    });
  }
}

/** Number of mosquitto processes this module started that have not exited yet. */
export function liveMosquittoCount(): number {
  return live.size;
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  exitInfo: () => string | undefined;
}

const MAX_OUTPUT = 64 * 1024;

export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoBroker> {
  const binary = mosquittoPath();
  if (binary === undefined) throw new Error(mosquittoMissingMessage('startMosquitto'));

  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  const dir = mkdtempSync(join(tmpdir(), 'impmqtt-mosquitto-'));
  const configFile = join(dir, 'mosquitto.conf');
  const logFile = join(dir, 'mosquitto.log');
  let output = '';
  let finalLog: string | undefined;

  const readLog = (): string => {
    if (finalLog !== undefined) return finalLog;
    let log = '';
    try {
      log = readFileSync(logFile, 'utf8');
    } catch {
      // not written yet
    }
    return output === '' ? log : `${log}${log === '' ? '' : '\n'}[stdout/stderr]\n${output}`;
  };

  let passwordFileMethod: 'mosquitto_passwd' | 'node' | undefined;
  try {
    if (options.users !== undefined) {
      passwordFileMethod = writeMosquittoPasswordFile(join(dir, 'passwd'), options.users, options.passwordFileMethod);
    }
    if (options.acl !== undefined) writeFileSync(join(dir, 'acl'), options.acl, { mode: 0o600 });
    if (options.persistence === true) mkdirSync(join(dir, 'data'));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const tls: MosquittoTlsOptions | undefined = options.tls === true ? {} : options.tls === false ? undefined : options.tls;

  const writeConfig = (port: number, tlsPort: number | undefined): void => {
    const lines: string[] = ['# Generated by test/support/mosquitto.ts', 'per_listener_settings false'];
    if (typeof process.getuid === 'function' && process.getuid() === 0) lines.push('user root');
    lines.push(`allow_anonymous ${String(options.allowAnonymous ?? options.users === undefined)}`);
    if (options.users !== undefined) lines.push(`password_file ${join(dir, 'passwd')}`);
    if (options.acl !== undefined) lines.push(`acl_file ${join(dir, 'acl')}`);
    if (options.maxInflightMessages !== undefined) lines.push(`max_inflight_messages ${options.maxInflightMessages}`);
    if (options.maxQueuedMessages !== undefined) lines.push(`max_queued_messages ${options.maxQueuedMessages}`);
    if (options.persistence === true) {
      lines.push('persistence true', `persistence_location ${join(dir, 'data')}/`);
      if (options.autosaveInterval !== undefined) lines.push(`autosave_interval ${options.autosaveInterval}`);
    } else {
      lines.push('persistence false');
    }
    lines.push(`log_dest file ${logFile}`, 'log_timestamp_format %Y-%m-%dT%H:%M:%S', 'connection_messages true');
    for (const type of options.logTypes ?? []) lines.push(`log_type ${type}`);
    lines.push('', `listener ${port} ${LOOPBACK}`, 'protocol mqtt');
    if (tls !== undefined && tlsPort !== undefined) {
      const identity = serverIdentityPaths[tls.identity ?? 'good'];
      lines.push(
        '',
        `listener ${tlsPort} ${LOOPBACK}`,
        'protocol mqtt',
        `cafile ${tls.cafile ?? certPaths.caCert}`,
        `certfile ${tls.certfile ?? identity.certfile}`,
        `keyfile ${tls.keyfile ?? identity.keyfile}`,
        `require_certificate ${String(tls.requireCertificate ?? false)}`,
      );
      if (tls.useIdentityAsUsername === true) lines.push('use_identity_as_username true');
    }
    if (options.extraConfig !== undefined && options.extraConfig.length > 0) lines.push('', ...options.extraConfig);
    writeFileSync(configFile, lines.join('\n') + '\n');
  };

  const spawnBroker = (): Running => {
    const child = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    trackProcess(child);
    let exitDescription: string | undefined;
    const capture = (chunk: Buffer): void => {
      if (output.length < MAX_OUTPUT) output += chunk.toString('utf8');
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    const exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        exitDescription = `could not be spawned: ${error.message}`;
        resolve();
      });
      child.once('exit', (code, signal) => {
        exitDescription = `exited with ${signal ?? `code ${String(code)}`}`;
        resolve();
      });
    });
    return { child, exited, exitInfo: () => exitDescription };
  };

  const waitForListeners = async (running: Running, ports: number[]): Promise<void> => {
    const abort = (): string | undefined => {
      const info = running.exitInfo();
      return info === undefined ? undefined : `mosquitto ${info}`;
    };
    for (const port of ports) await waitForPort(port, { timeoutMs: startTimeoutMs, abort });
  };

  const terminate = async (running: Running, signal: NodeJS.Signals): Promise<void> => {
    if (running.exitInfo() !== undefined) return;
    running.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), stopTimeoutMs);
    });
    const late = await Promise.race([running.exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
  };

  const addressInUse = (): boolean => /address already in use/i.test(readLog());

  /** Starts on the given ports; on failure the process is gone and the error carries the log. */
  const launch = async (port: number, tlsPort: number | undefined): Promise<Running> => {
    const running = spawnBroker();
    try {
      await waitForListeners(running, tlsPort === undefined ? [port] : [port, tlsPort]);
      return running;
    } catch (error) {
      await terminate(running, 'SIGKILL');
      throw error;
    }
  };

  // First start: fresh ports, from outside the ephemeral range (getServerPort), so that no
  // concurrent listen(0) or outgoing connection can take them while mosquitto starts or restarts;
  // another launcher could still draw the same one between probe and bind, so retry.
  let port = 0;
  let tlsPort: number | undefined;
  let running: Running | undefined;
  for (let attempt = 1; running === undefined; attempt++) {
    try {
      port = await getServerPort();
      tlsPort = tls === undefined ? undefined : await getServerPort();
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    if (tlsPort === port) continue;
    writeConfig(port, tlsPort);
    output = '';
    try {
      running = await launch(port, tlsPort);
    } catch (error) {
      const retry = attempt < 5 && addressInUse();
      if (!retry) {
        const log = readLog();
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`mosquitto did not start: ${(error as Error).message}\n--- config ---\n${readConfigSafe(configFile)}\n--- log ---\n${log}`);
      }
      try {
        rmSync(logFile, { force: true });
      } catch {
        // best effort
      }
    }
  }

  let current: Running | undefined = running;
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        if (current !== undefined) await terminate(current, 'SIGTERM');
      } finally {
        current = undefined;
        finalLog = readLog();
        if (process.env.MQTT_DEBUG_BROKER === '1') console.log(`--- mosquitto log (${dir}) ---\n${finalLog}`);
        rmSync(dir, { recursive: true, force: true });
      }
    })();
    return stopping;
  };

  const restart = async (restartOptions: MosquittoRestartOptions = {}): Promise<void> => {
    if (stopping !== undefined) throw new Error('restart() after stop()');
    if (current !== undefined) await terminate(current, restartOptions.hard === true ? 'SIGKILL' : 'SIGTERM');
    current = undefined;
    // The ports stay ours (nothing else binds outside the ephemeral range), but the OS may take a
    // moment to release them: retry, bounded.
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      try {
        current = await launch(port, tlsPort);
        return;
      } catch (error) {
        if (!(addressInUse() && Date.now() < deadline)) {
          throw new Error(`mosquitto did not restart on port ${port}: ${(error as Error).message}\n--- log ---\n${readLog()}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  const broker: MosquittoBroker = {
    port,
    url: `mqtt://${LOOPBACK}:${port}`,
    ...(tlsPort === undefined ? {} : { tlsPort, tlsUrl: `mqtts://${LOOPBACK}:${tlsPort}` }),
    dir,
    configFile,
    logFile,
    ...(passwordFileMethod === undefined ? {} : { passwordFileMethod }),
    pid: () => current?.child.pid,
    readLog,
    stop,
    restart,
  };
  return broker;
}

function readConfigSafe(file: string): string {
  try {
    return existsSync(file) ? readFileSync(file, 'utf8') : '(none)';
  } catch {
    return '(unreadable)';
  }
}
