/**
 * impmqtt/store: durable session state for Node. `fileStore(dir)` is given to the engine (or a
 * face) as its `store`; each client id gets its own journal in `dir`, locked to one process.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../errors.js';
import type { Completion, SessionStoreProvider } from '../client/index.js';
import { FileSessionStore } from './file-store.js';
import type { FileStoreOptions } from './file-store.js';
import { StoreLock } from './lock.js';

export { FileSessionStore } from './file-store.js';
export type { FileStoreOptions } from './file-store.js';
export type { FsyncPolicy } from './journal.js';

export interface FileStore extends SessionStoreProvider {
  readonly dir: string;
  open(clientId: string): FileSessionStore<Completion>;
  /** Closes every store it opened (their data synced, their locks released). */
  close(): void;
}

/** A directory of durable session stores, one per client id. */
export function fileStore(dir: string, options: FileStoreOptions = {}): FileStore {
  const opened = new Set<FileSessionStore<Completion>>();
  const warn = options.warn ?? ((message: string) => process.emitWarning(message, { code: 'IMPMQTT_STORE' }));
  return {
    dir,
    open(clientId: string): FileSessionStore<Completion> {
      if (clientId === '') throw usageError('INVALID_OPTIONS', 'A durable store needs a fixed clientId: a broker-assigned one cannot be found again after a restart');
      mkdirSync(dir, { recursive: true });
      const name = fileNameOf(clientId);
      const lock = StoreLock.acquire(join(dir, `${name}.lock`));
      try {
        const store = new FileSessionStore<Completion>(join(dir, `${name}.log`), lock, options, warn);
        opened.add(store);
        return store;
      } catch (error) {
        lock.release();
        throw error;
      }
    },
    close(): void {
      for (const store of opened) store.close();
      opened.clear();
    },
  };
}

/** Client ids are free text: anything beyond a safe file name is spelled in hex. */
function fileNameOf(clientId: string): string {
  return /^[A-Za-z0-9_.-]{1,100}$/.test(clientId) && !clientId.startsWith('.') ? clientId : `id-${Buffer.from(clientId, 'utf8').toString('hex').slice(0, 200)}`;
}
