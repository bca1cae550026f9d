/**
 * What fsync 'always' promises, through a seam on node:fs that records which paths were synced
 * and can make a sync fail (found in review):
 * - a journal the store creates is in its directory durably before it is relied on: fsync of a
 *   new file makes its data durable, not the directory entry naming it (fsync(2));
 * - a sync that fails (EIO; ENOSPC on filesystems that allocate late, NFS) refuses the publish
 *   it was for, as a failed write does, and leaves no trace of it in the file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type * as Fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const synced: string[] = [];
/** Set to an errno code to make the next data syncs fail with it. */
const failSync: { code: string | undefined } = { code: undefined };
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof Fs>();
  const pathOf = new Map<number, string>();
  const openSync = ((path: Fs.PathLike, ...rest: unknown[]) => {
    const fd = (fs.openSync as (...args: unknown[]) => number)(path, ...rest);
    pathOf.set(fd, String(path));
    return fd;
  }) as typeof fs.openSync;
  const record = (fd: number): void => void synced.push(pathOf.get(fd) ?? `fd ${fd}`);
  const failing = (): void => {
    if (failSync.code !== undefined) throw Object.assign(new Error(`${failSync.code}: sync`), { code: failSync.code });
  };
  const fsyncSync = (fd: number): void => (failing(), record(fd), fs.fsyncSync(fd));
  const fdatasyncSync = (fd: number): void => (failing(), record(fd), fs.fdatasyncSync(fd));
  const mocked = { ...fs, openSync, fsyncSync, fdatasyncSync };
  return { ...mocked, default: mocked };
});

const { fileStore } = await import('../../src/store/index.js');
const { Driver } = await import('../session/harness.js');

const cleanups: (() => unknown)[] = [];
afterEach(() => {
  failSync.code = undefined;
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

describe("fsync 'always': a sync that fails refuses the publish", () => {
  it('publish throws STORE_WRITE_FAILED when the journal cannot be synced, and the file holds no trace of the message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'impmqtt-syncfail-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const warnings: string[] = [];
    const provider = fileStore(dir, { fsync: 'always', warn: (w) => warnings.push(w) });
    cleanups.push(() => provider.close());
    const store = provider.open('dev-1');
    const d = new Driver({ store: store as never });
    d.publish({ topic: 'ok/1', payload: Uint8Array.of(1), qos: 1, retain: false });
    const before = readFileSync(join(dir, 'dev-1.log'));
    failSync.code = 'EIO';
    expect(() => d.publish({ topic: 'eio/1', payload: Uint8Array.of(2), qos: 1, retain: false })).toThrow(expect.objectContaining({ code: 'STORE_WRITE_FAILED' }));
    expect(readFileSync(join(dir, 'dev-1.log')).equals(before)).toBe(true);
    expect(store.acceptedCount).toBe(1);
    expect(warnings.some((w) => /EIO/.test(w))).toBe(true);
  });
});
