/**
 * Topics with characters MQTT 3.1.1 §1.5.3 lets a receiver close the connection over: control
 * characters U+0001–U+001F and U+007F–U+009F, and Unicode non-characters; and topics deeper than
 * brokers take (mosquitto 2.0: 201 levels; the gateway's maxTopicLevels, 128 by default). Found in the security
 * review: the gateway published them, mosquitto closed its connection, and the client resent the
 * message on every reconnect — one call, from any caller allowed some topic, cut every caller
 * off for good. They are refused (400 InvalidParameter.MqttTopic), nothing is published, and the
 * gateway's connection stays up.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithMosquitto, startMosquitto } from '../../support/mosquitto.js';
import type { MosquittoBroker } from '../../support/mosquitto.js';
import { rawHttp, signedQuery, startGateway } from './sdk.js';
import type { RunningGateway } from './sdk.js';

const call = (port: number, topic: string): ReturnType<typeof rawHttp> => rawHttp(port, `GET /?${signedQuery('GET', { MqttTopic: topic })} HTTP/1.1\r\nHost: x\r\n\r\n`);

describeWithMosquitto('SendMessage gateway: topics a broker closes the connection over', () => {
  let broker: MosquittoBroker;
  let running: RunningGateway;

  beforeAll(async () => {
    broker = await startMosquitto();
    running = await startGateway(broker.url, { publishTimeout: 2_000 });
  });
  afterAll(async () => {
    await running?.gateway.close(500);
    await broker?.stop();
  });

  const unsendable: [string, string][] = [
    ['U+0001', 'gw/a\u0001b'],
    ['U+001F', 'gw/a\u001fb'],
    ['U+007F', 'gw/a\u007fb'],
    ['U+0085', 'gw/a\u0085b'],
    ['U+FDD0', 'gw/a\ufdd0b'],
    ['U+FFFE', 'gw/a\ufffeb'],
    ['U+1FFFF', 'gw/a\u{1ffff}b'],
    // mosquitto 2.0 closes the connection past 201 levels; the gateway allows 128 (EMQX's default).
    ['202 levels', `gw/${'a/'.repeat(200)}b`],
    ['129 levels', `gw/${'a/'.repeat(127)}b`],
  ];
  for (const [what, topic] of unsendable) {
    it(`${what}: 400 InvalidParameter.MqttTopic, and the next call is still served`, async () => {
      const refused = await call(running.port, topic);
      expect(refused.status).toBe(400);
      expect((JSON.parse(refused.body) as { Code: string }).Code).toBe('InvalidParameter.MqttTopic');
      expect((await call(running.port, 'gw/after')).status).toBe(200);
    });
  }

  it('the connection to the broker never dropped; U+00A0 (a printable space) and 128 levels are sent as any topic', async () => {
    expect((await call(running.port, 'gw/a\u00a0b')).status).toBe(200);
    expect((await call(running.port, `gw/${'a/'.repeat(126)}b`)).status).toBe(200);
    expect(running.log.filter((line) => line.includes('connection closed'))).toEqual([]);
  });
});
