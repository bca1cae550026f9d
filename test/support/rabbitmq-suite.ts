/**
 * `describe` for the RabbitMQ cluster suite: a plain describe where RabbitMQ is installed;
 * elsewhere skipped with a printed note, or — with MQTT_REQUIRE_RABBITMQ=1, as in CI — one
 * failing test saying what is missing, so the suite cannot pass by not running. Kept apart from
 * rabbitmq.ts, which bench/cluster.mjs bundles without vitest.
 */
import { describe, it } from 'vitest';
import { rabbitmqAvailable } from './rabbitmq.js';

export type RabbitGate = 'run' | 'skip' | 'fail';

export function rabbitmqGate(available: boolean = rabbitmqAvailable(), env: NodeJS.ProcessEnv = process.env): RabbitGate {
  if (available) return 'run';
  return env.MQTT_REQUIRE_RABBITMQ === '1' ? 'fail' : 'skip';
}

export function describeWithRabbitMQ(name: string, fn: () => void): void {
  switch (rabbitmqGate()) {
    case 'run':
      describe(name, fn);
      return;
    case 'skip':
      console.warn(`RabbitMQ not installed: skipping ${name} (apt-get install -y rabbitmq-server; set MQTT_REQUIRE_RABBITMQ=1 to make this an error)`);
      describe.skip(name, fn);
      return;
    case 'fail':
      describe(name, () => {
        it('needs RabbitMQ', () => {
          throw new Error(`RabbitMQ is required (MQTT_REQUIRE_RABBITMQ=1) but not installed, so "${name}" cannot run. Install it with \`apt-get install -y rabbitmq-server\`.`);
        });
      });
      return;
  }
}
