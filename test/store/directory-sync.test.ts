/**
 * A journal the store creates is in its directory durably before it is relied on (found in
 * review): fsync of a new file makes its data durable, not the directory entry that names it
 * (fsync(2)), so a power loss could leave no file at all where 'always' promised nothing is lost.
 * The seam: node:fs, wrapped to record which paths were fsynced.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type * as Fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const synced: string[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof Fs>();
  const pathOf = new Map<number, string>();
  const openSync = ((path: Fs.PathLike, ...rest: unknown[]) => {
    const fd = (fs.openSync as (...args: unknown[]) => number)(path, ...rest);
    pathOf.set(fd, String(path));
    return fd;
  }) as typeof fs.openSync;
  const record = (fd: number): void => void synced.push(pathOf.get(fd) ?? `fd ${fd}`);
  const fsyncSync = (fd: number): void => (record(fd), fs.fsyncSync(fd));
  const fdatasyncSync = (fd: number): void => (record(fd), fs.fdatasyncSync(fd));
  const mocked = { ...fs, openSync, fsyncSync, fdatasyncSync };
  return { ...mocked, default: mocked };
});

const { fileStore } = await import('../../src/store/index.js');
const { Driver } = await import('../session/harness.js');

const cleanups: (() => unknown)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

describe("fsync 'always': a new journal's directory entry is synced", () => {
  it('the directory holding a journal the store created is fsynced before the first publish is taken', () => {
    const dir = mkdtempSync(join(tmpdir(), 'impmqtt-dirsync-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const provider = fileStore(dir, { fsync: 'always' });
    cleanups.push(() => provider.close());
    const store = provider.open('dev-1');
    const d = new Driver({ store: store as never });
    d.publish({ topic: 'a/1', payload: Uint8Array.of(1), qos: 1, retain: false });
    store.flush();
    expect(synced).toContain(join(dir, 'dev-1.log'));
    expect(synced).toContain(dir);
  });
});
