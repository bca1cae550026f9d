import { describe, expect, it } from 'vitest';
import { PacketDecoder, encode } from '../../src/packet/index.js';
import type { PublishPacket } from '../../src/packet/index.js';

describe('packets larger than the preallocation limit', () => {
  it('a 3 MiB PUBLISH cut into 64 KiB chunks decodes to the same payload', () => {
    const payload = new Uint8Array(3 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
    const bytes = encode({ type: 'publish', topic: 'big/one', payload, qos: 1, dup: false, retain: false, packetId: 9 });
    const decoder = new PacketDecoder();
    const out = [];
    for (let at = 0; at < bytes.length; at += 65_536) out.push(...decoder.push(bytes.subarray(at, at + 65_536)));
    expect(out).toHaveLength(1);
    const packet = out[0] as PublishPacket;
    expect(packet.packetId).toBe(9);
    expect(Buffer.compare(Buffer.from(packet.payload), Buffer.from(payload))).toBe(0);
    expect(decoder.buffered).toBe(0);
  });

  it('a header announcing 256 MB holds only the bytes that arrived', () => {
    const decoder = new PacketDecoder();
    // PUBLISH QoS 0, remaining length 268,435,455, then a few body bytes.
    expect(decoder.push(new Uint8Array([0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 0x61]))).toEqual([]);
    expect(decoder.buffered).toBe(8);
    expect(decoder.push(new Uint8Array(1000))).toEqual([]);
    expect(decoder.buffered).toBe(1008);
  });
});
