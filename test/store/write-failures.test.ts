/**
 * A publish the store cannot make durable is refused, never accepted and then lost (found in
 * review): a disk that is full (ENOSPC, simulated by a journal that is a link to /dev/full) and a
 * journal removed while the store has it open (its appends would go to a file no name reaches).
 */
import { readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MqttClient } from '../../src/client/index.js';
import type { PublishRequest, SessionStore } from '../../src/session/index.js';
import { storeScratch } from './scratch.js';
import { Driver, trace } from '../session/harness.js';

const { cleanups, scratch, provider } = storeScratch('impmqtt-write-failures-');
const message = (topic: string, qos: 0 | 1 | 2): PublishRequest => ({ topic, payload: new TextEncoder().encode(topic), qos, retain: false });
const topicsResent = (store: SessionStore): string[] => {
  const d = new Driver({ store });
  return d.connect().flatMap((x) => (x.type === 'send' && x.packet.type === 'publish' ? [x.packet.topic] : []));
};

describe('a disk that is full: the publish is refused with a typed error, not accepted and lost', () => {
  it('MqttClient.publish() throws STORE_WRITE_FAILED; nothing is queued, the callback is never called', async () => {
    const dir = scratch();
    symlinkSync('/dev/full', join(dir, 'dev-1.log')); // every write: ENOSPC
    symlinkSync('/dev/full', join(dir, 'dev-1.log.compact')); // and the rewrite beside it
    const warnings: string[] = [];
    const store = provider(dir, warnings).open('dev-1');
    const client = new MqttClient({ url: 'mqtt://127.0.0.1:1', clientId: 'dev-1', cleanSession: false, store, reconnect: { initialDelay: 60_000 } });
    cleanups.unshift(() => client.destroy());
    client.on('connectfailed', () => {});
    client.connect(); // unreachable: the publish queues, as while waiting to reconnect
    const results: number[] = [];
    expect(() => client.publish('full/1', 'x', { qos: 1 }, (r) => results.push(r))).toThrow(expect.objectContaining({ code: 'STORE_WRITE_FAILED', origin: 'connection' }));
    expect(client.queuedCount).toBe(0);
    expect(store.acceptedCount).toBe(0);
    expect(warnings.some((w) => /ENOSPC/.test(w))).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(results).toEqual([]);
  });

  it('in the session: a connected QoS 1/2 publish throws and sends nothing; once the disk frees up, publishes are taken again', () => {
    const dir = scratch();
    symlinkSync('/dev/full', join(dir, 'dev-1.log'));
    // The rewrite that recovery tries goes beside the journal: full too (it removes this link).
    symlinkSync('/dev/full', join(dir, 'dev-1.log.compact'));
    const p = provider(dir);
    const store = p.open('dev-1') as unknown as SessionStore;
    const d = new Driver({ store });
    d.connect({ cleanSession: false });
    expect(() => d.publish(message('full/1', 2))).toThrow(expect.objectContaining({ code: 'STORE_WRITE_FAILED' }));
    symlinkSync('/dev/full', join(dir, 'dev-1.log.compact')); // still full
    expect(() => d.publish(message('full/2', 1))).toThrow(expect.objectContaining({ code: 'STORE_WRITE_FAILED' }));
    expect(trace(d.session.takeActions())).toEqual([]);
    expect(store.outgoingCount).toBe(0);
    // The disk frees up: the next publish rewrites the whole state and is taken.
    rmSync(join(dir, 'dev-1.log'));
    const next = message('next/1', 1);
    expect(() => d.publish(next)).not.toThrow();
    expect(trace(d.session.takeActions())).toEqual([]); // taken by the Driver already
    expect(store.outgoingCount).toBe(1);
    p.close();
    const again = provider(dir).open('dev-1') as unknown as SessionStore;
    expect(topicsResent(again)).toEqual(['next/1']);
  });
});

describe('a journal removed while open (a tmp cleaner, an operator): the store writes itself again', () => {
  it('a publish after the file is gone is in a file after the crash, with what came before it', () => {
    const dir = scratch();
    const p = provider(dir);
    const store = p.open('dev-1') as unknown as SessionStore;
    const d = new Driver({ store });
    d.publish(message('before/1', 1));
    store.flush?.();
    rmSync(join(dir, 'dev-1.log'));
    d.publish(message('after/1', 1));
    store.flush?.();
    expect(readdirSync(dir)).toContain('dev-1.log');
    p.close(); // the process dies: the file keeps what it had
    const again = provider(dir).open('dev-1') as unknown as SessionStore;
    expect(topicsResent(again)).toEqual(['before/1', 'after/1']);
  });

  it('a directory removed: the publish is refused (STORE_WRITE_FAILED), not written to a file no one can read', () => {
    const dir = scratch();
    const p = provider(dir);
    const store = p.open('dev-1') as unknown as SessionStore;
    const d = new Driver({ store });
    d.publish(message('before/1', 1));
    store.flush?.();
    rmSync(dir, { recursive: true, force: true });
    expect(() => d.publish(message('after/1', 1))).toThrow(expect.objectContaining({ code: 'STORE_WRITE_FAILED' }));
  });
});
