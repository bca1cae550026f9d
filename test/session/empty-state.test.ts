/**
 * The memory store makes its flows and set with the first entry (an idle client holds none): every
 * operation must behave the same before that. The session's queue, from empty and after emptying.
 */
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/session/queue.js';
import { MemorySessionStore } from '../../src/session/index.js';
import type { OutgoingFlow } from '../../src/session/index.js';

describe('Fifo from empty and after takeAll', () => {
  it('is empty, then works as a queue, then empty again', () => {
    const fifo = new Fifo<number>();
    expect([fifo.length, fifo.peek(), fifo.shift(), fifo.takeAll()]).toEqual([0, undefined, undefined, []]);
    fifo.push(1);
    fifo.push(2);
    expect([fifo.length, fifo.shift(), fifo.peek(), fifo.length]).toEqual([2, 1, 2, 1]);
    expect(fifo.takeAll()).toEqual([2]);
    expect([fifo.length, fifo.shift()]).toEqual([0, undefined]);
    fifo.push(3);
    expect(fifo.takeAll()).toEqual([3]);
  });
});

describe('MemorySessionStore before its first flow or incoming id', () => {
  it('holds nothing and ignores deletes; then keeps what it is given', () => {
    const store = new MemorySessionStore();
    expect([store.outgoingCount, [...store.outgoing()], store.getOutgoing(1), store.hasIncoming(1)]).toEqual([0, [], undefined, false]);
    store.deleteOutgoing(1);
    store.deleteIncoming(1);
    store.clearIncoming();
    const flow: OutgoingFlow = { packetId: 1, stage: 'publish', request: { topic: 't', payload: new Uint8Array(0), qos: 1, retain: false }, sentAt: 0 };
    store.putOutgoing(flow);
    store.addIncoming(7);
    expect([store.outgoingCount, [...store.outgoing()], store.getOutgoing(1), store.hasIncoming(7)]).toEqual([1, [flow], flow, true]);
  });
});
