/**
 * The application's requests (publish, subscribe, unsubscribe) from the call to the callback:
 * admission by a face's hook, refusal while offline, hand-over to the session, completion, and
 * the subscriptions to restore after a fresh session.
 */
import { validateTopicName } from '../packet/index.js';
import type { SubackCode } from '../packet/index.js';
import * as Result from '../session/result-codes.js';
import type { ResultCode } from '../session/index.js';
import type { Session, SessionAction, SubscribeRequest } from '../session/index.js';
import { checkControl } from '../session/session.js';
import type { ClientEvents, Completion, Token } from './events.js';
import { rethrowLater } from './emitter.js';
import type { ClientHooks, OutboundAdmission } from './hooks.js';
import { SubscriptionRegistry } from './subscriptions.js';
import type { PacketWriter } from './writer.js';

const NO_GRANTS: SubackCode[] = [];
/** The client's own re-subscription after a reconnect reports to nobody. */
const RESUBSCRIBED: Completion = () => {};

type Admission = OutboundAdmission & { request: { token?: Token } };
type Outcome = Extract<SessionAction<Token>, { type: 'published' | 'subscribed' | 'unsubscribed' }>;

export class Requests {
  readonly #subscriptions = new SubscriptionRegistry();
  readonly #session: Session<Token>;
  readonly #writer: PacketWriter;
  readonly #hooks: ClientHooks;

  constructor(session: Session<Token>, writer: PacketWriter, hooks: ClientHooks) {
    this.#session = session;
    this.#writer = writer;
    this.#hooks = hooks;
  }

  /**
   * One request. The session checks it as it accepts it; before that an admission hook may
   * refuse it (its code is returned, the callback never called). `offline` (the client is not
   * trying to connect, nor will it): checked here, then completed -3 asynchronously like every
   * other result. Returns 0 when the request was taken.
   */
  submit_(admission: Admission, offline: boolean, now: number): number {
    if (offline || this.#hooks.admitOutbound !== undefined) check(admission);
    const verdict = this.#hooks.admitOutbound?.(admission, now) ?? Result.SUCCESS;
    if (verdict !== Result.SUCCESS) return verdict;
    if (offline) {
      const token = admission.request.token;
      if (token !== undefined) queueMicrotask(() => report(token, Result.DISCONNECTED, NO_GRANTS));
    } else if (admission.type === 'publish') {
      this.#session.publish(admission.request, now);
    } else if (admission.type === 'subscribe') {
      this.#subscribe(admission.request, now);
    } else {
      this.#session.unsubscribe(admission.request, now);
    }
    // The application no longer wants these filters, whatever becomes of the request.
    if (admission.type === 'unsubscribe') this.#subscriptions.unsubscribeRequested_(admission.request.topics);
    return Result.SUCCESS;
  }

  /** The session finished a request. */
  completed_(outcome: Outcome): void {
    const token = outcome.request.token;
    if (outcome.type === 'subscribed') {
      const { request, result, granted } = outcome;
      this.#subscriptions.subscribeCompleted_(request, request.subscriptions, result === Result.SUCCESS ? granted : null);
      if (token !== undefined) report(token, result, granted);
    } else if (token === undefined) {
      return;
    } else if (outcome.type === 'published' && outcome.request.qos === 0 && outcome.result === Result.SUCCESS) {
      // QoS 0 is complete when its bytes reach the transport, which may have to wait.
      this.#writer.afterWrite((result) => report(token, result, NO_GRANTS));
    } else {
      report(token, outcome.result, NO_GRANTS);
    }
  }

  /** After a reconnect to a broker that kept no session: subscribe again to what was subscribed. */
  resubscribe_(now: number): void {
    for (const subscriptions of this.#subscriptions.batches_()) this.#subscribe({ subscriptions, token: RESUBSCRIBED, restore: true }, now);
  }

  #subscribe(request: SubscribeRequest<Token>, now: number): void {
    this.#session.subscribe(request, now);
    this.#subscriptions.subscribeRequested_(request);
  }
}

/**
 * A request's callback, or a face's Completer, gets its result (and a SUBSCRIBE's granted QoS).
 * What it throws never unwinds the client (rethrowLater, as callSafely does): a callback from plain JavaScript
 * may be anything at all.
 */
function report(token: Token, result: ResultCode, granted: SubackCode[]): void {
  try {
    if (typeof token === 'function') token(result, granted);
    else token.completed_(result, granted);
  } catch (error) {
    rethrowLater(error);
  }
}

/** Bad input throws at the call (origin 'caller'), whatever the client's state. */
function check(admission: Admission): void {
  if (admission.type === 'publish') validateTopicName(admission.request.topic);
  else checkControl(admission.type, admission.request);
}

/** What 'restored' reports of a publish a durable store brought back, now completed. */
export function restoredInfo({ request, result, packetId }: Extract<Outcome, { type: 'published' }>): Parameters<ClientEvents['restored']>[0] {
  const { topic, payload, qos, retain, messageId, properties } = request;
  return { message: { topic, payload, qos, retain, messageId, properties }, packetId, result };
}
