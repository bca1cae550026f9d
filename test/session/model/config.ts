/**
 * Model-based test of the Session (../model.property.test.ts): the configuration space of a model run, and small helpers on requests.
 */
import fc from 'fast-check';
import type { OutboundRequest, PublishRequest, SubscribeRequest } from '../../../src/session/index.js';

export const CLIENT_ID = 'model-client';
export const INFINITY = Number.POSITIVE_INFINITY;

export interface Config {
  /** null: the default (no limit but the ids). */
  maxInflight: number | null;
  maxBuffered: number;
  dropPolicy: 'reject-new' | 'drop-oldest';
  retryInterval: number;
  manualAck: boolean;
  pingTimeout: number | null;
  connackTimeout: number;
  /** Connect (and get CONNACK 0) before the commands start, with this keepalive; null: start offline. */
  startConnected: { cleanSession: boolean; keepalive: number } | null;
}

export const configArb: fc.Arbitrary<Config> = fc.record({
  maxInflight: fc.constantFrom(1, 2, 3, 65_535, null),
  maxBuffered: fc.constantFrom(0, 1, 3, 10_000),
  dropPolicy: fc.constantFrom('reject-new' as const, 'drop-oldest' as const),
  retryInterval: fc.constantFrom(0, 0, 1000, 3000),
  manualAck: fc.boolean(),
  pingTimeout: fc.constantFrom(null, 500),
  connackTimeout: fc.constantFrom(2000, 30_000),
  startConnected: fc.option(fc.record({ cleanSession: fc.boolean(), keepalive: fc.constantFrom(0, 1, 5) }), { freq: 5, nil: null }),
});

export const isPublish = (r: OutboundRequest): r is PublishRequest => 'topic' in r;
export const isSubscribe = (r: OutboundRequest): r is SubscribeRequest => 'subscriptions' in r;
export const nameOf = (r: OutboundRequest): string => (isPublish(r) ? r.topic : isSubscribe(r) ? r.subscriptions[0]!.topic : r.topics[0]!);
