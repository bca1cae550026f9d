/**
 * Model-based test of the Session (../model.property.test.ts): the observer: invariants from the action trace alone.
 */
import { expect } from 'vitest';
import { ResultCode } from '../../../src/session/index.js';
import type { OutboundRequest, PublishRequest, SessionAction } from '../../../src/session/index.js';
import { encode } from '../../../src/packet/index.js';
import type { Packet } from '../../../src/packet/index.js';
import { dupBit, trace } from '../harness.js';
import { nameOf } from './config.js';

export interface SeenFlow {
  request: PublishRequest;
  id: number;
  stage: 'publish' | 'pubrel';
}

export class Observer {
  private readonly byName = new Map<string, OutboundRequest>();
  readonly completions = new Map<OutboundRequest, number>();
  private readonly idOf = new Map<OutboundRequest, number>();
  /** Open publish flows in the order they must be re-sent. */
  private flows: SeenFlow[] = [];
  /** Flows whose request completed -11 on a kept session, open until the broker ends them. */
  private readonly told = new Set<SeenFlow>();
  private readonly controls = new Map<number, OutboundRequest>();
  /** Inbound QoS 2 ids delivered in their current lifetime. */
  private readonly deliveredQoS2 = new Set<number>();
  private phase: 'closed' | 'connect-called' | 'open' = 'closed';
  /** Past CONNACK 0 on the current connection. */
  private connected = false;
  /** Broker closes counted against each flow while it was the oldest unacknowledged PUBLISH (undeliverableAfter). */
  private readonly closes = new Map<SeenFlow, number>();
  /** The close being observed already ended its oldest flow -13 (reported before the close). */
  private closeCounted = false;
  private clean = true;

  register(r: OutboundRequest): void {
    this.byName.set(nameOf(r), r);
  }

  connectCalled(): void {
    this.phase = 'connect-called';
  }

  private openIds(): Set<number> {
    return new Set([...this.flows.map((f) => f.id), ...this.controls.keys()]);
  }

  /** abandon() is called: with CleanSession 1 it ends the told flows too, which says so by no action. */
  abandoning(): void {
    if (!this.clean) return;
    this.flows = this.flows.filter((f) => !this.told.has(f));
    this.told.clear();
  }

  /** A broker packet about to be given to the session: it ends a told flow, which says so by no action. */
  brokerSends(p: Packet): void {
    const flow = [...this.told].find((f) => 'packetId' in p && f.id === p.packetId);
    if (flow === undefined) return;
    if ((p.type === 'pubcomp' && flow.stage === 'pubrel') || (p.type === 'puback' && flow.stage === 'publish')) {
      this.told.delete(flow);
      this.flows = this.flows.filter((f) => f !== flow);
    }
  }

  /** `connack` is set when the actions answer a CONNACK with return code 0. */
  observe(actions: readonly SessionAction[], step: string, connack?: { sessionPresent: boolean }): void {
    const where = `${step}: ${JSON.stringify(trace(actions))}`;
    if (connack !== undefined) this.checkResend(actions, where);
    for (const a of actions) this.one(a, where);
  }

  /** [MQTT-4.4.0-1] [MQTT-4.6.0-1] [MQTT-4.6.0-4]: open flows first, in order, before anything new. */
  private checkResend(actions: readonly SessionAction[], where: string): void {
    const expected = this.flows.map((f) => (f.stage === 'publish' ? `send publish#${f.id} dup` : `send pubrel#${f.id}`));
    expect(trace(actions).slice(0, expected.length), `${where}: re-sends first, in order`).toEqual(expected);
  }

  private one(a: SessionAction, where: string): void {
    switch (a.type) {
      case 'send':
        return this.sent(a.packet, where);
      case 'deliver': {
        const m = a.message;
        if (m.qos === 2) {
          expect(this.deliveredQoS2.has(m.packetId!), `${where}: QoS 2 message ${m.packetId} delivered twice [MQTT-4.3.3-2]`).toBe(false);
          this.deliveredQoS2.add(m.packetId!);
        }
        return;
      }
      case 'published':
      case 'subscribed':
      case 'unsubscribed': {
        const n = (this.completions.get(a.request) ?? 0) + 1;
        expect(n, `${where}: ${nameOf(a.request)} completed twice`).toBe(1);
        this.completions.set(a.request, n);
        const id = this.idOf.get(a.request);
        const kept = this.flows.find((f) => f.request === a.request);
        if (a.type === 'published' && a.result === ResultCode.UNDELIVERABLE) this.closeCounted = true;
        if (a.type === 'published' && a.result === ResultCode.INCOMPLETE && !this.clean && kept?.request.qos === 2) {
          this.told.add(kept); // [MQTT-4.3.3-2]: its id stays open until the broker ends the flow
          return;
        }
        if (id !== undefined) {
          this.flows = this.flows.filter((f) => f.request !== a.request);
          if (this.controls.get(id) === a.request) this.controls.delete(id);
        }
        return;
      }
      case 'connack':
        if (a.returnCode === 0 && !(a.sessionPresent && !this.clean)) this.deliveredQoS2.clear();
        this.connected = a.returnCode === 0;
        return;
      case 'close':
        if (a.reason === 'transport' && this.connected && !this.closeCounted) this.brokerClosed();
        this.phase = 'closed';
        this.connected = this.closeCounted = false;
        return;
    }
  }

  /**
   * The broker closed a connection that carried the flows: the oldest unacknowledged PUBLISH
   * counts it. One already told (-11 on a kept session) ends at the Session's default
   * undeliverableAfter (3) saying so by no action; any other would have completed -13.
   */
  private brokerClosed(): void {
    const oldest = this.flows.find((f) => f.stage === 'publish');
    if (oldest === undefined) return;
    const closes = (this.closes.get(oldest) ?? 0) + 1;
    this.closes.set(oldest, closes);
    if (closes >= 3 && this.told.delete(oldest)) this.flows = this.flows.filter((f) => f !== oldest);
  }

  private sent(p: Packet, where: string): void {
    expect(this.phase, `${where}: ${p.type} sent while disconnected [MQTT-3.1.0-1]`).not.toBe('closed');
    if (this.phase === 'connect-called') {
      expect(p.type, `${where}: first packet must be CONNECT [MQTT-3.1.0-1]`).toBe('connect');
      this.phase = 'open';
      this.clean = (p as { cleanSession: boolean }).cleanSession;
      encode(p);
      return;
    }
    expect(p.type, `${where}: a second CONNECT`).not.toBe('connect');
    encode(p); // everything sent must be encodable
    switch (p.type) {
      case 'publish': {
        expect(dupBit(p), `${where}: DUP bit on the wire`).toBe(p.dup);
        if (p.qos === 0) {
          expect(p.dup).toBe(false);
          return;
        }
        const request = this.byName.get(p.topic) as PublishRequest;
        const known = this.idOf.get(request);
        const flow = this.flows.find((f) => f.request === request);
        if (known === undefined || flow === undefined) {
          expect(known, `${where}: ${p.topic} sent again after it completed`).toBeUndefined();
          expect(p.dup, `${where}: first send with DUP=0 [MQTT-4.3.2-1]`).toBe(false);
          expect(this.openIds().has(p.packetId!), `${where}: id ${p.packetId} already open [MQTT-2.3.1-2]`).toBe(false);
          this.idOf.set(request, p.packetId!);
          this.flows.push({ request, id: p.packetId!, stage: 'publish' });
        } else {
          expect(p.packetId, `${where}: re-send keeps the id [MQTT-2.3.1-3]`).toBe(known);
          expect(p.dup, `${where}: re-send sets DUP [MQTT-3.3.1-1]`).toBe(true);
          expect(flow.stage, `${where}: PUBLISH re-sent after PUBREL [MQTT-4.3.3-1]`).toBe('publish');
        }
        return;
      }
      case 'pubrel': {
        const flow = this.flows.find((f) => f.id === p.packetId);
        expect(flow?.request.qos, `${where}: PUBREL for no open QoS 2 flow`).toBe(2);
        if (flow!.stage === 'publish') {
          flow!.stage = 'pubrel';
          this.flows = [...this.flows.filter((f) => f !== flow), flow!];
        }
        return;
      }
      case 'subscribe':
      case 'unsubscribe': {
        const request = this.byName.get(p.type === 'subscribe' ? p.subscriptions[0]!.topic : p.topics[0]!)!;
        expect(this.openIds().has(p.packetId), `${where}: id ${p.packetId} already open [MQTT-2.3.1-2]`).toBe(false);
        this.idOf.set(request, p.packetId);
        this.controls.set(p.packetId, request);
        return;
      }
      case 'pubcomp':
        this.deliveredQoS2.delete(p.packetId);
        return;
      default:
        return;
    }
  }
}
