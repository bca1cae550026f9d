/** The `mqtt` object: QoS constants and createclient(), per agent. */
import { usageError } from '../../errors.js';
import { ImpMqttClient } from './imp-client.js';
import type { ImpAgent, ImpClientConfig } from './imp-client.js';

export interface ImpMqtt {
  readonly AT_MOST_ONCE: 0;
  readonly AT_LEAST_ONCE: 1;
  readonly EXACTLY_ONCE: 2;
  /** A new mqttclient. Only one client of an agent may be connected at a time. */
  createclient(config?: ImpClientConfig): ImpMqttClient;
}

export interface ImpAgentOptions {
  /**
   * The imp's class page says only one mqttclient may exist per agent (createclient throws while
   * one is alive, until its close()); the createclient page says any number may exist. Default
   * false, the createclient page's rule.
   */
  singleInstance?: boolean;
}

/** An independent `mqtt` object, as a separate agent would have. */
export function createMqtt(options: ImpAgentOptions = {}): ImpMqtt {
  const live = new Set<ImpMqttClient>();
  const agent: ImpAgent = {
    active: null,
    release(client) {
      live.delete(client);
      if (agent.active === client) agent.active = null;
    },
  };
  return Object.freeze({
    AT_MOST_ONCE: 0 as const,
    AT_LEAST_ONCE: 1 as const,
    EXACTLY_ONCE: 2 as const,
    createclient(config?: ImpClientConfig): ImpMqttClient {
      if (options.singleInstance && live.size > 0) {
        throw usageError('CLIENT_EXISTS', 'Only one mqttclient may exist per agent: close() it first');
      }
      const client = new ImpMqttClient(agent, config);
      live.add(client);
      return client;
    },
  });
}

/** The agent's `mqtt` object. */
export const mqtt: ImpMqtt = createMqtt();
