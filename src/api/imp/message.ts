/** mqttmessage: a message made by createmessage(), sent with sendasync(). */
import type { QoS } from '../../packet/index.js';
export type SendCallback = (resultCode: number) => void;
type Send = (message: ImpMqttMessage, callback: SendCallback | undefined) => void;

export class ImpMqttMessage {
  /** @internal */
  constructor(
    private readonly send: Send,
    readonly topic: string,
    readonly payload: Uint8Array,
    readonly qos: QoS,
    readonly retain: boolean,
  ) {}

  /**
   * Publishes the message. `callback(resultCode)` runs once delivery is complete for its QoS
   * (QoS 0: written; 1: PUBACK; 2: PUBCOMP) with 0, or with -1, -3, -4 (outbound rate limit),
   * -10, -11 or -12. Throws when the client is not connected. A message may be sent again.
   */
  sendasync(callback?: SendCallback | null): void {
    this.send(this, callback ?? undefined);
  }
}
