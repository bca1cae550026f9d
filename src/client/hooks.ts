/**
 * The engine's explicit extension points for faces. A face enforces its own limits here (rate
 * limits, size caps, quotas) at the only two moments where refusing loses nothing: before an
 * inbound packet is handled (so it is never acknowledged) and before an application request is
 * accepted (so nothing is sent). The debugging events 'packetsend'/'packetreceive' are not hooks.
 */
import type { MqttError } from '../errors.js';
import type { Packet } from '../packet/index.js';
import type { CloseReason, PublishRequest, SubscribeRequest, UnsubscribeRequest } from '../session/index.js';

/** Why an inbound packet is refused: the connection closes with this reason and error. */
export interface InboundRefusal {
  reason: CloseReason;
  error: MqttError;
}

/** An application request, as the outbound admission hook sees it. */
export type OutboundAdmission =
  | { type: 'publish'; request: Readonly<PublishRequest<unknown>> }
  | { type: 'subscribe'; request: Readonly<SubscribeRequest<unknown>> }
  | { type: 'unsubscribe'; request: Readonly<UnsubscribeRequest<unknown>> };

export interface ClientHooks {
  /**
   * Every packet from the broker, before the session handles it. Returning a refusal ends the
   * connection with its reason: the packet is neither delivered nor acknowledged, and the rest
   * of that read is dropped with the connection.
   */
  admitInbound?(packet: Packet, now: number): InboundRefusal | undefined;
  /**
   * Every application request (publish, subscribe, unsubscribe), after its arguments are
   * checked and before the engine accepts it. Returning a result code other than 0 refuses it:
   * the request method returns that code and the request's callback is not called.
   */
  admitOutbound?(admission: OutboundAdmission, now: number): number;
  /** Every packet handed to the transport (acks, PINGREQ and re-sends included): for accounting. */
  packetSent?(packet: Packet, now: number): void;
}
