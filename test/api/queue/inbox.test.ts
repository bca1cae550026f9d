/**
 * The queue's Inbox on its own (src/api/queue/inbox.ts): how a listening receiver is handed
 * messages — a turn after they are routed, one at a time, the next once what the receiver
 * returned has settled (a promise, any thenable, or a plain value at once), its failures
 * reported (thrown, or a rejection) without stopping the ones after, and what it holds counted.
 */
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
  it('hands each message a turn after it is routed, not inside route(), in order', async () => {
    const { inbox: box } = inbox();
    const got: string[] = [];
    box.listen({ receiveMessage: (e) => void got.push(e.message_id) });
    box.route(envelope('1'), false);
    box.route(envelope('2'), false);
    expect(got).toEqual([]);
    await turn();
    expect(got).toEqual(['1', '2']);
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
    const got: string[] = [];
    box.listen({ receiveMessage: (e) => void got.push(e.message_id) });
    box.route(envelope('1'), false);
    box.endListen();
    await turn();
    expect(got).toEqual([]);
    expect(box.buffer.map((e) => e.message_id)).toEqual(['1']);
  });
});
