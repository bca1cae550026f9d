/** mqttmessage: a message made by createmessage(), sent with sendasync(). */
import type { QoS } from '../../packet/index.js';
export type SendCallback = (resultCode: number) => void;
type Send = (message: ImpMqttMessage, callback: SendCallback | undefined) => void;

export class ImpMqttMessage {
  // Declared only, then assigned: parameter properties would also emit a field for each.
  private declare readonly send: Send;
  declare readonly topic: string;
  declare readonly payload: Uint8Array;
  declare readonly qos: QoS;
  declare readonly retain: boolean;

  /** @internal */
  constructor(send: Send, topic: string, payload: Uint8Array, qos: QoS, retain: boolean) {
    this.send = send;
    this.topic = topic;
    this.payload = payload;
    this.qos = qos;
    this.retain = retain;
  }

  /**
   * Publishes the message. `callback(resultCode)` runs once delivery is complete for its QoS
   * (QoS 0: written; 1: PUBACK; 2: PUBCOMP) with 0, or with -1, -3, -4 (outbound rate limit),
   * -10 (every packet id held, at once), -11, -12 or -13 (the broker closed the connection each
   * time it was sent: undeliverableAfter). Throws when the client is not connected. A message may
   * be sent again.
   */
  sendasync(callback?: SendCallback | null): void {
    this.send(this, callback ?? undefined);
  }
}
