/** The codec's decoder in the browser build, where there is no Buffer: an ArrayBuffer (a WebSocket's data) is decoded, not dropped (found in review); a leading BOM survives TextDecoder [MQTT-1.5.3-3]. */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { field, frame, topicLevel } from './arbitraries.js';

/** A length-prefixed UTF-8 string, built without Buffer (these tests hide it). */
const str = (s: string): number[] => field(new TextEncoder().encode(s));

describe('PacketDecoder without Buffer (browser build path)', () => {
  it('push(ArrayBuffer) is refused, not silently taken as no bytes', async () => {
    const saved = globalThis.Buffer;
    (globalThis as any).Buffer = undefined;
    vi.resetModules();
    try {
      const { PacketDecoder, MqttError } = await import('../../src/packet/index.js');
      const d = new PacketDecoder();
      let result: unknown;
      let error: unknown;
      try { result = d.push(Uint8Array.of(0xd0, 0).buffer as any); } catch (e) { error = e; }
      if (error === undefined) expect(result).toEqual([{ type: 'pingresp' }]);
      else expect(error).toBeInstanceOf(MqttError);
    } finally {
      (globalThis as any).Buffer = saved;
      vi.resetModules();
    }
  });

  // A default TextDecoder strips a leading BOM; only ignoreBOM keeps it, and only this path uses TextDecoder.
  it('[MQTT-1.5.3-3] a leading EF BB BF is kept as U+FEFF in every decoded string (TextDecoder, no Buffer)', async () => {
    const saved = globalThis.Buffer;
    (globalThis as any).Buffer = undefined;
    vi.resetModules();
    try {
      const { PacketDecoder, decodePacket } = await import('../../src/packet/index.js');
      const bom = [0xef, 0xbb, 0xbf];
      fc.assert(
        fc.property(topicLevel, (rest) => {
          const topic = `\ufeff${rest}`;
          const publish = frame(0x30, [...str(topic), 0x2a]);
          expect(decodePacket(publish)).toMatchObject({ type: 'publish', topic });
          expect(new PacketDecoder().push(publish)).toMatchObject([{ type: 'publish', topic }]);
          const subscribe = frame(0x82, [0, 1, ...str(topic), 0x01]);
          expect(decodePacket(subscribe)).toMatchObject({ subscriptions: [{ topic, qos: 1 }] });
        }),
        { numRuns: 200 },
      );
      // A string that is nothing but the BOM stays one character long.
      expect(decodePacket(frame(0x30, [0, 3, ...bom]))).toMatchObject({ topic: '\ufeff' });
    } finally {
      (globalThis as any).Buffer = saved;
      vi.resetModules();
    }
  });

  // The browser build lets a fatal TextDecoder judge UTF-8; Node's build checks in JavaScript. Both must agree.
  it('[MQTT-1.5.3-1] [MQTT-1.5.3-2] any bytes as a topic: the same string or the same error code with and without Buffer', async () => {
    const nodeCodec = await import('../../src/packet/index.js');
    const saved = globalThis.Buffer;
    (globalThis as any).Buffer = undefined;
    vi.resetModules();
    try {
      const browserCodec = await import('../../src/packet/index.js');
      const verdict = (codec: typeof nodeCodec, bytes: Uint8Array): unknown => {
        try {
          return (codec.decodePacket(bytes) as { topic: string }).topic;
        } catch (error) {
          return (error as { code: string }).code;
        }
      };
      // Mostly UTF-8-shaped bytes (lead bytes with continuations) so that well-formed input turns up too.
      const unit = fc.oneof(
        fc.integer({ min: 0, max: 255 }).map((b) => [b]),
        fc.tuple(fc.integer({ min: 0xc0, max: 0xf7 }), fc.array(fc.integer({ min: 0x80, max: 0xbf }), { maxLength: 3 })).map(([lead, rest]) => [lead, ...rest]),
        fc.string({ unit: 'binary', maxLength: 3 }).map((s) => [...new TextEncoder().encode(s)]),
      );
      fc.assert(
        fc.property(fc.array(unit, { minLength: 1, maxLength: 8 }), (units) => {
          const publish = Uint8Array.from(frame(0x30, field(Uint8Array.from(units.flat()))));
          const fromBrowser = verdict(browserCodec, publish);
          (globalThis as any).Buffer = saved;
          try {
            expect(fromBrowser).toEqual(verdict(nodeCodec, publish));
          } finally {
            (globalThis as any).Buffer = undefined;
          }
        }),
        { numRuns: 5_000 },
      );
    } finally {
      (globalThis as any).Buffer = saved;
      vi.resetModules();
    }
  });
});
