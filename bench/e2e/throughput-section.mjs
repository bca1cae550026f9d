// bench/e2e.mjs, section 1: throughput and CPU per message. 1 publisher → mosquitto → 1 subscriber,
// each client in its own child process (publisher.mjs, subscriber.mjs beside this file; one fresh
// pair per library per run), rounds interleaved A B B A …
// `ctx` is { broker, config, quick, problems } from bench/e2e.mjs; problems found outside a run's
// own list are pushed onto ctx.problems.
import { formatOps } from '../harness.mjs';
import { processCpuUs } from '../_mosquitto.mjs';
import { Child, waitWithProgress } from './children.mjs';
import { IMP, LIBS } from './clients.mjs';
import { cpuShare, machineCpu } from './machine.mjs';
let runCounter = 0;

async function throughputRun(ctx, lib, qos, n, round, variant = null) {
  const { broker, config } = ctx;
  /** mosquitto's CPU time so far, µs. */
  const brokerCpuUs = () => processCpuUs(broker.proc.pid);
  const tag = `r${String(++runCounter).padStart(3, '0')}`;
  const topic = `bench/e2e/${tag}`;
  const run = { lib, qos, n, round, variant, topic, ok: false, complete: false, problems: [] };
  const base = { lib, port: broker.port, qos, n, topic, keepalive: config.keepalive };
  const pubCfg = { ...base, clientId: `pub-${tag}`, batch: config.qos0Batch, window: qos === 1 ? config.qos1Window : config.qos2Window };
  if (lib === IMP && qos === 2) pubCfg.maxInflight = config.qos2Window;
  if (variant === 'maxInflight') {
    pubCfg.window = n; // publish everything at once; impmqtt's maxInflight holds all but 100 back
    pubCfg.maxBuffered = n;
  }
  run.method = qos === 0 ? `batches of ${pubCfg.batch}` : `window ${pubCfg.window}${pubCfg.maxInflight ? `, maxInflight ${pubCfg.maxInflight}` : ''}`;

  const sub = new Child('subscriber.mjs', { ...base, clientId: `sub-${tag}` });
  let pub = null;
  try {
    const subReady = await sub.next('ready', 15000);
    if (subReady.type !== 'ready') throw new Error(`subscriber not ready: ${JSON.stringify(subReady)}`);
    if (subReady.grantedQoS !== qos) run.problems.push(`subscription granted QoS ${subReady.grantedQoS}, asked ${qos}`);
    pub = new Child('publisher.mjs', pubCfg);
    const pubReady = await pub.next('ready', 15000);
    if (pubReady.type !== 'ready') throw new Error(`publisher not ready: ${JSON.stringify(pubReady)}`);

    const broker0 = brokerCpuUs();
    const machine0 = machineCpu();
    sub.send({ type: 'arm' });
    pub.send({ type: 'go' });
    const pubResult = await waitWithProgress(pub, 'done', (p) => p.completed, config.stallMs);
    const subResult = await waitWithProgress(sub, 'done', (p) => p.unique, pubResult.message.type === 'done' ? 3000 : 1000);
    let subDone = subResult.message;
    if (subDone.type === 'stalled') {
      sub.send({ type: 'finish' });
      subDone = await sub.next('done', 3000);
    }
    const broker1 = brokerCpuUs();
    run.machine = cpuShare(machine0, machineCpu());

    const pubDone = pubResult.message;
    if (pubDone.type !== 'done') {
      const p = pubResult.progress;
      run.problems.push(
        `publisher ${pubDone.type === 'stalled' ? `stalled (no completion for ${config.stallMs / 1000} s)` : pubDone.type}${pubDone.message ? `: ${pubDone.message}` : ''}` +
          (p ? `; sent ${p.sent}, completed ${p.completed} of ${n}, failures ${p.failures}, client state ${JSON.stringify(p.state)}` : ''),
      );
    } else {
      run.pub = { sent: pubDone.sent, completed: pubDone.completed, failures: pubDone.failures, elapsedMs: pubDone.endedAt - pubDone.startedAt, cpuUs: pubDone.cpuUser + pubDone.cpuSystem, userUs: pubDone.cpuUser, systemUs: pubDone.cpuSystem, io: pubDone.io, rss: pubDone.memory };
      run.pubCpuUsPerMsg = run.pub.cpuUs / n;
      if (pubDone.failures > 0) run.problems.push(`${pubDone.failures} publish callbacks reported failure`);
    }
    if (subDone.type !== 'done') {
      run.problems.push(`subscriber: ${subDone.type}${subDone.message ? `: ${subDone.message}` : ''}`);
    } else {
      run.sub = { unique: subDone.unique, total: subDone.total, duplicates: subDone.duplicates, outOfOrder: subDone.outOfOrder, malformed: subDone.malformed, cpuUs: subDone.cpuUser + subDone.cpuSystem, userUs: subDone.cpuUser, systemUs: subDone.cpuSystem, io: subDone.io, rss: subDone.memory };
      run.complete = subDone.complete && subDone.unique === n;
      run.subCpuUsPerMsg = run.sub.cpuUs / Math.max(1, subDone.unique);
      if (!run.complete) run.problems.push(`LOST MESSAGES: subscriber received ${subDone.unique} of ${n} distinct messages (${subDone.total} in all)`);
      if (subDone.duplicates > 0) run.problems.push(`${subDone.duplicates} duplicate deliveries`);
      if (subDone.malformed > 0) run.problems.push(`${subDone.malformed} malformed payloads`);
      if (run.complete && pubDone.type === 'done') {
        run.elapsedMs = subDone.lastAt - pubDone.startedAt;
        run.msgPerSec = (n * 1000) / run.elapsedMs;
      }
    }
    if (broker0 !== null && broker1 !== null) run.brokerCpuUsPerMsg = (broker1 - broker0) / n;
    for (const event of [...pub.events, ...sub.events]) run.problems.push(event);
    run.ok = run.complete && pubDone.type === 'done' && run.problems.length === 0;
  } catch (error) {
    run.problems.push(error.message);
  } finally {
    const exits = await Promise.all([pub?.stop(), sub.stop()]);
    if (exits.some((e) => e?.forced)) run.problems.push('a child had to be killed at the end');
  }
  return run;
}

export function describeRun(r) {
  const rate = r.msgPerSec ? `${formatOps(r.msgPerSec)} msg/s` : 'no rate';
  const cpu = r.pubCpuUsPerMsg !== undefined ? ` pub ${r.pubCpuUsPerMsg.toFixed(2)} µs` : '';
  const scpu = r.subCpuUsPerMsg !== undefined ? ` sub ${r.subCpuUsPerMsg.toFixed(2)} µs` : '';
  const recv = r.sub ? ` recv ${r.sub.unique}/${r.n}` : '';
  return `${rate},${cpu}${scpu}${recv}${r.problems.length ? `  PROBLEM: ${r.problems.join('; ')}` : ''}`;
}

export async function throughputSection(ctx) {
  const { config, quick } = ctx;
  const runs = [];
  for (const qos of [0, 1, 2]) {
    const n = config.n[qos];
    for (let round = 0; round < config.rounds; round++) {
      const order = round % 2 === 0 ? LIBS : [...LIBS].reverse();
      for (const lib of order) {
        const run = await throughputRun(ctx, lib, qos, n, round);
        runs.push(run);
        process.stderr.write(`  QoS ${qos} round ${round + 1} ${lib.padEnd(7)} ${describeRun(run)}\n`);
      }
    }
  }
  // impmqtt's own flow control doing the limiting (informational; not in the ratios).
  if (!quick) {
    const run = await throughputRun(ctx, IMP, 2, config.n[2], 0, 'maxInflight');
    runs.push(run);
    process.stderr.write(`  QoS 2 impmqtt, all ${config.n[2]} published at once, maxInflight 100: ${describeRun(run)}\n`);
  }
  return runs;
}
