/** The RabbitMQ suite's gate: it may skip on a developer's machine, never where it is required (CI). */
import { describe, expect, it } from 'vitest';
import { rabbitmqGate } from './rabbitmq-suite.js';

describe('RabbitMQ gate', () => {
  it('runs when installed, skips when missing, fails when missing but required (MQTT_REQUIRE_RABBITMQ=1)', () => {
    expect(rabbitmqGate(true, {})).toBe('run');
    expect(rabbitmqGate(true, { MQTT_REQUIRE_RABBITMQ: '1' })).toBe('run');
    expect(rabbitmqGate(false, {})).toBe('skip');
    expect(rabbitmqGate(false, { MQTT_REQUIRE_RABBITMQ: '0' })).toBe('skip');
    expect(rabbitmqGate(false, { MQTT_REQUIRE_RABBITMQ: '1' })).toBe('fail');
  });
});
