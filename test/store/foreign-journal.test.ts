/**
 * A journal this version cannot read is left as it is (found in review). Damage from a crash or
 * a power loss fails a record's CRC, or is a zero-filled tail (the file grew, its blocks never
 * came): that tail is cut off. A record whose CRC holds but whose content this version does not
 * know was written on purpose — by a newer version, say — and cutting it off (and compacting
 * the file) destroyed what that version had accepted: opening is refused instead.
 */
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { PublishRequest, SessionStore } from '../../src/session/index.js';
import { storeScratch } from './scratch.js';
import { Driver } from '../session/harness.js';

const { scratch, provider } = storeScratch('impmqtt-foreign-');
const message = (topic: string): PublishRequest => ({ topic, payload: new TextEncoder().encode(topic), qos: 1, retain: false });
/** A journal holding one queued QoS 1 message, as a process leaves it. */
function journalWithOne(dir: string): string {
  const p = provider(dir);
  const d = new Driver({ store: p.open('dev-1') as unknown as SessionStore });
  d.publish(message('kept/1'));
  p.close();
  return join(dir, 'dev-1.log');
}
function framed(body: Uint8Array): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(body.length, 0);
  header.writeUInt32LE(crc32(body), 4);
  return Buffer.concat([header, body]);
}
const topicsResent = (store: SessionStore): string[] =>
  new Driver({ store }).connect().flatMap((x) => (x.type === 'send' && x.packet.type === 'publish' ? [x.packet.topic] : []));

describe('a journal this version cannot read', () => {
  it('a whole, checksummed record of a kind this version does not know: open() refuses (STORE_UNREADABLE) and leaves the file as it is', () => {
    const dir = scratch();
    const log = journalWithOne(dir);
    // What a newer version might write: a record kind past this version's, then more records.
    appendFileSync(log, framed(Uint8Array.of(42, 1, 2, 3)));
    appendFileSync(log, framed(Uint8Array.of(42, 4, 5, 6)));
    const before = readFileSync(log);
    expect(() => provider(dir).open('dev-1')).toThrow(expect.objectContaining({ code: 'STORE_UNREADABLE' }));
    expect(readFileSync(log).equals(before)).toBe(true);
    // The lock was let go: once the file is dealt with, the store opens.
    rmSync(log);
    expect(() => provider(dir).open('dev-1')).not.toThrow();
  });

  it('a zero-filled tail (power loss after the file grew) is cut off as torn; what came before it comes back', () => {
    const dir = scratch();
    const log = journalWithOne(dir);
    appendFileSync(log, Buffer.alloc(4096));
    const warnings: string[] = [];
    const store = provider(dir, warnings).open('dev-1') as unknown as SessionStore;
    expect(topicsResent(store)).toEqual(['kept/1']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/torn or corrupt/);
  });
});
