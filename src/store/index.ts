/**
 * impmqtt/store: durable session state for Node. `fileStore(dir)` is given to the engine (or a
 * face) as its `store`; each client id gets its own journal in `dir`, locked to one process.
 */
import { createHash } from 'node:crypto';
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

/**
 * Client ids are free text: one that is not a safe file name is spelled in hex after a '~' (no
 * safe name has one), or, past 100 bytes, as '~sha256-' and its digest, so no two ids share a
 * journal. (Before 2026-11-28 such ids were 'id-' and hex cut at 200 digits, which a safe id
 * could spell and long ids could share. A journal under such a name is not taken over: the name
 * cannot say whose it is, and a safe id 'id-…' owns it under either naming.)
 */
function fileNameOf(clientId: string): string {
  if (/^[A-Za-z0-9_.-]{1,100}$/.test(clientId) && !clientId.startsWith('.')) return clientId;
  const bytes = Buffer.from(clientId, 'utf8');
  if (bytes.length > 100) return `~sha256-${createHash('sha256').update(bytes).digest('hex')}`;
  return `~${bytes.toString('hex')}`;
}
