/** What an MqttClient reports, and the callbacks its requests take. */
import type { MqttError } from '../errors.js';
import type { Packet, QoS, SubackCode } from '../packet/index.js';
import type { CloseReason, InboundMessage, ResultCode } from '../session/index.js';

export type ClientState = 'disconnected' | 'connecting' | 'connected' | 'disconnecting';

export type PublishCallback = (result: ResultCode) => void;
export type SubscribeCallback = (result: ResultCode, granted: SubackCode[]) => void;
export type UnsubscribeCallback = (result: ResultCode) => void;
/** The token the engine gives its session: every request's callback has this shape. */
export type Completion = (result: ResultCode, granted: SubackCode[]) => void;

/**
 * @internal A face's own object for a request, given where its callback would go: the engine
 * calls its completed_() as it would call the callback, so a face that keeps an object per
 * request makes no closure per request.
 */
export interface Completer {
  completed_(result: ResultCode, granted: SubackCode[]): void;
}

/** @internal What the engine's session carries for a request: a callback, or a face's Completer. */
export type Token = Completion | Completer;

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  /** Your id for the message: with a durable store it comes back in 'restored' after a restart. */
  messageId?: string;
  /** Your data kept with the message by a durable store (string values). */
  properties?: Record<string, string>;
}

/** A message a durable store brought back after a restart, as the 'restored' event reports it. */
export interface RestoredMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  messageId: string | undefined;
  properties: Record<string, string> | undefined;
}

export interface ClientEvents {
  /** CONNACK accepted the connection. */
  connect(info: { sessionPresent: boolean }): void;
  /** A connection attempt ended before CONNACK 0: refused (returnCode 1–5) or unreachable. */
  connectfailed(info: { returnCode: number | undefined; error: MqttError }): void;
  /** An established connection ended. */
  close(info: { reason: CloseReason; error: MqttError | undefined }): void;
  /** A reconnection attempt is scheduled. */
  reconnect(info: { attempt: number; delay: number; url: string }): void;
  message(message: InboundMessage): void;
  /**
   * A message accepted by an earlier process and brought back by a durable store has
   * completed (its callback died with that process): result 0 once delivered for its QoS.
   */
  restored(info: { message: RestoredMessage; packetId: number | undefined; result: ResultCode }): void;
  state(state: ClientState): void;
  /** Debugging: every packet written and read (credentials redacted). */
  packetsend(packet: Packet): void;
  packetreceive(packet: Packet): void;
}
