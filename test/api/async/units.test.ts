/**
 * The async face's values, without a broker: payload conversion as the seed describes it,
 * Topic / Wildcard (validated on construction, matched by the spec's rules — checked against the
 * codec's own matcher), MqttCodeError, and the bounded message queue's backpressure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Message, MqttCodeError, MqttError, Topic, Wildcard } from '../../../src/api/async/index.js';
import { asyncPayload } from '../../../src/api/async/payload.js';
import { Deadlines } from '../../../src/api/async/deadline.js';
import { MessageQueue } from '../../../src/api/async/queue.js';
import { bounded } from './async-helpers.js';
import { isValidTopicFilter, isValidTopicName, topicMatches } from '../../../src/packet/index.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('payloads [seed 002]', () => {
  it('numbers and bigints are sent as their decimal text (String(n))', () => {
    expect(text(asyncPayload(28.4))).toBe('28.4');
    expect(text(asyncPayload(42))).toBe('42');
    expect(text(asyncPayload(-0))).toBe('0');
    expect(text(asyncPayload(1e21))).toBe('1e+21');
    expect(text(asyncPayload(12345678901234567890n))).toBe('12345678901234567890');
    fc.assert(
      fc.property(fc.double(), (n) => {
        expect(text(asyncPayload(n))).toBe(String(n));
      }),
    );
  });

  it('strings as UTF-8; bytes as they are (Uint8Array, Buffer, ArrayBuffer, DataView, other views)', () => {
    expect([...asyncPayload('héllo')]).toEqual([0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f]);
    const bytes = Uint8Array.of(0, 1, 255);
    expect(asyncPayload(bytes)).toBe(bytes); // no copy
    expect([...asyncPayload(Buffer.from([9, 8]))]).toEqual([9, 8]);
    expect([...asyncPayload(Uint8Array.of(1, 2, 3).buffer)]).toEqual([1, 2, 3]);
    const backing = Uint8Array.of(0, 7, 8, 0);
    expect([...asyncPayload(new DataView(backing.buffer, 1, 2))]).toEqual([7, 8]);
    const wide = Uint16Array.of(0x0102);
    expect([...asyncPayload(wide)]).toEqual([...new Uint8Array(wide.buffer)]);
  });

  it('null and undefined are a zero-length payload (how a retained message is deleted)', () => {
    expect(asyncPayload(null)).toHaveLength(0);
    expect(asyncPayload(undefined)).toHaveLength(0);
  });

  it('anything else throws a TypeError that says to serialise it first', () => {
    for (const value of [{ a: 1 }, [1, 2], true, false, Symbol('s'), () => 1, new Date(0)]) {
      expect(() => asyncPayload(value)).toThrow(TypeError);
      expect(() => asyncPayload(value)).toThrow(/serialise it first/);
    }
  });
});

describe('Topic and Wildcard', () => {
  it('validate on construction: TypeError for non-strings, MqttError with the spec id for invalid values', () => {
    expect(() => new Topic(42 as unknown as string)).toThrow(TypeError);
    expect(() => new Wildcard(null as unknown as string)).toThrow(TypeError);
    expect(() => new Topic('a/+')).toThrow(expect.objectContaining({ code: 'INVALID_TOPIC', statement: 'MQTT-3.3.2-2' }));
    expect(() => new Topic('')).toThrow(expect.objectContaining({ statement: 'MQTT-4.7.3-1' }));
    expect(() => new Wildcard('a/#/b')).toThrow(expect.objectContaining({ code: 'INVALID_TOPIC_FILTER', statement: 'MQTT-4.7.1-2' }));
    expect(() => new Wildcard('a/b+')).toThrow(expect.objectContaining({ statement: 'MQTT-4.7.1-3' }));
    expect(() => new Topic('a\u0000b')).toThrow(expect.objectContaining({ statement: 'MQTT-1.5.3-2' })); // aiomqtt accepts NUL
    expect(new Wildcard('+').value).toBe('+');
    expect(String(new Topic('a/b'))).toBe('a/b');
  });

  it('[MQTT-4.7.1-1] construction agrees with the codec on arbitrary strings', () => {
    const value = fc.stringMatching(/^[abc+#$/\u00e9]{0,6}$/);
    fc.assert(
      fc.property(value, (s) => {
        expect(succeeds(() => new Topic(s))).toBe(isValidTopicName(s));
        expect(succeeds(() => new Wildcard(s))).toBe(isValidTopicFilter(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('[MQTT-4.7.2-1] matches() follows the spec, $-topics included: "#" and "+/x" do not match "$SYS/x"', () => {
    const sys = new Topic('$SYS/x');
    expect(sys.matches('#')).toBe(false);
    expect(sys.matches('+/x')).toBe(false);
    expect(sys.matches('$SYS/#')).toBe(true);
    expect(new Topic('a/b').matches('a/b/#')).toBe(true); // '#' includes the parent level
    expect(new Topic('a//b').matches('a/+/b')).toBe(true);
    expect(new Topic('a/b').matches(new Wildcard('a/+'))).toBe(true);
    expect(() => new Topic('a').matches('a/#/b')).toThrow(MqttError);
  });

  it('[MQTT-4.7.1-2] [MQTT-4.7.1-3] matches() agrees with the codec matcher on arbitrary valid pairs', () => {
    const topicLevel = fc.constantFrom('a', 'b', '', '$x');
    const filterLevel = fc.constantFrom('a', 'b', '', '+', '$x');
    const topic = fc.array(topicLevel, { minLength: 1, maxLength: 4 }).map((l) => l.join('/')).filter(isValidTopicName);
    const filter = fc
      .tuple(fc.array(filterLevel, { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([l, hash]) => (hash ? [...l, '#'] : l).join('/'))
      .filter(isValidTopicFilter);
    fc.assert(
      fc.property(topic, filter, (t, f) => {
        expect(new Topic(t).matches(f)).toBe(topicMatches(f, t));
      }),
      { numRuns: 3000 },
    );
  });

  it('shared subscriptions: $share/<group>/ is stripped before matching', () => {
    expect(new Topic('sensors/1/temp').matches('$share/g1/sensors/+/temp')).toBe(true);
    expect(new Topic('sensors/1/temp').matches('$share/g1/other/#')).toBe(false);
    expect(new Wildcard('$share/g/a/#').matchingFilter).toBe('a/#');
  });

  it('compare by value', () => {
    expect(new Topic('a/b').equals('a/b')).toBe(true);
    expect(new Topic('a/b').equals(new Topic('a/b'))).toBe(true);
    expect(new Wildcard('a/#').equals('a/+')).toBe(false);
    expect(JSON.stringify({ t: new Topic('x') })).toBe('{"t":"x"}');
  });
});

describe('MqttCodeError', () => {
  it('is an MqttError with the numeric code as rc', () => {
    const error = new MqttCodeError('CONNECTION_REFUSED', 5, 'not authorized');
    expect(error).toBeInstanceOf(MqttError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'MqttCodeError', code: 'CONNECTION_REFUSED', rc: 5 });
    expect(error.message).toBe('[code:5] not authorized');
  });
});

describe('MessageQueue: bounded, lossless, one consumer per message', () => {
  const message = (n: number): Message => new Message({ topic: 't', payload: Uint8Array.of(n), qos: 0, retain: false, dup: false }, undefined);

  it('asks to stop reading when full and to read again once a message is taken', async () => {
    const reading: boolean[] = [];
    const queue = new MessageQueue(3, (r) => reading.push(r));
    for (let i = 0; i < 3; i++) queue.push(message(i));
    expect(reading).toEqual([false]);
    queue.push(message(3)); // what one read still carries is kept, never dropped
    expect(queue.size).toBe(4);
    await queue.next();
    await queue.next();
    expect(reading).toEqual([false, true]);
    expect([(await queue.next()).value?.payload[0], (await queue.next()).value?.payload[0]]).toEqual([2, 3]);
  });

  it('property: any interleaving of pushes and concurrent takes hands out every message exactly once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('push', 'take'), { maxLength: 60 }), fc.integer({ min: 1, max: 5 }), async (steps, capacity) => {
        const queue = new MessageQueue(capacity, () => {});
        const taken: Promise<IteratorResult<Message>>[] = [];
        let pushed = 0;
        for (const step of steps) {
          if (step === 'push') queue.push(message(pushed++ & 0xff));
          else taken.push(queue.next());
        }
        queue.end();
        const results = await Promise.all(taken);
        const values = results.filter((r) => !r.done).map((r) => r.value!.payload[0]);
        expect(values).toEqual(Array.from({ length: values.length }, (_, i) => i & 0xff));
        expect(values.length + queue.size).toBe(pushed);
      }),
    );
  });

  it('end(error) makes waiting and later consumers throw it, after what is buffered', async () => {
    const queue = new MessageQueue(10, () => {});
    queue.push(message(1));
    const error = new MqttError('CONNECTION_LOST', 'gone');
    queue.end(error);
    expect((await queue.next()).value?.payload[0]).toBe(1);
    await expect(queue.next()).rejects.toBe(error);
  });

  it('a consumer that leaves (return()) with a next() pending takes nothing more: the next message goes to one still there (found in review)', async () => {
    const queue = new MessageQueue(10, () => {});
    const leaving = queue[Symbol.asyncIterator]();
    const staying = queue[Symbol.asyncIterator]();
    const abandoned = leaving.next(); // e.g. raced against a timeout that won
    await leaving.return!();
    expect(await bounded(abandoned, 'the pending next() to end', 1_000)).toEqual({ value: undefined, done: true });
    expect(await leaving.next()).toEqual({ value: undefined, done: true });
    const waiting = staying.next();
    queue.push(message(7));
    expect((await waiting).value?.payload[0]).toBe(7);
    expect(queue.size).toBe(0);
  });
});

function succeeds(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}

describe('Deadlines: the shared limit of operations under the client default', () => {
  it('an operation is never timed out before its limit, even when the run that began it is long', async () => {
    const deadlines = new Deadlines(40);
    const startedAt = performance.now();
    const operation = deadlines.begin<void>('publish to', 'a/b', {});
    // A long synchronous run after the start: the deadline counts from the start or later, never earlier.
    const busyUntil = performance.now() + 25;
    while (performance.now() < busyUntil);
    const error = await operation.promise.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(MqttError);
    expect((error as MqttError).code).toBe('TIMEOUT');
    expect((error as MqttError).message).toBe("publish to 'a/b' did not complete within 40 ms");
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(40);
  });

  it('operations that finish in the run that began them are never timed out later', async () => {
    const deadlines = new Deadlines(20);
    const finished = Array.from({ length: 50 }, (_, i) => deadlines.begin<number>('publish to', `t/${i}`, {}));
    finished.forEach((operation, i) => operation.resolve(i));
    const pending = deadlines.begin<number>('publish to', 'late', {});
    await expect(Promise.all(finished.map((operation) => operation.promise))).resolves.toEqual(Array.from({ length: 50 }, (_, i) => i));
    await expect(pending.promise).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('an already aborted signal with a limit of its own leaves no timer behind (found in review)', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const deadlines = new Deadlines(10_000);
    const before = timers();
    const operations = Array.from({ length: 5 }, () => deadlines.begin<void>('publish to', 't', { signal: AbortSignal.abort(), timeout: 60_000 }));
    for (const operation of operations) await expect(operation.promise).rejects.toMatchObject({ code: 'ABORTED' });
    // A timer per operation would keep the process alive for the minute, each holding its operation.
    expect(timers()).toBe(before);
  });
});
