/**
 * The queue's Inbox on its own (src/api/queue/inbox.ts): how a listening receiver is handed
 * messages — at once when it is idle, else in order once what it returned for the one before has
 * settled (a promise, any thenable, or a plain value at once), what listen() finds buffered a
 * turn later; its failures reported (thrown, or a rejection) without stopping the ones after,
 * what it holds counted (the host last told what it holds, whatever a receiver called at once
 * does), and what it keeps for later holding bytes of its own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageEnvelope } from '../../../src/api/queue/index.js';
import type { MessageReceiver, MqttMessageQueue } from '../../../src/api/queue/index.js';
import { Inbox } from '../../../src/api/queue/inbox.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function inbox(): { inbox: Inbox; reports: string[]; held: number[] } {
  const reports: string[] = [];
  const held: number[] = [];
  const box: Inbox = new Inbox({
    queue: {} as MqttMessageQueue,
    tracksHandOut: () => false,
    changed: () => held.push(box.held),
    report: (error, what) => reports.push(`${what}: ${(error as Error).message}`),
  });
  return { inbox: box, reports, held };
}

const envelope = (text: string): MessageEnvelope => MessageEnvelope.withId_(text, null, 't', text);

describe('queue inbox: handing to a listening receiver', () => {
  it('hands an idle receiver each message inside route(), as Pip calls its receiver from the message event; in order', () => {
    const { inbox: box, held } = inbox();
    const got: string[] = [];
    box.listen({ receiveMessage: (e) => void got.push(e.message_id) });
    box.route(envelope('1'), false);
    expect(got).toEqual(['1']);
    box.route(envelope('2'), false);
    expect(got).toEqual(['1', '2']);
    expect(box.held).toBe(0);
    expect(held.at(-1)).toBe(0);
  });

  it('hands what listen() finds buffered a turn later, in order, before what arrives after', async () => {
    const { inbox: box } = inbox();
    box.route(envelope('1'), false);
    box.route(envelope('2'), false);
    const got: string[] = [];
    box.listen({ receiveMessage: (e) => void got.push(e.message_id) });
    box.route(envelope('3'), false);
    expect(got).toEqual([]);
    await turn();
    expect(got).toEqual(['1', '2', '3']);
    expect(box.held).toBe(0);
  });

  it("waits for the receiver's promise before handing the next; a rejection is reported and the next still comes", async () => {
    const { inbox: box, reports } = inbox();
    const got: string[] = [];
    const settle: (() => void)[] = [];
    box.listen({
      receiveMessage: (e) => {
        got.push(e.message_id);
        return new Promise<void>((resolve, reject) => settle.push(e.message_id === '1' ? () => reject(new Error('boom')) : resolve));
      },
    });
    box.route(envelope('1'), false);
    box.route(envelope('2'), false);
    await turn();
    expect(got).toEqual(['1']);
    expect(box.held).toBe(2); // one in its hands, one waiting
    settle[0]!();
    await turn();
    expect(got).toEqual(['1', '2']);
    expect(reports).toEqual(['the receiver failed on message 1: boom']);
    settle[1]!();
    await turn();
    expect(box.held).toBe(0);
  });

  it('a receiver that throws is reported and the next message still comes; a thenable is waited for', async () => {
    const { inbox: box, reports } = inbox();
    const got: string[] = [];
    let release: (() => void) | undefined;
    const receiver: MessageReceiver = {
      receiveMessage: (e) => {
        got.push(e.message_id);
        if (e.message_id === '1') throw new Error('thrown');
        // Not a Promise: something with a then(), as `await` would take it.
        if (e.message_id === '2') return { then: (resolve: () => void) => void (release = resolve) } as unknown as Promise<void>;
        return undefined;
      },
    };
    box.listen(receiver);
    for (const id of ['1', '2', '3']) box.route(envelope(id), false);
    await turn();
    expect(got).toEqual(['1', '2']);
    expect(reports).toEqual(['the receiver failed on message 1: thrown']);
    release!();
    await turn();
    expect(got).toEqual(['1', '2', '3']);
    expect(box.held).toBe(0);
  });

  it('endListen() before the turn comes: the message goes back to the buffer, not to the receiver', async () => {
    const { inbox: box } = inbox();
    box.route(envelope('1'), false);
    const got: string[] = [];
    box.listen({ receiveMessage: (e) => void got.push(e.message_id) });
    box.endListen();
    await turn();
    expect(got).toEqual([]);
    expect(box.buffer.map((e) => e.message_id)).toEqual(['1']);
  });

  it('endListen() while the receiver is busy: what waited behind goes back to the buffer, in order', async () => {
    const { inbox: box } = inbox();
    const got: string[] = [];
    let settle: (() => void) | undefined;
    box.listen({ receiveMessage: (e) => (got.push(e.message_id), new Promise<void>((resolve) => (settle = resolve))) });
    for (const id of ['1', '2', '3']) box.route(envelope(id), false);
    expect(got).toEqual(['1']);
    box.endListen();
    settle!();
    await turn();
    expect(got).toEqual(['1']);
    expect(box.buffer.map((e) => e.message_id)).toEqual(['2', '3']);
  });
});

/** An envelope whose message is a view into a larger buffer, as a payload arrives: a read holding other bytes. */
function viewEnvelope(id: string): { envelope: MessageEnvelope; read: Uint8Array } {
  const read = new Uint8Array(64).fill(7);
  return { envelope: MessageEnvelope.withId_(id, null, 't', read.subarray(8, 16)), read };
}

describe('queue inbox: what it keeps has bytes of its own', () => {
  it('a buffered message is copied out of the read it arrived in (changing the read later does not change it)', () => {
    const { inbox: box } = inbox();
    const { envelope: e, read } = viewEnvelope('1');
    box.route(e, false);
    read.fill(0);
    expect(box.buffer[0]!.message).toEqual(new Uint8Array(8).fill(7));
    expect(box.buffer[0]!.message!.buffer.byteLength).toBe(8);
  });

  it('so does the received message it refers to (the handle complete() and abandon() use), whether its body is the same bytes or a parsed envelope', () => {
    const { inbox: box } = inbox();
    const raw = viewEnvelope('1');
    const rawInbound = { topic: 't', payload: raw.envelope.message!, qos: 1 as const, retain: false, dup: false, packetId: 1 };
    raw.envelope.setReference(rawInbound);
    const parsed = envelope('2'); // its body is bytes of its own, as a parsed envelope's is
    const read = new Uint8Array(64).fill(5);
    const parsedInbound = { topic: 't', payload: read.subarray(0, 40), qos: 1 as const, retain: false, dup: false, packetId: 2 };
    parsed.setReference(parsedInbound);
    box.route(raw.envelope, false);
    box.route(parsed, false);
    raw.read.fill(0);
    read.fill(0);
    expect(box.buffer[0]!.getReference()).toBe(rawInbound); // the same handles, for the engine's acks
    expect(box.buffer[1]!.getReference()).toBe(parsedInbound);
    expect(rawInbound.payload).toBe(raw.envelope.message); // one copy serves both
    expect(rawInbound.payload).toEqual(new Uint8Array(8).fill(7));
    expect(parsedInbound.payload).toEqual(new Uint8Array(40).fill(5));
    expect(parsedInbound.payload.buffer.byteLength).toBe(40);
  });

  it('one waiting behind a busy receiver, or abandoned back to the buffer, is copied too; bytes of their own are not copied again', () => {
    const { inbox: box } = inbox();
    box.listen({ receiveMessage: () => new Promise<void>(() => {}) });
    const first = viewEnvelope('1');
    const second = viewEnvelope('2');
    box.route(first.envelope, false); // in the receiver's hands: as it came
    box.route(second.envelope, false); // waits behind it
    second.read.fill(0);
    expect(first.envelope.message!.buffer).toBe(first.read.buffer);
    expect(second.envelope.message).toEqual(new Uint8Array(8).fill(7));
    box.endListen();
    const own = box.buffer[0]!.message;
    first.read.fill(0);
    box.route(first.envelope, true); // abandoned: kept again
    expect(box.buffer.map((e) => e.message_id)).toEqual(['1', '2']);
    expect(box.buffer[0]!.message!.buffer.byteLength).toBe(8); // copied when abandoned
    first.read.fill(9);
    expect(box.buffer[0]!.message).toEqual(new Uint8Array(8).fill(0));
    expect(box.buffer[1]!.message).toBe(own);
  });
});

describe('queue inbox: what the host is told it holds, when a receiver called at once changes it (found in review)', () => {
  // The host sets the engine's reading from `held` each time it is told (held < max_buffered):
  // the last figure it was told must be what the inbox holds once the receiver has returned,
  // or a queue with max_buffered 1 stops reading for good with nothing held.
  it('a receiver that calls listen() (itself or another) and returns at once: the host is told held 0 last', () => {
    const { inbox: box, held } = inbox();
    const receiver: MessageReceiver = { receiveMessage: () => box.listen(receiver) };
    box.listen(receiver);
    box.route(envelope('1'), false);
    expect(box.held).toBe(0);
    expect(held.at(-1)).toBe(0);
  });

  it('a receiver that ends listening and listens again, or whose change the host hears of otherwise: the same', () => {
    const { inbox: box, held } = inbox();
    const receiver: MessageReceiver = {
      receiveMessage: () => {
        box.endListen();
        box.listen(receiver);
      },
    };
    box.listen(receiver);
    box.route(envelope('1'), false);
    box.route(envelope('2'), false);
    expect(box.held).toBe(0);
    expect(held.at(-1)).toBe(0);
  });

  it('whatever receivers do at once (listen, endListen, hand one back, throw, a promise), the host is last told what is held', async () => {
    type Act = 'nothing' | 'listen' | 'endListen' | 'relisten' | 'again' | 'throw' | 'promise';
    const act = fc.constantFrom<Act>('nothing', 'listen', 'endListen', 'relisten', 'again', 'throw', 'promise');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(act, fc.boolean()), { minLength: 1, maxLength: 12 }), async (steps) => {
        const { inbox: box, held } = inbox();
        const again = new Set<MessageEnvelope>();
        let step = 0;
        const receiver: MessageReceiver = {
          receiveMessage: (e) => {
            const [what] = steps[step++ % steps.length]!;
            if (what === 'listen') box.listen(receiver);
            else if (what === 'endListen') box.endListen();
            else if (what === 'relisten') (box.endListen(), box.listen(receiver));
            else if (what === 'again' && !again.has(e)) (again.add(e), box.route(e, true));
            else if (what === 'throw') throw new Error('thrown');
            else if (what === 'promise') return Promise.resolve();
            return undefined;
          },
        };
        box.listen(receiver);
        steps.forEach(([, listening], i) => {
          if (listening && box.receiver === null) box.listen(receiver);
          box.route(envelope(String(i)), false);
        });
        // Until nothing moves: what waited a turn (or a timer's, handed back) has been handed.
        for (let i = 0; i < 15; i++) await new Promise((resolve) => setTimeout(resolve, 1));
        expect(held.at(-1) ?? 0).toBe(box.held);
      }),
      { numRuns: 60 },
    );
  });
});
