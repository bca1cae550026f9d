/** A QoS 2 flow kept for the broker (CleanSession 0) survives a process that gives up before its first CONNECT. */
/**
 * A QoS 2 flow restored from the durable store on a kept session (cleanSession false) must keep
 * its packet id when the client gives up before it ever sent CONNECT: the broker still holds the id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttClient } from '../../src/index.js';
import { fileStore } from '../../src/store/index.js';
import type { PublishRequest, SessionStore } from '../../src/session/index.js';
import { Driver } from '../session/harness.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const message = (topic: string): PublishRequest => ({ topic, payload: new TextEncoder().encode(topic), qos: 2, retain: false });

describe('a kept QoS 2 flow, restored, then abandoned before this process sent any CONNECT (found in review)', () => {
  it('destroy() while the first attempt is still opening keeps the restored QoS 2 flow in the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'impmqtt-kept-'));
    dirs.push(dir);

    // Process 1: QoS 2 past PUBREC on a kept session, then the process dies.
    const p1 = fileStore(dir, { fsync: 'never', warn: () => {} });
    const s1 = p1.open('device-1') as unknown as SessionStore;
    const a = new Driver({ store: s1 });
    a.connect({ cleanSession: false });
    const cut = message('q2/cut');
    a.publish(cut);
    const id = a.idOf(cut);
    a.receive({ type: 'pubrec', packetId: id });
    s1.flush?.();
    p1.close();

    // Process 2: the broker is unreachable; the application gives up (destroy()).
    const p2 = fileStore(dir, { fsync: 'never', warn: () => {} });
    const store2 = p2.open('device-1');
    expect(store2.outgoingCount).toBe(1);
    const client = new MqttClient({ url: 'mqtt://127.0.0.1:1', clientId: 'device-1', cleanSession: false, store: store2, reconnect: false });
    client.on('restored', () => {});
    client.on('connectfailed', () => {});
    const closed = new Promise<void>((resolve) => client.on('state', (s) => s === 'disconnected' && resolve()));
    client.connect();
    client.destroy(); // before the transport opened: no CONNECT went out in this process
    await closed;
    await new Promise((r) => setTimeout(r, 50));
    store2.flush?.();
    p2.close();

    // Process 3: the flow must still be there, and a new QoS 2 message must not get its id.
    const p3 = fileStore(dir, { fsync: 'never', warn: () => {} });
    const s3 = p3.open('device-1') as unknown as SessionStore;
    expect(s3.outgoingCount).toBe(1);
    const c = new Driver({ store: s3 });
    c.connect({ cleanSession: false }, true);
    const next = message('q2/next');
    c.publish(next);
    expect(c.idOf(next)).not.toBe(id);
    p3.close();
  });
});
