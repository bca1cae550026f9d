/**
 * The fault suite: numbered messages from a publisher process with a file store, through a
 * proxy that cuts live connections at seeded random moments, to mosquitto (persistence on),
 * while the publisher is killed with SIGKILL and restarted and mosquitto is killed and restarted
 * on the same port; a subscriber with a persistent session records what arrives.
 * Across cuts and publisher kills: QoS 2 delivers every number exactly once, QoS 1 at least once.
 * Across broker kills the publisher still completes every number, and what arrives is counted
 * rather than asserted: mosquitto saves its state after it has answered (here after every
 * change), so a SIGKILL can bring it back with an older state — one that redelivers what it had
 * delivered, or has forgotten a QoS 2 message it had acknowledged with PUBREC (it then answers
 * the PUBREL with PUBCOMP, as the protocol says, and the message is gone). That is the broker's
 * loss, which no client can undo; the counts are printed.
 * Bounded: a few hundred messages and a handful of each fault; `npm run soak` runs the same with
 * large numbers (FAULT_N, FAULT_WINDOW, FAULT_CUTS, FAULT_KILLS, FAULT_BROKER_KILLS, FAULT_SEED).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { MqttClient } from '../../src/client/index.js';
import { subscribeAsync, until, utf8, waitFor } from '../client/helpers.js';
import { ROOT } from '../support/examples.js';
import { describeWithMosquitto, startMosquitto } from '../support/mosquitto.js';
import type { MosquittoBroker } from '../support/mosquitto.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import type { TcpProxy } from '../support/tcp-proxy.js';

const N = Number(process.env.FAULT_N ?? 300);
const WINDOW = Number(process.env.FAULT_WINDOW ?? 20);
const CUTS = Number(process.env.FAULT_CUTS ?? 4);
const KILLS = Number(process.env.FAULT_KILLS ?? 2);
const BROKER_KILLS = Number(process.env.FAULT_BROKER_KILLS ?? 2);
const SEED = Number(process.env.FAULT_SEED ?? 20261127);
const BUDGET_MS = Number(process.env.FAULT_BUDGET_MS ?? 60_000);
const PUBLISHER = join(ROOT, 'test/store/fault/publisher.mjs');

/** A small seeded generator (mulberry32): the same faults at the same moments for a seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describeWithMosquitto('fault suite: cuts, publisher kills and broker kills', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const scenarios = [
    { qos: 1, cuts: CUTS, kills: KILLS, brokerKills: 0 },
    { qos: 2, cuts: CUTS, kills: KILLS, brokerKills: 0 },
    { qos: 1, cuts: Math.ceil(CUTS / 2), kills: Math.ceil(KILLS / 2), brokerKills: BROKER_KILLS },
    { qos: 2, cuts: Math.ceil(CUTS / 2), kills: Math.ceil(KILLS / 2), brokerKills: BROKER_KILLS },
  ] as const;
  for (const { qos, cuts, kills, brokerKills } of scenarios) {
    const promise = brokerKills > 0 ? 'the publisher completes every number (what the broker loses is counted)' : `every number ${qos === 2 ? 'exactly once' : 'at least once'}`;
    it(`QoS ${qos}: ${N} numbered messages, ${cuts} cuts, ${kills} publisher kills, ${brokerKills} broker kills: ${promise}`, async () => {
      const next = random(SEED + qos * 10 + brokerKills);
      const broker: MosquittoBroker = await startMosquitto({ persistence: true, autosaveInterval: 1, extraConfig: ['autosave_on_changes true', 'max_inflight_messages 0', 'max_queued_messages 0'] });
      cleanups.push(() => broker.stop());
      const proxy: TcpProxy = await startTcpProxy({ port: broker.port });
      cleanups.push(() => proxy.stop());
      const dir = mkdtempSync(join(tmpdir(), 'impmqtt-fault-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

      const counts = new Map<number, number>();
      const subscriber = new MqttClient({ url: broker.url, clientId: `fault-sub-${qos}-${brokerKills}-${process.pid}`, cleanSession: false, keepalive: 5, reconnect: { initialDelay: 20, maxDelay: 100 } });
      cleanups.push(() => subscriber.destroy());
      subscriber.on('message', (message) => {
        const number = Number(utf8(message.payload));
        counts.set(number, (counts.get(number) ?? 0) + 1);
      });
      subscriber.connect();
      await waitFor(subscriber, 'connect');
      await subscribeAsync(subscriber, [{ topic: 'fault/n', qos }]);

      let publisher: ChildProcess | undefined;
      let finished = false;
      let output = '';
      const config = JSON.stringify({ url: proxy.url, dir, clientId: `fault-pub-${qos}-${brokerKills}-${process.pid}`, n: N, qos, window: WINDOW });
      const startPublisher = (): void => {
        const child = spawn(process.execPath, [PUBLISHER, config], { stdio: ['ignore', 'pipe', 'pipe'] });
        publisher = child;
        child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.once('exit', (code, signal) => {
          if (code === 0) finished = true;
          else if (signal !== 'SIGKILL') output += `\npublisher exited ${code} ${signal}`;
        });
      };
      cleanups.push(() => publisher?.kill('SIGKILL'));
      startPublisher();

      const faults = [...Array(cuts).fill('cut'), ...Array(kills).fill('kill'), ...Array(brokerKills).fill('broker')] as ('cut' | 'kill' | 'broker')[];
      for (let i = faults.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [faults[i], faults[j]] = [faults[j]!, faults[i]!];
      }
      const done = { cuts: 0, kills: 0, broker: 0 };
      for (const fault of faults) {
        await sleep(50 + next() * 200);
        if (finished) break;
        if (fault === 'cut') {
          proxy.cut();
          done.cuts += 1;
        } else if (fault === 'kill') {
          const victim = publisher!;
          const exited = new Promise((resolve) => victim.once('exit', resolve));
          victim.kill('SIGKILL');
          await exited;
          done.kills += 1;
          await sleep(next() * 100);
          startPublisher();
        } else {
          await broker.restart({ hard: true });
          done.broker += 1;
        }
      }
      await until(() => finished, `the publisher to finish (output: ${output.slice(-500)})`, BUDGET_MS);
      await until(() => counts.size >= N, `all ${N} numbers at the subscriber (has ${counts.size})`, 15_000).catch(() => undefined);

      const missing = Array.from({ length: N }, (_, i) => i).filter((i) => !counts.has(i));
      const duplicated = [...counts.entries()].filter(([, c]) => c > 1).length;
      expect(finished).toBe(true);
      console.log(`[fault] QoS ${qos}: ${N} sent, ${done.cuts} cuts, ${done.kills} publisher kills, ${done.broker} broker kills: ${counts.size} distinct received, ${missing.length} missing, ${duplicated} duplicated; publisher: ${output.trim().split('\n').pop()}`);
      if (brokerKills === 0) {
        expect(missing).toEqual([]);
        if (qos === 2) expect(duplicated).toBe(0);
      }
      expect([...counts.keys()].every((k) => Number.isInteger(k) && k >= 0 && k < N)).toBe(true);
    }, BUDGET_MS + 30_000);
  }
});
