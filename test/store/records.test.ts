/**
 * The store's records: every record survives encode → decode; garbage never decodes to a
 * record silently wrong in kind; and a compacted snapshot rebuilds exactly the state the full
 * history did (so compaction loses nothing and keeps acceptance order).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidTopicName } from '../../src/packet/index.js';
import { decodeRecord, encodeRecord } from '../../src/store/records.js';
import type { StoreRecord, StoredMessage } from '../../src/store/records.js';
import { StoreState } from '../../src/store/state.js';

const message: fc.Arbitrary<StoredMessage> = fc
  .record({
    // What the session lets through to the store (a wildcard or U+0000 is refused before, and
    // refused again when read back: unreadable.property.test.ts).
    topic: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter(isValidTopicName),
    payload: fc.uint8Array({ maxLength: 64 }),
    qos: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
    retain: fc.boolean(),
    messageId: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
    properties: fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }), { nil: undefined }),
  })
  .map((m) => {
    const out: StoredMessage = { topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain };
    if (m.messageId !== undefined) out.messageId = m.messageId;
    if (m.properties !== undefined) out.properties = m.properties;
    return out;
  });
const seq = fc.integer({ min: 1, max: 30 });
const packetId = fc.integer({ min: 1, max: 65_535 });
const record: fc.Arbitrary<StoreRecord> = fc.oneof(
  fc.record({ kind: fc.constant('accept' as const), seq, message }),
  fc.record({ kind: fc.constant('send' as const), seq, packetId }),
  fc.record({ kind: fc.constant('release' as const), seq }),
  fc.record({ kind: fc.constant('done' as const), seq }),
  fc.record({ kind: fc.constant('inbound' as const), packetId }),
  fc.record({ kind: fc.constant('inbound-released' as const), packetId }),
  fc.constant({ kind: 'inbound-cleared' as const }),
  fc.record({ kind: fc.constant('mark' as const), seq }),
);

const normalise = (r: StoreRecord): unknown => JSON.parse(JSON.stringify(r, (_k, v) => (v instanceof Uint8Array ? [...v] : v)));

describe('store records', () => {
  it('encode → decode is the identity (property)', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(normalise(decodeRecord(encodeRecord(r)))).toEqual(normalise(r));
      }),
    );
  });

  it('a record cut short or lengthened is refused, not misread (property)', () => {
    fc.assert(
      fc.property(record, fc.integer({ min: -20, max: 3 }), (r, delta) => {
        fc.pre(delta !== 0);
        const bytes = encodeRecord(r);
        fc.pre(bytes.length + delta >= 1);
        const changed = delta < 0 ? bytes.subarray(0, bytes.length + delta) : Uint8Array.from([...bytes, ...new Uint8Array(delta)]);
        expect(() => decodeRecord(changed)).toThrow();
      }),
    );
  });

  it('a snapshot rebuilds the state the whole history built: same flows in the same order, same inbound ids (property)', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 60 }), (history) => {
        const full = new StoreState();
        for (const r of history) full.apply(r);
        const compacted = new StoreState();
        for (const r of full.snapshot()) compacted.apply(decodeRecord(encodeRecord(r)));
        const view = (s: StoreState): unknown => normalise({ flows: [...s.flows.values()], inbound: [...s.inbound].sort(), lastSeq: s.lastSeq } as never);
        expect(view(compacted)).toEqual(view(full));
      }),
    );
  });
});
