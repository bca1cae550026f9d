/**
 * The SendMessage action: `InstanceId` + `MqttTopic` + `Payload` checked, the caller's
 * permission and the instance's rate limit applied, then one publish through the held MQTT
 * connection, answered when the broker has acknowledged it (at QoS 0, when written).
 * Everything that can refuse a call does so before the publish: a refused call is never sent.
 */
import { topicMatches, validateTopicName } from '../../packet/index.js';
import type { MqttClient } from '../../client/index.js';
import type { MqttError } from '../../errors.js';
import type { QoS } from '../../packet/index.js';
import { ResultCode } from '../../session/index.js';
import { operationFailed } from '../common/operation-errors.js';
import { ApiFailure } from './api-failure.js';
import type { Caller } from './authenticate.js';
import type { Parameters } from './form.js';
import { printable } from './form.js';
import type { InstanceRateLimits } from './rate-limits.js';

export interface SendMessageContext {
  client: MqttClient;
  qos: QoS;
  payloadEncoding: 'utf8' | 'base64';
  maxPayloadBytes: number;
  maxTopicLevels: number;
  publishTimeout: number;
  /** Messages the client may hold unacknowledged before calls are refused. */
  maxInflight: number;
  rateLimits: InstanceRateLimits;
  /** Called with each publish's outcome: its latency in seconds when acknowledged. */
  published(seconds: number | undefined): void;
  /** Publishes handed to the client and not yet settled (acknowledged, failed or timed out). */
  inflight: { count: number };
  /**
   * Messages handed to the client and not yet completed by it (acknowledged, written at QoS 0,
   * or failed), whether or not their calls were answered: what maxInflight bounds.
   */
  held: { count: number };
}

/** Control characters (U+0001–U+001F, U+007F–U+009F; U+0000 the codec refuses) and non-characters. */
const UNSENDABLE = /[\p{Cc}\p{Noncharacter_Code_Point}]/u;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function sendMessage(parameters: Parameters, caller: Caller, context: SendMessageContext): Promise<void> {
  const instanceId = requiredParameter(parameters, 'InstanceId');
  const topic = requiredParameter(parameters, 'MqttTopic');
  const payloadText = parameters.get('Payload');
  if (payloadText === undefined) throw ApiFailure.missing('Payload');
  try {
    validateTopicName(topic);
  } catch (error) {
    throw ApiFailure.of('InvalidParameter.MqttTopic', `MqttTopic "${printable(topic)}" is not a topic a message can be sent to: ${(error as MqttError).detail}`);
  }
  // "$" topics are the broker's own (MQTT 3.1.1 §4.7.2): mosquitto acknowledges a client's
  // PUBLISH to $SYS/… and drops it, so a 200 would claim a message nobody can receive.
  // ApsaraMQ's topic names cannot begin with "$" either.
  if (topic.startsWith('$')) {
    throw ApiFailure.of('InvalidParameter.MqttTopic', `MqttTopic "${printable(topic)}" begins with "$", which is reserved for the broker's own topics.`);
  }
  // MQTT 3.1.1 §1.5.3: a receiver MAY close the connection over these, and mosquitto does —
  // then the client resends the message on every reconnect, so one call cut every caller off
  // for good (found in review).
  if (UNSENDABLE.test(topic)) {
    throw ApiFailure.of('InvalidParameter.MqttTopic', `MqttTopic "${printable(topic)}" contains a control character or a Unicode non-character, which brokers close the connection for.`);
  }
  const levels = topic.split('/').length;
  if (levels > context.maxTopicLevels) {
    throw ApiFailure.of('InvalidParameter.MqttTopic', `MqttTopic has ${levels} levels; the limit is ${context.maxTopicLevels}.`);
  }
  const payload = payloadOf(payloadText, context);
  if (caller.instances !== null && !caller.instances.has(instanceId)) {
    throw ApiFailure.of('InstancePermissionCheckFailed', `This access key may not send to instance "${printable(instanceId)}".`);
  }
  // Every instance is the one broker's topic space: the instance check alone keeps nobody out of another's topics.
  if (caller.topics !== null && !caller.topics.some((filter) => topicMatches(filter, topic))) {
    throw ApiFailure.of('PermissionCheckFailed', `This access key may not send to topic "${printable(topic)}".`);
  }
  const client = context.client;
  if (!client.connected) throw sendFailed('the gateway is not connected to the MQTT broker');
  // Not the calls waiting: a call answered after publishTimeout leaves its message with the
  // client until the broker acknowledges it (or, at QoS 0, until a stalled socket takes it), so
  // a stalled broker would otherwise have the client hold every later message too, without
  // bound (found in review).
  const held = context.held.count;
  if (held >= context.maxInflight) {
    throw ApiFailure.of('SystemOverFlow', `${held} messages already wait for the broker (the limit is ${context.maxInflight}); this one was not sent. Please try again.`);
  }
  if (!context.rateLimits.admit(instanceId, client.now())) {
    throw ApiFailure.of('SystemOverFlow', `Instance "${printable(instanceId)}" is over its limit of SendMessage calls per second. Please try again.`);
  }
  return publish(topic, payload, context);
}

function publish(topic: string, payload: Uint8Array, context: SendMessageContext): Promise<void> {
  const client = context.client;
  const startedAt = client.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (failure: ApiFailure | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      context.inflight.count -= 1;
      context.published(failure === undefined ? (client.now() - startedAt) / 1000 : undefined);
      if (failure === undefined) resolve();
      else reject(failure);
    };
    const timer = setTimeout(
      () => settle(sendFailed(`the broker did not acknowledge the message within ${context.publishTimeout} ms; it may still be delivered`)),
      context.publishTimeout,
    );
    context.inflight.count += 1;
    // The client's completion, which can come long after the call was answered.
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      context.held.count -= 1;
    };
    context.held.count += 1;
    try {
      const refused = client.publish(topic, payload, { qos: context.qos }, (result) => {
        release();
        settle(result === ResultCode.SUCCESS ? undefined : sendFailed(publishFailure(result), result !== ResultCode.UNDELIVERABLE));
      });
      if (refused !== ResultCode.SUCCESS) {
        release();
        settle(sendFailed(publishFailure(refused)));
      }
    } catch (error) {
      release();
      settle(sendFailed(`the MQTT client refused the message (${(error as Error).message})`));
    }
  });
}

function requiredParameter(parameters: Parameters, name: string): string {
  const value = parameters.get(name);
  if (value === undefined || value === '') throw ApiFailure.missing(name);
  return value;
}

function payloadOf(text: string, context: SendMessageContext): Uint8Array {
  let payload: Buffer;
  if (context.payloadEncoding === 'base64') {
    if (!BASE64.test(text)) throw ApiFailure.of('ParameterCheckFailed', 'Payload is not valid base64 (this gateway decodes payloads as base64).');
    payload = Buffer.from(text, 'base64');
  } else {
    payload = Buffer.from(text, 'utf8');
  }
  if (payload.length > context.maxPayloadBytes) {
    throw ApiFailure.of('ParameterCheckFailed', `Payload is ${payload.length} bytes; the limit is ${context.maxPayloadBytes}.`);
  }
  return payload;
}

/** The engine's result, worded as every face words it; one cut off in flight may still arrive. */
function publishFailure(result: number): string {
  const text = operationFailed(result, 'the message').message;
  return result === ResultCode.INCOMPLETE ? `${text}; it may still be delivered` : text;
}

/** `retry` false: the broker refused the message itself (-13), and sending it again would be refused again. */
function sendFailed(reason: string, retry = true): ApiFailure {
  return ApiFailure.of('SendMessageFailed', `The message could not be sent: ${reason}.${retry ? ' Please try again.' : ''}`);
}
