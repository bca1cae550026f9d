/**
 * Model-based test of the Session (../model.property.test.ts): matching the Session's actions, one at a time, against what the model expects.
 */
import { expect } from 'vitest';
import { ResultCode } from '../../../src/session/index.js';
import type { InboundMessage, OutboundRequest, SessionAction, UnsubscribeRequest } from '../../../src/session/index.js';
import type { Packet, SubackCode } from '../../../src/packet/index.js';
import { trace } from '../harness.js';
import { isPublish, isSubscribe, nameOf } from './config.js';

export class Out {
  private i = 0;
  constructor(
    private readonly actions: readonly SessionAction[],
    private readonly step: string,
  ) {}

  private where(): string {
    return `${this.step}: actions ${JSON.stringify(trace(this.actions))}, at #${this.i}`;
  }

  private next(what: string): SessionAction {
    const a = this.actions[this.i++];
    if (a === undefined) throw new Error(`${this.where()}: expected ${what}, got nothing more`);
    return a;
  }

  send(expected: Packet): void {
    const a = this.next(`send ${expected.type}`);
    expect(a, this.where()).toEqual({ type: 'send', packet: expected });
  }

  /** A packet starting a new flow: its id comes from the Session, and must be free. */
  sendNew(type: 'publish' | 'subscribe' | 'unsubscribe', held: ReadonlySet<number>, make: (id: number) => Packet): number {
    const a = this.next(`send new ${type}`);
    expect(a.type === 'send' && a.packet.type, this.where()).toBe(type);
    const packet = (a as { packet: { packetId?: number } }).packet;
    const id = packet.packetId ?? 0;
    expect(id >= 1 && id <= 65_535, `${this.where()}: id ${id} out of range [MQTT-2.3.1-1]`).toBe(true);
    expect(held.has(id), `${this.where()}: id ${id} is held by an open flow [MQTT-2.3.1-2]`).toBe(false);
    expect(packet, this.where()).toEqual(make(id));
    return id;
  }

  completion(request: OutboundRequest, result: number, granted: SubackCode[] = []): void {
    const a = this.next(`completion of ${nameOf(request)} with ${result}`);
    const expected: SessionAction = isPublish(request)
      ? { type: 'published', request, result: result as ResultCode }
      : isSubscribe(request)
        ? { type: 'subscribed', request, result: result as ResultCode, granted }
        : { type: 'unsubscribed', request: request as UnsubscribeRequest, result: result as ResultCode };
    expect(a, this.where()).toEqual(expected);
    expect((a as { request: unknown }).request, this.where()).toBe(request);
  }

  deliver(expected: InboundMessage): InboundMessage {
    const a = this.next('deliver');
    expect(a, this.where()).toEqual({ type: 'deliver', message: expected });
    return (a as { message: InboundMessage }).message;
  }

  connack(returnCode: number, sessionPresent: boolean): void {
    expect(this.next('connack'), this.where()).toEqual({ type: 'connack', returnCode, sessionPresent });
  }

  close(reason: string): void {
    const a = this.next(`close ${reason}`);
    expect(a.type === 'close' && a.reason, this.where()).toBe(reason);
  }

  end(): void {
    expect(this.i, `${this.where()}: unexpected extra actions`).toBe(this.actions.length);
  }
}
