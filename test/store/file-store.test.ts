/**
 * The file store under the sans-I/O session: what a process had queued, had in flight (at
 * either QoS 2 stage) and had received at QoS 2 comes back after a restart, re-sent as MQTT
 * requires [MQTT-4.4.0-1] and reported as restored; nothing finished comes back; the journal
 * stays bounded; a torn tail costs only the torn record; one process per store.
 */
import { lstatSync, mkdtempSync, rmSync, statSync, symlinkSync, truncateSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { fileStore } from '../../src/store/index.js';
import type { FileStore } from '../../src/store/index.js';
import { ResultCode } from '../../src/session/index.js';
import type { PublishRequest, SessionStore } from '../../src/session/index.js';
import { Driver, delivered as delivered_, inbound, trace } from '../session/harness.js';

const dirs: string[] = [];
const providers: FileStore[] = [];
function open(dir: string, options: Parameters<typeof fileStore>[1] = {}): { provider: FileStore; store: SessionStore<never> } {
  const provider = fileStore(dir, { fsync: 'never', ...options });
  providers.push(provider);
  return { provider, store: provider.open('client-1') as unknown as SessionStore<never> };
}
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'impmqtt-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const provider of providers.splice(0)) provider.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const message = (topic: string, qos: 0 | 1 | 2, messageId?: string): PublishRequest => {
  const request: PublishRequest = { topic, payload: new TextEncoder().encode(topic), qos, retain: false };
  if (messageId !== undefined) request.messageId = messageId;
  return request;
};

/** A driver on `store`, its changes flushed after every input as the engine does. */
function driver(store: SessionStore<never>, manualAck = false): Driver & { step<T>(f: () => T): T } {
  const d = new Driver({ store: store as SessionStore, manualAck }) as Driver & { step<T>(f: () => T): T };
  d.step = (f) => {
    const out = f();
    store.flush?.();
    return out;
  };
  return d;
}

describe('FileSessionStore: a restart brings back what was not finished', () => {
  it('[MQTT-4.3.3-2] a QoS 2 flow abandoned at PUBREL on a kept session (reported -11) survives a restart: its PUBREL is re-sent and a new message gets another id', () => {
    const dir = scratch();
    const first = open(dir);
    const a = driver(first.store);
    a.step(() => a.connect({ cleanSession: false }));
    const cut = message('q2/cut', 2, 'cut');
    a.step(() => a.publish(cut));
    const id = a.idOf(cut);
    a.step(() => a.receive({ type: 'pubrec', packetId: id }));
    a.step(() => a.disconnect());
    a.step(() => a.abandon()); // what the client does once disconnect() gives up on what is in flight
    expect(a.resultsOf(cut)).toEqual([-11]);
    first.provider.close();

    const second = open(dir);
    const b = driver(second.store);
    expect(trace(b.step(() => b.connect({ cleanSession: false }, true)))).toContain(`send pubrel#${id}`);
    const next = message('q2/next', 2, 'next');
    b.step(() => b.publish(next));
    expect(b.idOf(next)).not.toBe(id);
  });

  it('[MQTT-4.4.0-1] [MQTT-4.6.0-4] queued, in flight (PUBLISH and PUBREL stage) and inbound QoS 2 ids: re-sent in order, reported as restored', () => {
    const dir = scratch();
    const first = open(dir);
    const a = driver(first.store);
    const offline = message('offline/1', 1, 'm-1');
    a.step(() => a.publish(offline));
    a.step(() => a.publish(message('offline/0', 0, 'm-0')));
    // Exactly-once inbound needs a kept session on both sides [MQTT-3.1.2-4].
    a.step(() => a.connect({ cleanSession: false }));
    const q1 = message('flight/q1', 1, 'q1');
    const q2 = message('flight/q2', 2, 'q2');
    const done = message('done/q1', 1, 'done');
    a.step(() => a.publish(q1));
    a.step(() => a.publish(q2));
    a.step(() => a.publish(done));
    const ids = { offline: a.idOf(offline), q1: a.idOf(q1), q2: a.idOf(q2) };
    a.step(() => a.receive({ type: 'pubrec', packetId: ids.q2 }));
    a.step(() => a.receive({ type: 'puback', packetId: a.idOf(done) }));
    a.step(() => a.receive(inbound(2, 77)));
    // The process dies here: no disconnect, no abandon. (close() only releases the lock.)
    first.provider.close();

    const second = open(dir);
    const b = driver(second.store);
    const actions = b.step(() => b.connect({ cleanSession: false }, true));
    expect(trace(actions)).toEqual(['send connect', `send publish#${ids.offline} dup`, `send publish#${ids.q1} dup`, `send pubrel#${ids.q2}`, 'connack 0 sp']);
    // The inbound QoS 2 message re-sent by the broker is not delivered a second time.
    expect(trace(b.step(() => b.receive(inbound(2, 77, true))))).toEqual(['send pubrec#77']);
    const completions = [
      ...b.step(() => b.receive({ type: 'puback', packetId: ids.offline })),
      ...b.step(() => b.receive({ type: 'puback', packetId: ids.q1 })),
      ...b.step(() => b.receive({ type: 'pubcomp', packetId: ids.q2 })),
    ];
    expect(completions.map((c) => (c.type === 'published' ? [c.request.messageId, c.request.restored, c.result, c.packetId] : c.type))).toEqual([
      ['m-1', true, 0, ids.offline],
      ['q1', true, 0, ids.q1],
      ['q2', true, 0, ids.q2],
    ]);
  });

  it('publishes queued while offline come back queued, oldest first, and go out after the flows', () => {
    const dir = scratch();
    const first = open(dir);
    const a = driver(first.store);
    for (let i = 0; i < 5; i++) a.step(() => a.publish(message(`q/${i}`, (i % 3) as 0 | 1 | 2, `id-${i}`)));
    first.provider.close();

    const second = open(dir);
    const b = driver(second.store);
    const sent = b.step(() => b.connect()).flatMap((x) => (x.type === 'send' && x.packet.type === 'publish' ? [x.packet.topic] : []));
    expect(sent).toEqual(['q/0', 'q/1', 'q/2', 'q/3', 'q/4']);
    second.provider.close();
    // QoS 0 ones are finished once sent; the others wait for their acks.
    const third = open(dir);
    const c = driver(third.store);
    expect(c.step(() => c.connect()).flatMap((x) => (x.type === 'send' && x.packet.type === 'publish' ? [`${x.packet.topic}${x.packet.dup ? ' dup' : ''}`] : []))).toEqual(['q/1 dup', 'q/2 dup', 'q/4 dup']);
  });

  it('nothing finished comes back, and acceptedCount survives compaction (an application resumes its numbering from it)', () => {
    const dir = scratch();
    const first = open(dir, { maxLogBytes: 16 * 1024 });
    const a = driver(first.store);
    a.step(() => a.connect());
    let biggest = 0;
    for (let i = 0; i < 3_000; i++) {
      const request = message(`n/${i}`, 1, String(i));
      a.step(() => a.publish(request));
      a.step(() => a.receive({ type: 'puback', packetId: a.idOf(request) }));
      biggest = Math.max(biggest, (first.store as unknown as { logBytes: number }).logBytes);
    }
    // Compaction kept the journal bounded (3,000 messages would be ~150 KB of records).
    expect(biggest).toBeLessThanOrEqual(16 * 1024 + 200);
    first.provider.close();
    const second = open(dir);
    expect((second.store as unknown as { acceptedCount: number }).acceptedCount).toBe(3_000);
    const b = driver(second.store);
    expect(trace(b.step(() => b.connect()))).toEqual(['send connect', 'connack 0']);
  });

  it('a torn tail (power loss mid-write) loses only the torn record, with a warning', () => {
    const dir = scratch();
    const first = open(dir);
    const a = driver(first.store);
    a.step(() => a.publish(message('keep/1', 1)));
    a.step(() => a.publish(message('keep/2', 1)));
    first.provider.close();
    const log = join(dir, readdirSync(dir).find((f) => f.endsWith('.log'))!);
    truncateSync(log, statSync(log).size - 3);
    const warnings: string[] = [];
    const second = open(dir, { warn: (w) => warnings.push(w) });
    const b = driver(second.store);
    const topics = b.step(() => b.connect()).flatMap((x) => (x.type === 'send' && x.packet.type === 'publish' ? [x.packet.topic] : []));
    expect(topics).toEqual(['keep/1']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/torn or corrupt/);
  });

  it('manual acks: a QoS 2 message not yet acknowledged when the process dies comes again; one acknowledged does not', () => {
    const dir = scratch();
    const first = open(dir);
    const a = driver(first.store, true);
    a.step(() => a.connect({ cleanSession: false }));
    const delivered = a.step(() => a.receive(inbound(2, 9)));
    expect(trace(delivered)).toEqual(['deliver in/x#9']); // no PUBREC before the application's ack
    first.provider.close(); // dies holding it

    const second = open(dir);
    const b = driver(second.store, true);
    b.step(() => b.connect({ cleanSession: false }, true));
    const again = b.step(() => b.receive(inbound(2, 9, true)));
    expect(trace(again)).toEqual(['deliver in/x#9']);
    const [message] = delivered_(again);
    expect(trace(b.step(() => b.acknowledge(message!).actions))).toEqual(['send pubrec#9']);
    second.provider.close(); // dies after acknowledging, before PUBREL

    const third = open(dir);
    const c = driver(third.store, true);
    c.step(() => c.connect({ cleanSession: false }, true));
    expect(trace(c.step(() => c.receive(inbound(2, 9, true))))).toEqual(['send pubrec#9']);
  });

  it('a write that fails (disk full) is reported and the publish refused (STORE_WRITE_FAILED), never accepted unwritten; the next flush rewrites the file whole', () => {
    const dir = scratch();
    symlinkSync('/dev/full', join(dir, 'client-1.log')); // every write: ENOSPC
    symlinkSync('/dev/full', join(dir, 'client-1.log.compact')); // and the rewrite beside it (which removes this link)
    const warnings: string[] = [];
    const first = open(dir, { warn: (w) => warnings.push(w) });
    const a = driver(first.store);
    // It used to be taken (not thrown) and held in memory only, where a crash lost it.
    expect(() => a.step(() => a.publish(message('full/1', 1, 'f1')))).toThrow(expect.objectContaining({ code: 'STORE_WRITE_FAILED' }));
    expect(warnings.some((w) => /cannot be written \(ENOSPC\)/.test(w))).toBe(true);
    expect((first.store as unknown as { failure: string | undefined }).failure).toBe('ENOSPC');
    // The disk "frees up": the rewrite goes to a new file beside it, renamed over the link.
    rmSync(join(dir, 'client-1.log'));
    a.step(() => a.publish(message('full/2', 1, 'f2')));
    expect((first.store as unknown as { failure: string | undefined }).failure).toBeUndefined();
    expect(warnings.some((w) => /written again/.test(w))).toBe(true);
    expect(lstatSync(join(dir, 'client-1.log')).isFile()).toBe(true);
    first.provider.close();
    const second = open(dir);
    const b = driver(second.store);
    const topics = b.step(() => b.connect()).flatMap((x) => (x.type === 'send' && x.packet.type === 'publish' ? [x.packet.topic] : []));
    expect(topics).toEqual(['full/2']); // full/1 was refused: the application still has it
  });

  it('one process per store: a second open of the same client id is refused (STORE_LOCKED) until the first is closed', () => {
    const dir = scratch();
    const first = open(dir);
    expect(() => fileStore(dir).open('client-1')).toThrow(expect.objectContaining({ code: 'STORE_LOCKED' }));
    first.provider.close();
    expect(() => open(dir)).not.toThrow();
  });

  it('any interleaving, cut at any point: exactly the unfinished messages come back, each once (property)', () => {
    type Op = { kind: 'publish'; qos: 1 | 2 } | { kind: 'ack'; which: number } | { kind: 'reconnect' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('publish' as const), qos: fc.constantFrom(1, 2) as fc.Arbitrary<1 | 2> }),
      fc.record({ kind: fc.constant('ack' as const), which: fc.nat() }),
      fc.record({ kind: fc.constant('reconnect' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.boolean(), (ops, startConnected) => {
        const dir = scratch();
        const first = open(dir, { maxLogBytes: 512 });
        const a = driver(first.store);
        if (startConnected) a.step(() => a.connect());
        const open_: PublishRequest[] = [];
        let n = 0;
        for (const o of ops) {
          if (o.kind === 'publish') {
            const request = message(`p/${n}`, o.qos, String(n++));
            a.step(() => a.publish(request));
            open_.push(request);
          } else if (o.kind === 'reconnect') {
            if (a.session.state === 'connected') {
              // A publish the broker closed the connection over undeliverableAfter times is finished (-13).
              for (const x of a.step(() => a.lose())) if (x.type === 'published' && x.result === ResultCode.UNDELIVERABLE) open_.splice(open_.indexOf(x.request as PublishRequest), 1);
            }
            a.step(() => a.connect());
          } else if (a.session.state === 'connected' && open_.length > 0) {
            const request = open_[o.which % open_.length]!;
            const flow = a.session.store.outgoing();
            const held = [...flow].find((f) => f.request === request);
            if (held === undefined) continue; // still queued
            if (request.qos === 1) a.step(() => a.receive({ type: 'puback', packetId: held.packetId }));
            else if (held.stage === 'publish') a.step(() => a.receive({ type: 'pubrec', packetId: held.packetId }));
            else a.step(() => a.receive({ type: 'pubcomp', packetId: held.packetId }));
            if (a.session.store.getOutgoing(held.packetId) === undefined) open_.splice(open_.indexOf(request), 1);
          }
        }
        first.provider.close();
        const second = open(dir);
        const b = driver(second.store);
        const resent = b.step(() => b.connect()).flatMap((x) => (x.type === 'send' && (x.packet.type === 'publish' || x.packet.type === 'pubrel') ? [x.packet] : []));
        const restoredTopics = resent.map((p) => (p.type === 'publish' ? p.topic : [...second.store.outgoing()].find((f) => f.packetId === p.packetId)!.request.topic));
        expect(restoredTopics.sort()).toEqual(open_.map((r) => r.topic).sort());
        second.provider.close();
        providers.splice(providers.indexOf(second.provider), 1);
      }),
      { numRuns: 60 },
    );
  });
});
