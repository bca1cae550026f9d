/** The file store's locks and file names (found in review): one journal per client id, one owner per journal. */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileStore } from '../../src/store/index.js';
import type { FileStore } from '../../src/store/index.js';
import { MqttError } from '../support/internals.js';

const dirs: string[] = [];
const providers: FileStore[] = [];
afterEach(() => {
  for (const p of providers.splice(0)) p.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'impmqtt-store-lock-'));
  dirs.push(dir);
  return dir;
}
function provider(dir: string): FileStore {
  const p = fileStore(dir, { fsync: 'never', warn: () => {} });
  providers.push(p);
  return p;
}
function openError(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('one store per client, even under another spelling of the same directory (found in review)', () => {
  it('refuses the same store opened through a relative path in the same process', () => {
    const dir = scratch();
    provider(dir).open('client-1');
    const error = openError(() => provider(relative(process.cwd(), dir)).open('client-1'));
    expect(error).toBeInstanceOf(MqttError);
    expect((error as MqttError).code).toBe('STORE_LOCKED');
  });

  it('refuses the same store opened through a symlinked directory in the same process', () => {
    const dir = scratch();
    const link = join(scratch(), 'alias');
    symlinkSync(dir, link);
    provider(dir).open('client-1');
    const error = openError(() => provider(link).open('client-1'));
    expect(error).toBeInstanceOf(MqttError);
    expect((error as MqttError).code).toBe('STORE_LOCKED');
  });
});

describe('distinct client ids never share a journal (found in review)', () => {
  it('two long client ids that differ after their first 100 bytes get different stores', () => {
    const dir = scratch();
    const prefix = 'fleet/eu-west-1/'.padEnd(100, 'x');
    const a = provider(dir).open(`${prefix}/device-A`);
    a.queued!({ topic: 'from/A', payload: new Uint8Array([1]), qos: 1, retain: false });
    a.close();
    const b = provider(dir).open(`${prefix}/device-B`);
    // device-B must not inherit (and re-publish) device-A's pending message
    expect(b.restoredQueue!().map((r) => r.topic)).toEqual([]);
  });

  it('a safe client id that looks like the hex spelling of another id gets its own store', () => {
    const dir = scratch();
    const a = provider(dir).open(' ');
    a.queued!({ topic: 'from/space', payload: new Uint8Array([1]), qos: 1, retain: false });
    a.close();
    const b = provider(dir).open('id-20');
    expect(b.restoredQueue!().map((r) => r.topic)).toEqual([]);
  });

  it("an unsafe id never takes the journal of the safe id that spells its old name ('a b' and 'id-612062')", () => {
    const dir = scratch();
    const safe = provider(dir).open('id-612062');
    safe.queued!({ topic: 'keep/me', payload: new Uint8Array([1]), qos: 1, retain: false });
    safe.close();
    const other = provider(dir).open('a b');
    expect(other.restoredQueue!().map((r) => r.topic)).toEqual([]);
    other.close();
    expect(provider(dir).open('id-612062').restoredQueue!().map((r) => r.topic)).toEqual(['keep/me']);
  });

});
