/** Scratch directories and file stores for a store test file, removed and closed after each test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { fileStore } from '../../src/store/index.js';
import type { FileStore } from '../../src/store/index.js';

export function storeScratch(prefix: string): {
  /** Run after the test, last added first (push), or before everything else (unshift). */
  cleanups: (() => unknown)[];
  scratch(): string;
  provider(dir: string, warnings?: string[]): FileStore;
} {
  const cleanups: (() => unknown)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });
  return {
    cleanups,
    scratch() {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
    provider(dir, warnings = []) {
      const p = fileStore(dir, { fsync: 'never', warn: (w) => warnings.push(w) });
      cleanups.push(() => p.close());
      return p;
    },
  };
}
