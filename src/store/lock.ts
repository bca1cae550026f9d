/**
 * One process per store: a lock file holding the owner's pid, created exclusively. A lock left
 * by a process that no longer exists (killed) is taken over; one held by a live process is
 * refused with a clear error, since two clients replaying one session would each re-send the
 * other's messages.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { usageError } from '../errors.js';

export class StoreLock {
  readonly #path: string;
  #held = false;

  private constructor(path: string) {
    this.#path = path;
  }

  static acquire(path: string): StoreLock {
    const lock = new StoreLock(path);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        lock.#held = true;
        return lock;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = Number.parseInt(readOwner(path), 10);
        if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
          throw usageError('STORE_LOCKED', `The session store ${path} is in use by process ${owner}: one store serves one client process at a time`);
        }
        if (owner === process.pid) {
          throw usageError('STORE_LOCKED', `The session store ${path} is already open in this process`);
        }
        rmSync(path, { force: true }); // left by a process that is gone
      }
    }
    throw usageError('STORE_LOCKED', `Could not lock the session store ${path}`);
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    rmSync(this.#path, { force: true });
  }
}

function readOwner(path: string): string {
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
