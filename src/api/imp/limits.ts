/**
 * The imp's limits as engine hooks: the inbound size cap and the rate limits of seed 001, where
 * every message each way costs one credit, acknowledgements included. An application request
 * pays when it is made (so a refusal is immediate: -4); what the protocol sends by itself (acks,
 * PINGREQ, DUP re-sends) is charged as it goes out and may run into debt.
 */
import { MqttError, MqttProtocolError } from '../../errors.js';
import type { ClientHooks, InboundRefusal } from '../../client/hooks.js';
import type { Packet } from '../../packet/index.js';
import * as Result from '../../session/result-codes.js';
import { TokenBucket } from '../common/token-bucket.js';
import type { BucketOptions } from '../common/token-bucket.js';

export interface ImpRateLimits {
  outbound?: BucketOptions | false;
  inbound?: BucketOptions | false;
}

export class ImpLimits {
  readonly #outbound: TokenBucket | null;
  readonly #inbound: TokenBucket | null;
  /** Credits taken for requests that have not yet gone out for the first time. */
  #prepaid = 0;
  readonly #maxInboundMessageSize: number;

  /** Buckets start full: the limits apply per connect() (imp-api.md). */
  constructor(rateLimits: true | ImpRateLimits | undefined, maxInboundMessageSize: number, now: number) {
    this.#maxInboundMessageSize = maxInboundMessageSize;
    const outbound = rateLimits === true ? { refillPerSecond: 2 } : rateLimits?.outbound;
    const inbound = rateLimits === true ? { refillPerSecond: 8 } : rateLimits?.inbound;
    this.#outbound = outbound ? new TokenBucket(outbound, now) : null;
    this.#inbound = inbound ? new TokenBucket(inbound, now) : null;
  }

  get hooks_(): ClientHooks {
    const hooks: ClientHooks = { admitInbound: (packet, now) => this.#admitInbound(packet, now) };
    if (this.#outbound !== null) {
      hooks.admitOutbound = (_request, now) => this.#admitOutbound(now);
      hooks.packetSent = (packet, now) => this.#packetSent(packet, now);
    }
    return hooks;
  }

  /** A request that ended without reaching the wire (-12) gets its credit back. */
  settle_(result: number, now: number): void {
    if (this.#outbound === null || this.#prepaid === 0) return;
    if (result !== Result.MAX_BUFFERED) return;
    this.#prepaid--;
    this.#outbound.refund(now);
  }

  #admitInbound(packet: Packet, now: number): InboundRefusal | undefined {
    if (packet.type === 'publish' && packet.payload.length > this.#maxInboundMessageSize) {
      const error = new MqttProtocolError('PACKET_TOO_LARGE', `An inbound message of ${packet.payload.length} bytes exceeds ${this.#maxInboundMessageSize}`, undefined, 'peer');
      return { reason: 'packet-too-large', error };
    }
    const bucket = this.#inbound;
    if (bucket === null) return undefined;
    bucket.charge(now);
    if (!bucket.exceeded(now)) return undefined;
    return { reason: 'rate-exceeded', error: new MqttError('INBOUND_RATE_EXCEEDED', 'Inbound message rate exceeded') };
  }

  #admitOutbound(now: number): number {
    if (!this.#outbound!.tryTake(now)) return Result.RATE_LIMITED;
    this.#prepaid++;
    return Result.SUCCESS;
  }

  #packetSent(packet: Packet, now: number): void {
    const firstSend = packet.type === 'publish' ? !packet.dup : packet.type === 'subscribe' || packet.type === 'unsubscribe';
    if (firstSend && this.#prepaid > 0) this.#prepaid--;
    else this.#outbound!.charge(now);
  }
}
