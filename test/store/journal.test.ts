/**
 * The durable store's file: every flushed record comes back on reopen; a torn or corrupt tail
 * (a crash mid-write, a flipped bit) is cut off with a warning and never replayed; compaction
 * replaces the file whole; the lock admits one process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../src/store/journal.js';
import { StoreLock } from '../../src/store/lock.js';

const dirs: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'impmqtt-journal-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const bodiesArb = fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 20 });

function write(path: string, bodies: Uint8Array[], fsync: 'always' | 'interval' | 'never' = 'never'): void {
  const { journal } = Journal.open(path, { fsync, warn: () => undefined });
  for (const body of bodies) journal.append(body);
  journal.flush();
  journal.close();
}

describe('Journal', () => {
  it('what was flushed is read back in order, under every fsync policy (property)', () => {
    fc.assert(
      fc.property(bodiesArb, fc.constantFrom('always', 'interval', 'never') as fc.Arbitrary<'always' | 'interval' | 'never'>, (bodies, fsync) => {
        const path = join(scratch(), 'log');
        write(path, bodies, fsync);
        const warnings: string[] = [];
        const { journal, records } = Journal.open(path, { fsync, warn: (w) => warnings.push(w) });
        journal.close();
        expect(records.map((r) => [...r])).toEqual(bodies.map((b) => [...b]));
        expect(warnings).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('appends not yet flushed are not in the file (flush is the write-ahead point)', () => {
    const path = join(scratch(), 'log');
    const { journal } = Journal.open(path, { fsync: 'never', warn: () => undefined });
    journal.append(new Uint8Array([1, 2, 3]));
    expect(statSync(path).size).toBe(0);
    journal.flush();
    expect(statSync(path).size).toBe(8 + 3);
    journal.close();
  });

  it('a tail torn anywhere is cut off with a warning; every whole record before it survives (property)', () => {
    fc.assert(
      fc.property(bodiesArb, fc.nat(), (bodies, cut) => {
        const path = join(scratch(), 'log');
        write(path, bodies);
        const full = statSync(path).size;
        const lastStart = full - (8 + bodies[bodies.length - 1]!.length);
        const at = lastStart + (cut % (full - lastStart)); // inside the last record, header included
        truncateSync(path, at);
        const warnings: string[] = [];
        const { journal, records } = Journal.open(path, { fsync: 'never', warn: (w) => warnings.push(w) });
        journal.close();
        expect(records.map((r) => [...r])).toEqual(bodies.slice(0, -1).map((b) => [...b]));
        expect(warnings.length).toBe(at === lastStart ? 0 : 1);
        expect(statSync(path).size).toBe(lastStart);
      }),
      { numRuns: 40 },
    );
  });

  it('a corrupt byte stops the replay at that record: nothing after it is replayed', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 50 }), { minLength: 2, maxLength: 10 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (bodies, which, flip) => {
        const path = join(scratch(), 'log');
        write(path, bodies);
        const index = which % bodies.length;
        const offset = bodies.slice(0, index).reduce((sum, b) => sum + 8 + b.length, 0) + 8; // first byte of that body
        const data = readFileSync(path);
        data[offset] = data[offset]! ^ flip;
        writeFileSync(path, data);
        const warnings: string[] = [];
        const { journal, records } = Journal.open(path, { fsync: 'never', warn: (w) => warnings.push(w) });
        journal.close();
        expect(records.map((r) => [...r])).toEqual(bodies.slice(0, index).map((b) => [...b]));
        expect(warnings).toHaveLength(1);
      }),
      { numRuns: 40 },
    );
  });

  it('a length field of garbage is not allocated: the record is corruption', () => {
    const path = join(scratch(), 'log');
    write(path, [new Uint8Array([7])]);
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 1])]));
    const { journal, records } = Journal.open(path, { fsync: 'never', warn: () => undefined });
    journal.close();
    expect(records).toHaveLength(1);
  });

  it('rewrite replaces the file whole (compaction) and appends continue after it', () => {
    const path = join(scratch(), 'log');
    const { journal } = Journal.open(path, { fsync: 'interval', warn: () => undefined });
    for (let i = 0; i < 100; i++) journal.append(new Uint8Array([i]));
    journal.flush();
    journal.rewrite([new Uint8Array([200]), new Uint8Array([201])]);
    expect(journal.size).toBe(18);
    journal.append(new Uint8Array([202]));
    journal.close();
    const { journal: again, records } = Journal.open(path, { fsync: 'never', warn: () => undefined });
    again.close();
    expect(records.map((r) => r[0])).toEqual([200, 201, 202]);
  });
});

describe('StoreLock', () => {
  it('one holder at a time in a process; released, it can be taken again', () => {
    const path = join(scratch(), 'lock');
    const lock = StoreLock.acquire(path);
    expect(() => StoreLock.acquire(path)).toThrow(expect.objectContaining({ code: 'STORE_LOCKED', origin: 'caller' }));
    lock.release();
    StoreLock.acquire(path).release();
  });

  it('a lock held by another live process is refused, naming it; one left by a dead process is taken over', async () => {
    const path = join(scratch(), 'lock');
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(path, `${sleeper.pid}\n`);
      expect(() => StoreLock.acquire(path)).toThrow(new RegExp(`in use by process ${sleeper.pid}`));
    } finally {
      const exited = new Promise((resolve) => sleeper.once('exit', resolve));
      sleeper.kill('SIGKILL');
      await exited;
    }
    const lock = StoreLock.acquire(path);
    expect(readFileSync(path, 'utf8').trim()).toMatch(new RegExp(`^${process.pid} [0-9a-f]{16}$`));
    lock.release();
  });

  it("a lock with this process's own pid that this process did not take (a container restarted with the same pid) is stale", () => {
    const path = join(scratch(), 'lock');
    writeFileSync(path, `${process.pid} 0123456789abcdef\n`);
    const lock = StoreLock.acquire(path);
    expect(readFileSync(path, 'utf8')).not.toContain('0123456789abcdef');
    lock.release();
  });

  it('release removes the lock only while it is still ours', () => {
    const path = join(scratch(), 'lock');
    const lock = StoreLock.acquire(path);
    writeFileSync(path, '99999999 someone-else\n'); // taken over behind our back
    lock.release();
    expect(readFileSync(path, 'utf8')).toBe('99999999 someone-else\n');
  });
});
