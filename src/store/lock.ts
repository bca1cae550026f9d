/**
 * One process per store: a lock file holding the owner's pid and a random token, created
 * whole or not at all (written beside it, then hard-linked into place, which fails if one
 * exists). A lock whose process is gone — or that carries this process's pid but was not taken
 * by it (a container restarted with the same pid) — is stale and taken over; one held by a live
 * process is refused with a clear error, since two clients replaying one session would each
 * re-send the other's messages. Release removes the file only while it is still ours.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { usageError } from '../errors.js';

/** The tokens of the locks this process holds: a lock file carrying one is ours, however its path is spelled (relative, a symlink). */
const ownTokens = new Set<string>();

export class StoreLock {
  readonly #path: string;
  readonly #token: string;
  #held = true;

  private constructor(path: string, token: string) {
    this.#path = path;
    this.#token = token;
  }

  static acquire(path: string): StoreLock {
    const token = `${process.pid} ${randomBytes(8).toString('hex')}`;
    for (let attempt = 0; attempt < 5; attempt++) {
      const beside = `${path}.${randomBytes(6).toString('hex')}`;
      writeFileSync(beside, `${token}\n`);
      try {
        linkSync(beside, path);
        ownTokens.add(token);
        return new StoreLock(path, token);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        rmSync(beside, { force: true });
      }
      const owner = readLock(path);
      if (ownTokens.has(owner)) throw usageError('STORE_LOCKED', `The session store ${path} is already open in this process`);
      const pid = Number.parseInt(owner, 10);
      if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) {
        throw usageError('STORE_LOCKED', `The session store ${path} is in use by process ${pid}: one store serves one client process at a time`);
      }
      takeOverStale(path, owner);
    }
    throw usageError('STORE_LOCKED', `Could not lock the session store ${path}`);
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    ownTokens.delete(this.#token);
    if (readLock(this.#path) === this.#token) rmSync(this.#path, { force: true });
  }
}

/**
 * Moves the stale lock aside and deletes it. Two processes may judge the same lock stale: the
 * one whose rename finds a different lock (the other's new one) puts it back and tries again.
 */
function takeOverStale(path: string, stale: string): void {
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // gone already: someone else took it over; the caller tries again
  }
  if (readLock(aside) !== stale) {
    try {
      linkSync(aside, path);
    } catch {
      // a third lock is in place by now: the caller's next attempt sees it
    }
  }
  rmSync(aside, { force: true });
}

function readLock(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
