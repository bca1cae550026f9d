// bench/e2e.mjs, section 2: sequential QoS 1 round-trip latency, both libraries in one child
// process (latency.mjs beside this file), in alternating blocks.
// `ctx` is { broker, config, quick, problems } from bench/e2e.mjs; problems found outside a run's
// own list are pushed onto ctx.problems.
import { Child, waitWithProgress } from './children.mjs';
import { LIBS } from './clients.mjs';

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export async function latencySection(ctx) {
  const { broker, config, problems } = ctx;
  const child = new Child('latency.mjs', { port: broker.port, warmup: config.latencyWarmup, samples: config.latencySamples, block: config.latencyBlock });
  const result = await waitWithProgress(child, 'done', (p) => `${p.phase}${p.done}`, 10_000);
  const message = result.message;
  await child.stop();
  if (message.type !== 'done') {
    const p = result.progress;
    const text = `latency: ${message.type}${message.message ? `: ${message.message}` : ''}${p ? ` (at ${p.phase}, ${p.lib}, ${p.done} round trips done)` : ''}`;
    problems.push(text);
    return { error: text };
  }
  const out = {};
  for (const lib of LIBS) {
    const r = message.results[lib];
    const sorted = Float64Array.from(r.samples).sort();
    out[lib] = {
      samples: sorted.length,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      p999: percentile(sorted, 99.9),
      min: sorted[0],
      mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
      failures: r.failures,
      stray: r.stray,
      problems: r.problems,
    };
    if (r.failures) problems.push(`latency ${lib}: ${r.failures} publish callbacks reported failure`);
    if (r.stray) problems.push(`latency ${lib}: ${r.stray} messages arrived when none was expected`);
    for (const p of r.problems) problems.push(`latency ${lib}: ${p}`);
  }
  return out;
}
