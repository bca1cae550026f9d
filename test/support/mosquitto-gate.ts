/**
 * Finding mosquitto (its binary, version, mosquitto_passwd, mosquitto_pub/sub) and deciding
 * whether a suite that needs it runs, is skipped with a warning, or fails because
 * MQTT_REQUIRE_MOSQUITTO=1 (as in CI) says it must be there: describeWithMosquitto.
 * Re-exported by mosquitto.ts, the launcher.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'vitest';
import { findExecutable, isExecutable } from './executables.js';

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
