/** A client refused at construction leaves no durable store open behind it (found in review). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttClient, MqttError } from '../../src/index.js';
import { fileStore } from '../../src/store/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function errorOf(f: () => unknown): MqttError {
  try {
    f();
  } catch (error) {
    return error as MqttError;
  }
  throw new Error('did not throw');
}

describe('a constructor that refuses its options releases the durable store it opened (found in review)', () => {
  for (const [name, bad] of [
    ['reconnect delays', { reconnect: { initialDelay: 10, maxDelay: 1 } }],
    ['maxInflight', { maxInflight: 0 }],
    ['maxPacketSize', { maxPacketSize: 1 }],
  ] as const) {
    it(`bad ${name}: the corrected client can then open the same store`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'review3-leak-'));
      dirs.push(dir);
      const store = fileStore(dir, { fsync: 'never', warn: () => {} });
      const base = { url: 'mqtt://127.0.0.1:1', clientId: 'device-1', cleanSession: false, store };
      const first = errorOf(() => new MqttClient({ ...base, ...bad }));
      expect(first.code).toBe('INVALID_OPTIONS');
      // the application fixes its options and tries again, with the same provider
      let client: MqttClient | undefined;
      const second = (() => {
        try {
          client = new MqttClient(base);
          return undefined;
        } catch (error) {
          return error as MqttError;
        }
      })();
      store.close();
      client?.destroy();
      expect(second?.code).toBeUndefined();
    });
  }
});
