/**
 * The journal is compacted once it exceeds maxLogBytes and twice its live content (found in
 * review): "live" is what is live now. It used to be the size of the last snapshot, so after a
 * backlog drained (many messages queued offline, then all acknowledged) the journal grew to twice
 * that old backlog before it was compacted again, with nothing live at all.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecord } from '../../src/store/records.js';
import type { StoreRecord } from '../../src/store/records.js';
import { StoreState } from '../../src/store/state.js';
import { fileStore } from '../../src/store/index.js';
import type { FileStore } from '../../src/store/index.js';
import type { PublishRequest, SessionStore } from '../../src/session/index.js';
import { Driver } from '../session/harness.js';

const cleanups: (() => unknown)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

describe('compaction follows the live content, not the largest backlog there ever was', () => {
  it('after a 400 KB backlog drained, steady traffic keeps the journal near maxLogBytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'impmqtt-bound-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const provider: FileStore = fileStore(dir, { fsync: 'never', maxLogBytes: 16 * 1024 });
    cleanups.push(() => provider.close());
    const store = provider.open('dev-1') as unknown as SessionStore & { logBytes: number };
    const d = new Driver({ store });
    const step = <T>(f: () => T): T => {
      const out = f();
      store.flush?.();
      return out;
    };
    const message = (i: number, size: number): PublishRequest => ({ topic: `b/${i}`, payload: new Uint8Array(size), qos: 1, retain: false });
    // Offline: a backlog of 400 × 1 KB.
    const backlog = Array.from({ length: 400 }, (_, i) => message(i, 1024));
    for (const request of backlog) step(() => d.publish(request));
    // Online: it drains.
    step(() => d.connect());
    for (const request of backlog) step(() => d.receive({ type: 'puback', packetId: d.idOf(request) }));
    expect(store.outgoingCount).toBe(0);
    // Then steady traffic, one small message at a time.
    let biggest = 0;
    for (let i = 0; i < 3_000; i++) {
      const request = message(1_000 + i, 16);
      step(() => d.publish(request));
      step(() => d.receive({ type: 'puback', packetId: d.idOf(request) }));
      biggest = Math.max(biggest, store.logBytes);
    }
    expect(biggest).toBeLessThanOrEqual(16 * 1024 + 200);
  });
});

describe('StoreState.snapshotBytes', () => {
  it('is what a snapshot of the state takes in the journal, whatever the history (property)', () => {
    const seq = fc.integer({ min: 1, max: 12 });
    const packetId = fc.integer({ min: 1, max: 20 });
    const record: fc.Arbitrary<StoreRecord> = fc.oneof(
      fc.record({ kind: fc.constant('accept' as const), seq, message: fc.record({ topic: fc.string({ maxLength: 8 }), payload: fc.uint8Array({ maxLength: 40 }), qos: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>, retain: fc.boolean() }) }),
      fc.record({ kind: fc.constant('send' as const), seq, packetId }),
      fc.record({ kind: fc.constant('release' as const), seq }),
      fc.record({ kind: fc.constant('done' as const), seq }),
      fc.record({ kind: fc.constant('inbound' as const), packetId }),
      fc.record({ kind: fc.constant('inbound-released' as const), packetId }),
      fc.constant({ kind: 'inbound-cleared' as const }),
      fc.record({ kind: fc.constant('mark' as const), seq }),
    );
    fc.assert(
      fc.property(fc.array(record, { maxLength: 60 }), (history) => {
        const state = new StoreState();
        for (const r of history) state.apply(r, encodeRecord(r).length);
        const written = [...state.snapshot()].reduce((sum, r) => sum + 8 + encodeRecord(r).length, 0);
        expect(state.snapshotBytes).toBe(written);
      }),
    );
  });
});
