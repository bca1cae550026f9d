/**
 * The real brokers the imp API is run against, behind one interface so a suite can be written
 * once and run on both: mosquitto (a child process; skipped or failed per describeWithMosquitto
 * when it is not installed) and aedes (in process). Each kind states the broker behaviour that
 * legitimately differs, measured on mosquitto 2.0.11 and aedes 1.2.0, so tests assert each
 * broker's own behaviour instead of skipping.
 */
import { describe } from 'vitest';
import type { AedesOptions } from 'aedes';
import { startAedes } from '../../support/aedes.js';
import { describeWithMosquitto, startMosquitto } from '../../support/mosquitto.js';
import { impUrl } from './helpers.js';

export interface TestBroker {
  /** tcp://127.0.0.1:port (the imp's scheme). */
  readonly url: string;
  /** mqtt://127.0.0.1:port (for the core client). */
  readonly coreUrl: string;
  readonly port: number;
  /** ssl://127.0.0.1:port when started with tls. */
  readonly tlsUrl?: string;
  /** Makes the broker stop answering (mosquitto: SIGSTOP; aedes: publishes are never authorised, so never acknowledged). */
  stall(): void;
  /** Stops the broker; the sockets close under the clients. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** username → password; anything else is refused. */
  users?: Readonly<Record<string, string>>;
  /** Refuse subscriptions to `test/nosubscribe` as well as the broker can (Paho's subscribe-failure setup). */
  denyNosubscribe?: boolean;
  /** Add a TLS listener (mosquitto) or serve TLS only (aedes). */
  tls?: boolean;
}

/** Behaviour that differs between the brokers (all measured, see the suites). */
export interface BrokerBehaviour {
  /** Does the broker queue QoS 0 messages for an offline persistent session? */
  queuesQoS0Offline: boolean;
  /** Subscriptions TopicA/# (QoS 2) and TopicA/+ (QoS 1), a QoS 2 publish to TopicA/C: copies delivered and their QoS. */
  overlapping: { copies: 1 | 2; qos: number[] };
  /** SUBACK code for test/nosubscribe with the broker set up to deny it. */
  nosubscribeGranted: number;
  /** Does a subscription the broker denies still receive messages? (false = not delivered, or refused) */
  deniedSubscriptionDelivers: boolean;
  /** CONNACK return code for an empty client id with CleanSession=0 (the spec says 2 [MQTT-3.1.3-8]). */
  emptyIdPersistentConnack: number;
  /** CONNACK return code for a wrong password. */
  badPasswordConnack: number;
  /**
   * Is a QoS 2 message capped at the QoS granted to a *wildcard* subscription (QoS 1)?
   * MQTT-3.8.4-6 says it must be; aedes 1.2.0 looks the subscription up by topic name, finds
   * nothing for a wildcard filter, and delivers at QoS 2 (exact filters are capped correctly).
   */
  capsQoSForWildcardFilters: boolean;
  /**
   * Does a QoS 1 message re-sent to a resumed session carry DUP=1 [MQTT-3.3.1-1]? aedes 1.2.0
   * re-sends it with DUP=0 (same packet id).
   */
  setsDupOnRedelivery: boolean;
}

export interface BrokerKind {
  readonly name: 'mosquitto' | 'aedes';
  readonly behaviour: BrokerBehaviour;
  start(options?: StartOptions): Promise<TestBroker>;
}

const NOSUBSCRIBE = 'test/nosubscribe';

export const mosquittoKind: BrokerKind = {
  name: 'mosquitto',
  behaviour: {
    queuesQoS0Offline: false, // queue_qos0_messages defaults to false
    // mosquitto 2.0.11 sends one copy at the QoS of the most specific matching subscription
    // (TopicA/+ here), not the maximum of all matching ones that MQTT-3.3.5-1 asks for.
    overlapping: { copies: 1, qos: [1] },
    // An ACL denial is not reported in SUBACK: the subscription is granted, and nothing is delivered.
    nosubscribeGranted: 2,
    deniedSubscriptionDelivers: false,
    emptyIdPersistentConnack: 2,
    // mosquitto 2.0.11 answers any failed authentication with 5 (not authorized) on MQTT 3.1.1.
    badPasswordConnack: 5,
    capsQoSForWildcardFilters: true,
    setsDupOnRedelivery: true,
  },
  async start(options = {}) {
    const acl = options.denyNosubscribe ? `topic readwrite #\ntopic deny ${NOSUBSCRIBE}\n` : undefined;
    const broker = await startMosquitto({
      ...(options.users !== undefined && { users: options.users }),
      ...(acl !== undefined && { acl }),
      ...(options.tls === true && { tls: true }),
    });
    return {
      url: impUrl(broker.url),
      coreUrl: broker.url,
      port: broker.port,
      ...(broker.tlsUrl !== undefined && { tlsUrl: impUrl(broker.tlsUrl) }),
      stall: () => {
        const pid = broker.pid();
        if (pid !== undefined) process.kill(pid, 'SIGSTOP');
      },
      stop: async () => {
        const pid = broker.pid();
        // A stopped process cannot handle SIGTERM: kill it outright (the kernel closes its sockets).
        if (pid !== undefined) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await broker.stop();
      },
    };
  },
};

export const aedesKind: BrokerKind = {
  name: 'aedes',
  behaviour: {
    queuesQoS0Offline: false,
    // One copy at QoS 2 (the publish QoS: see capsQoSForWildcardFilters).
    overlapping: { copies: 1, qos: [2] },
    nosubscribeGranted: 0x80, // authorizeSubscribe refuses: SUBACK 0x80
    deniedSubscriptionDelivers: false,
    // aedes 1.2.0 accepts an empty client id with CleanSession=0 (assigning one), where
    // MQTT-3.1.3-8 asks for CONNACK 2.
    emptyIdPersistentConnack: 0,
    badPasswordConnack: 4,
    capsQoSForWildcardFilters: false,
    setsDupOnRedelivery: false,
  },
  async start(options = {}) {
    let stalled = false;
    const brokerOptions: AedesOptions = {
      authorizePublish: (_client, _packet, callback) => {
        if (!stalled) callback(null);
        // stalled: never answer, so the PUBLISH is never acknowledged
      },
    };
    if (options.denyNosubscribe) {
      brokerOptions.authorizeSubscribe = (_client, subscription, callback) => callback(null, subscription.topic === NOSUBSCRIBE ? null : subscription);
    }
    const broker = await startAedes({
      brokerOptions,
      ...(options.users !== undefined && { users: options.users }),
      ...(options.tls === true && { tls: true }),
    });
    const url = impUrl(broker.url);
    return {
      url,
      coreUrl: broker.url,
      port: broker.port,
      ...(options.tls === true && { tlsUrl: url }),
      stall: () => {
        stalled = true;
      },
      stop: () => broker.stop(),
    };
  },
};

/** Declares `body` once per broker: a mosquitto suite (gated on its presence) and an aedes suite. */
export function forEachBroker(title: string, body: (kind: BrokerKind) => void): void {
  describeWithMosquitto(`${title} [mosquitto]`, () => body(mosquittoKind));
  describe(`${title} [aedes]`, () => body(aedesKind));
}
