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
 * Finding mosquitto and gating suites on it is mosquitto-gate.ts, password files
 * mosquitto-passwords.ts; both are re-exported here.
 *
 * Set MQTT_DEBUG_BROKER=1 to have every broker's log printed when it stops.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certPaths, serverIdentityPaths } from './certs.js';
import type { ServerIdentityName } from './certs.js';
import { mosquittoMissingMessage, mosquittoPath } from './mosquitto-gate.js';
import { writeMosquittoPasswordFile } from './mosquitto-passwords.js';
import type { PasswordFileMethod } from './mosquitto-passwords.js';
import { LOOPBACK, getServerPort, waitForPort } from './ports.js';

export {
  describeWithMosquitto,
  mosquittoAvailable,
  mosquittoClientsAvailable,
  mosquittoGate,
  mosquittoMissingMessage,
  mosquittoPasswdPath,
  mosquittoPath,
  mosquittoSkipMessage,
  mosquittoVersion,
} from './mosquitto-gate.js';
export type { MosquittoGate } from './mosquitto-gate.js';
export { hashMosquittoPassword, writeMosquittoPasswordFile } from './mosquitto-passwords.js';
export type { PasswordFileMethod } from './mosquitto-passwords.js';

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
