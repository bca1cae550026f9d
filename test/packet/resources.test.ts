/**
 * What the streaming decoder holds and copies while a packet arrives in pieces: memory in
 * proportion to the bytes that came (not to the number of chunks), and each byte copied a
 * bounded number of times however slowly it drips (no re-copying of what is already held).
 * Measured with a forced GC and a copy counter, not with timings.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PacketDecoder, encode } from '../../src/packet/index.js';
import type { PublishPacket } from '../../src/packet/index.js';
import { filledBytes, hex } from './arbitraries.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** PUBLISH QoS 0, Remaining Length 268,435,455 (256 MB), topic "a", then the payload's first byte. */
const FORGED_256MB = Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 0x61);

describe('memory held for a packet still arriving', () => {
  it('a 256 MB header without maxPacketSize, then 100,000 one-byte chunks: the heap grows by about the bytes held, not by an object per chunk', () => {
    const decoder = new PacketDecoder();
    expect(decoder.push(FORGED_256MB)).toEqual([]);
    const before = heapAfterGc();
    const N = 100_000;
    for (let i = 0; i < N; i++) decoder.push(Uint8Array.of(i & 0xff));
    const grown = heapAfterGc() - before;
    expect(decoder.buffered).toBe(FORGED_256MB.length + N);
    // Holding the bytes costs at most a few times their number; a view (or chunk) kept per
    // one-byte chunk costs ~200 bytes of heap each, 20 MB here.
    expect(grown).toBeLessThan(2_000_000);
  });
});

describe('bytes copied while a packet arrives', () => {
  afterEach(() => vi.restoreAllMocks());

  /** Feeds `bytes` in `size`-byte chunks, counting the bytes the decoder copies with set(). */
  function dripCounting(decoder: PacketDecoder, bytes: Uint8Array, size: number): { out: PublishPacket[]; copied: number } {
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += size) chunks.push(Uint8Array.from(bytes.subarray(at, at + size)));
    let copied = 0;
    const set = Uint8Array.prototype.set;
    vi.spyOn(Uint8Array.prototype, 'set').mockImplementation(function (this: Uint8Array, source: ArrayLike<number>, offset?: number) {
      copied += source.length;
      return set.call(this, source, offset);
    });
    const out = chunks.flatMap((c) => decoder.push(c)) as PublishPacket[];
    vi.restoreAllMocks();
    return { out, copied };
  }

  const cases = [
    ['without maxPacketSize (3 MiB, past the 1 MiB preallocation)', () => new PacketDecoder(), 3 << 20],
    ['with maxPacketSize (3 MiB, preallocated from the header)', () => new PacketDecoder({ maxPacketSize: 4 << 20 }), 3 << 20],
    ['without maxPacketSize (512 KiB, preallocated)', () => new PacketDecoder(), 512 << 10],
  ] as const;

  it.each(cases)('a PUBLISH dripped in 1 KiB chunks %s is decoded whole, each byte copied at most 3 times', (_name, make, size) => {
    const payload = filledBytes(size, 7);
    const bytes = encode({ type: 'publish', topic: 'drip', payload, qos: 1, dup: false, retain: false, packetId: 3 });
    const { out, copied } = dripCounting(make(), bytes, 1024);
    expect(out).toHaveLength(1);
    expect(hex(out[0]!.payload) === hex(payload)).toBe(true);
    expect(copied).toBeLessThanOrEqual(3 * bytes.length);
  });
});
