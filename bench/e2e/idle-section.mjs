// bench/e2e.mjs, section 3: memory per idle connection, 1,000 connections per child process
// (idle.mjs beside this file, run with --expose-gc), each library in turn.
// `ctx` is { broker, config, quick, problems } from bench/e2e.mjs; problems found outside a run's
// own list are pushed onto ctx.problems.
import { Child } from './children.mjs';
import { BARE, IMP, MQTTJS } from './clients.mjs';

export async function idleSection(ctx) {
  const { broker, config, problems } = ctx;
  const runs = [];
  const order = [];
  for (let round = 0; round < config.idleRounds; round++) order.push(...(round % 2 === 0 ? [IMP, MQTTJS, BARE] : [BARE, MQTTJS, IMP]));
  for (const lib of order) {
    const child = new Child('idle.mjs', { lib, port: broker.port, conns: config.idleConns, group: config.idleGroup, keepalive: config.keepalive }, ['--expose-gc']);
    const message = await child.next('done', 120_000);
    await child.stop(8000);
    if (message.type !== 'done') {
      const text = `idle ${lib}: ${message.type}${message.message ? `: ${message.message}` : ''}`;
      problems.push(text);
      runs.push({ lib, error: text });
      process.stderr.write(`  idle ${lib}: ${text}\n`);
      continue;
    }
    const per = (key) => (message.after[key] - message.baseline[key]) / message.conns / 1024;
    const run = {
      lib,
      conns: message.conns,
      requested: message.requested,
      fdLimit: message.fdLimit,
      connectMs: message.connectMs,
      rssKB: per('rss'),
      heapKB: per('heapUsed'),
      externalKB: per('external'),
      // Including the first connection's one-off costs, against the process before any connection:
      rssKBFromEmpty: (message.after.rss - message.empty.rss) / (message.conns + 1) / 1024,
      heapKBFromEmpty: (message.after.heapUsed - message.empty.heapUsed) / (message.conns + 1) / 1024,
      memory: { empty: message.empty, baseline: message.baseline, after: message.after },
    };
    if (message.conns < message.requested) problems.push(`idle ${lib}: only ${message.conns} connections (open-file limit ${message.fdLimit})`);
    runs.push(run);
    process.stderr.write(`  idle ${lib.padEnd(11)} ${message.conns} conns in ${message.connectMs.toFixed(0)} ms: ${run.rssKB.toFixed(1)} KB RSS, ${run.heapKB.toFixed(1)} KB heap per connection\n`);
  }
  return runs;
}
