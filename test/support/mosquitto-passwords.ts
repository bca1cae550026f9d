/**
 * mosquitto password files in the `$7$` format (PBKDF2-SHA512, 101 iterations) that
 * `mosquitto_passwd -b` writes: by that tool when it is installed, else by us in the same format.
 * Re-exported by mosquitto.ts, the launcher, which writes one for its `users` option.
 */
import { spawnSync } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mosquittoPasswdPath } from './mosquitto-gate.js';

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
