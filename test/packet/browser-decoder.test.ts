/** The codec's decoder in the browser build, where there is no Buffer: an ArrayBuffer (a WebSocket's data) is decoded, not dropped (found in review). */
import { describe, expect, it, vi } from 'vitest';

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
});
