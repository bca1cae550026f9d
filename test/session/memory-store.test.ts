/**
 * The memory store keeps its flows in one array, with holes where flows ended, closed in place
 * once they outnumber the flows: order, lookups and counts must be a Map's, before and after.
 */
import { describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../../src/session/index.js';
import type { OutgoingFlow } from '../../src/session/index.js';

const flow = (packetId: number): OutgoingFlow => ({ packetId, stage: 'publish', request: { topic: `t/${packetId}`, payload: new Uint8Array(0), qos: 2, retain: false }, sentAt: 0 });
const ids = (store: MemorySessionStore): number[] => [...store.outgoing()].map((f) => f.packetId);

describe('MemorySessionStore', () => {
  it('keeps put order through deletes and compaction; a flow reaching pubrel moves to the end, other changes keep their place', () => {
    const store = new MemorySessionStore();
    const flows = Array.from({ length: 200 }, (_, i) => flow(i + 1));
    for (const f of flows) store.putOutgoing(f);
    // Every other one ends, then most of the rest: the holes pass the flows (and the slack) more than once.
    for (let id = 1; id <= 200; id += 2) store.deleteOutgoing(id);
    for (let id = 2; id <= 180; id += 2) store.deleteOutgoing(id);
    expect(ids(store)).toEqual([182, 184, 186, 188, 190, 192, 194, 196, 198, 200]);
    const moved = store.getOutgoing(184)!;
    moved.stage = 'pubrel';
    store.putOutgoing(moved);
    const replaced = { ...flow(190), sentAt: 5 };
    store.putOutgoing(replaced);
    store.putOutgoing(flow(7));
    expect(ids(store)).toEqual([182, 186, 188, 190, 192, 194, 196, 198, 200, 184, 7]);
    expect([store.outgoingCount, store.getOutgoing(184), store.getOutgoing(190), store.getOutgoing(1), store.getOutgoing(7)?.packetId]).toEqual([11, moved, replaced, undefined, 7]);
    // Deleting what is not held changes nothing.
    store.deleteOutgoing(1);
    expect(store.outgoingCount).toBe(11);
  });

  it('outgoing() is a snapshot: deleting while iterating it neither skips nor breaks', () => {
    const store = new MemorySessionStore();
    for (let id = 1; id <= 100; id++) store.putOutgoing(flow(id));
    const seen: number[] = [];
    for (const f of store.outgoing()) {
      seen.push(f.packetId);
      store.deleteOutgoing(f.packetId);
    }
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect([store.outgoingCount, ids(store)]).toEqual([0, []]);
  });
});
