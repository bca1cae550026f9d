/**
 * A journal is input from outside the process: another version, another program, or a person
 * may have written it, with checksums that hold. Whatever its records say, opening it either
 * restores a state the session can act on — every packet it then sends encodes, acceptedCount
 * is a whole number — or refuses with STORE_UNREADABLE and leaves the file as it is. Never a
 * TypeError, never a state that fails at every reconnect, never a message silently lost.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttError } from '../../src/errors.js';
import { encode } from '../../src/packet/index.js';
import type { SessionStore } from '../../src/session/index.js';
import { fileStore } from '../../src/store/index.js';
import type { FileSessionStore } from '../../src/store/index.js';
import { encodeRecord } from '../../src/store/records.js';
import { Driver } from '../session/harness.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** [length][crc32][body], as the journal frames a record: these bodies all pass the checksum. */
function framed(body: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + body.length);
  out.writeUInt32LE(body.length, 0);
  out.writeUInt32LE(crc32(body), 4);
  out.set(body, 8);
  return out;
}

/** A record as another writer might have made it: fields this store never writes included. */
type Forged =
  | { kind: 'accept'; seq: number; topic: string; flags: number; extra: string | undefined }
  | { kind: 'send'; seq: number; packetId: number }
  | { kind: 'release' | 'done' | 'mark'; seq: number }
  | { kind: 'inbound' | 'inbound-released'; packetId: number };

function bodyOf(r: Forged): Uint8Array {
  if (r.kind !== 'accept') return encodeRecord(r);
  const base = encodeRecord({ kind: 'accept', seq: r.seq, message: { topic: r.topic, payload: Uint8Array.of(7), qos: 0, retain: false } });
  base[9] = r.flags;
  if (r.extra === undefined) return base;
  // Replace the empty extra field (the last 4 bytes) with the forged JSON.
  const json = Buffer.from(r.extra, 'utf8');
  const out = Buffer.alloc(base.length + json.length);
  out.set(base);
  out.writeUInt32LE(json.length, base.length - 4);
  out.set(json, base.length);
  return out;
}

const seq = fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom(0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 53 + 2));
const packetId = fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, 65_535));
const extra = fc.option(
  fc.oneof(
    fc.constantFrom('[5,null]', '[null,[1]]', '[null,{"a":1}]', '[null,{"a":"b"}]', '["id",null]', '{}', '[]', 'null', '[null,null,3]', '"xy"', '[{"a":1},null]'),
    fc.json({ maxDepth: 2 }),
  ),
  { nil: undefined },
);
const forged: fc.Arbitrary<Forged> = fc.oneof(
  fc.record({ kind: fc.constant('accept' as const), seq, topic: fc.constantFrom('a', 'b/c', '', '#', 'a/+'), flags: fc.integer({ min: 0, max: 255 }), extra }),
  fc.record({ kind: fc.constant('send' as const), seq, packetId }),
  fc.record({ kind: fc.constantFrom('release' as const, 'done' as const, 'mark' as const), seq }),
  fc.record({ kind: fc.constantFrom('inbound' as const, 'inbound-released' as const), packetId }),
);

interface Opened {
  error?: MqttError;
  store?: FileSessionStore<unknown>;
}

/** Writes `records` as a journal and opens it; any throw but an MqttError fails the test. */
function openWith(bytes: Uint8Array, use: (opened: Opened) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'impmqtt-forged-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'c.log'), bytes);
  const provider = fileStore(dir, { fsync: 'never', warn: () => {} });
  try {
    let store: FileSessionStore<unknown>;
    try {
      store = provider.open('c');
    } catch (error) {
      if (!(error instanceof MqttError)) throw error;
      use({ error });
      // Refused, and the file is left as it was (another writer's records are not destroyed).
      expect(readFileSync(join(dir, 'c.log')).equals(bytes)).toBe(true);
      return;
    }
    use({ store });
  } finally {
    provider.close();
  }
}

/** The session on a restored store reconnects: every packet it sends must encode. */
function checkUsable(store: FileSessionStore<unknown>): void {
  expect(Number.isSafeInteger(store.acceptedCount) && store.acceptedCount >= 0).toBe(true);
  const driver = new Driver({ store: store as unknown as SessionStore });
  driver.connect({}, true);
  for (const action of driver.log) if (action.type === 'send') encode(action.packet);
}

describe('a journal of forged but checksummed records', () => {
  it('opens to a usable state or refuses with STORE_UNREADABLE, leaving the file as it is (property)', () => {
    fc.assert(
      fc.property(fc.array(forged, { maxLength: 8 }), (records) => {
        openWith(Buffer.concat(records.map((r) => framed(bodyOf(r)))), ({ error, store }) => {
          if (error !== undefined) expect(error.code).toBe('STORE_UNREADABLE');
          else checkUsable(store!);
        });
      }),
      { numRuns: 2_000 },
    );
  });

  it('random record bodies with good checksums: a usable state or STORE_UNREADABLE (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 6 }), (bodies) => {
        openWith(Buffer.concat(bodies.map(framed)), ({ error, store }) => {
          if (error !== undefined) expect(error.code).toBe('STORE_UNREADABLE');
          else checkUsable(store!);
        });
      }),
      { numRuns: 2_000 },
    );
  });

  it('a real journal cut, bit-flipped or spliced with another: a usable state (the damage cut off) or STORE_UNREADABLE (property)', () => {
    const valid: Forged[] = [
      { kind: 'mark', seq: 0 },
      { kind: 'accept', seq: 1, topic: 'a', flags: 1, extra: '["m1",{"k":"v"}]' },
      { kind: 'accept', seq: 2, topic: 'b/c', flags: 2, extra: undefined },
      { kind: 'send', seq: 1, packetId: 1 },
      { kind: 'send', seq: 2, packetId: 2 },
      { kind: 'release', seq: 2 },
      { kind: 'inbound', packetId: 7 },
      { kind: 'done', seq: 1 },
    ];
    const journal = Buffer.concat(valid.map((r) => framed(bodyOf(r))));
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), from: fc.nat(), length: fc.nat({ max: 40 }) }),
    );
    fc.assert(
      fc.property(fc.array(damage, { minLength: 1, maxLength: 3 }), (damages) => {
        let bytes = Buffer.from(journal);
        for (const d of damages) {
          const at = bytes.length === 0 ? 0 : d.at % bytes.length;
          if (d.kind === 'flip' && bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << d.bit);
          else if (d.kind === 'cut') bytes = bytes.subarray(0, at);
          else if (d.kind === 'splice') bytes = Buffer.concat([bytes.subarray(0, at), journal.subarray(d.from % journal.length, (d.from % journal.length) + d.length), bytes.subarray(at)]);
        }
        openWith(bytes, ({ error, store }) => {
          if (error !== undefined) expect(error.code).toBe('STORE_UNREADABLE');
          else checkUsable(store!);
        });
      }),
      { numRuns: 2_000 },
    );
  });

  // Counterexamples the first property shrank to before records were checked; each opened,
  // then failed at every reconnect, counted NaN, or kept one of two messages.
  const refused: [string, Forged[]][] = [
    ['a mark of NaN (acceptedCount NaN)', [{ kind: 'mark', seq: NaN }]],
    ['a fractional sequence number', [{ kind: 'mark', seq: 1.5 }]],
    ['a sequence number past 2^53', [{ kind: 'mark', seq: 2 ** 53 + 2 }]],
    ['a wildcard topic (ENCODE_FAILED at every reconnect)', [{ kind: 'accept', seq: 1, topic: 'a/+', flags: 1, extra: undefined }]],
    ['an empty topic', [{ kind: 'accept', seq: 1, topic: '', flags: 1, extra: undefined }]],
    ['unknown flag bits', [{ kind: 'accept', seq: 1, topic: 'a', flags: 0x11, extra: undefined }]],
    ['a message id that is a number', [{ kind: 'accept', seq: 1, topic: 'a', flags: 1, extra: '[5,null]' }]],
    ['extra JSON that is a string (read as its characters)', [{ kind: 'accept', seq: 1, topic: 'a', flags: 1, extra: '"xy"' }]],
    ['properties that are not strings', [{ kind: 'accept', seq: 1, topic: 'a', flags: 1, extra: '[null,{"a":1}]' }]],
    ['packet id 0 in flight', [{ kind: 'accept', seq: 1, topic: 'a', flags: 1, extra: undefined }, { kind: 'send', seq: 1, packetId: 0 }]],
    ['packet id 0 received', [{ kind: 'inbound', packetId: 0 }]],
    ['a QoS 0 message in flight (a PUBLISH with DUP and QoS 0)', [{ kind: 'accept', seq: 1, topic: 'a', flags: 0, extra: undefined }, { kind: 'send', seq: 1, packetId: 3 }]],
    [
      'two messages in flight under one packet id (one would be lost)',
      [
        { kind: 'accept', seq: 1, topic: 'a', flags: 1, extra: undefined },
        { kind: 'accept', seq: 2, topic: 'b', flags: 1, extra: undefined },
        { kind: 'send', seq: 1, packetId: 3 },
        { kind: 'send', seq: 2, packetId: 3 },
      ],
    ],
  ];
  it.each(refused)('refuses %s with STORE_UNREADABLE', (_, records) => {
    openWith(Buffer.concat(records.map((r) => framed(bodyOf(r)))), ({ error }) => {
      expect(error?.code).toBe('STORE_UNREADABLE');
    });
  });

  it('still reads what this store writes: ids, properties, a mark of 0, both QoS 2 stages', () => {
    const records: Forged[] = [
      { kind: 'mark', seq: 0 },
      { kind: 'accept', seq: 1, topic: 'a', flags: 2 | 4, extra: '["id-1",{"k":"v"}]' },
      { kind: 'send', seq: 1, packetId: 65_535 },
      { kind: 'release', seq: 1 },
      { kind: 'accept', seq: 2, topic: 'b', flags: 0, extra: '[null,null]' },
      { kind: 'inbound', packetId: 9 },
    ];
    openWith(Buffer.concat(records.map((r) => framed(bodyOf(r)))), ({ error, store }) => {
      expect(error).toBeUndefined();
      expect(store!.acceptedCount).toBe(2);
      expect(store!.getOutgoing(65_535)?.request).toMatchObject({ topic: 'a', qos: 2, retain: true, messageId: 'id-1', properties: { k: 'v' } });
      expect(store!.restoredQueue().map((r) => r.topic)).toEqual(['b']);
      expect(store!.hasIncoming(9)).toBe(true);
    });
  });
});
