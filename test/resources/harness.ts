/**
 * Cycle tests run their cycles in a child process (`node --expose-gc --jitless`, on the built
 * package) while the brokers stay here: the child's heap holds the client under test and
 * nothing else, and its figure is the heap it retains per cycle (children/measure.mjs).
 */
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { ProcessRunner } from '../support/cli.js';
import { ROOT, ensureBuilt } from '../support/examples.js';

export interface CycleResult {
  /** Heap retained per cycle, bytes, between the readings after N and after 4N cycles. */
  bytesPerCycle: number;
  cycles: number;
  [detail: string]: unknown;
}

/**
 * Registers the suite's hooks (dist/ built first; children still running stopped at the end)
 * and returns what runs `children/<script>` with `config` (its argv[2], as JSON).
 */
export function cycleRunner(): (script: string, config: Record<string, unknown>, timeoutMs?: number) => Promise<CycleResult> {
  const runner = new ProcessRunner();
  beforeAll(() => ensureBuilt({ types: false }), 120_000);
  afterAll(() => runner.stopAll());
  return async (script, config, timeoutMs = 25_000) => {
    const args = ['--expose-gc', '--jitless', join(ROOT, 'test/resources/children', script), JSON.stringify(config)];
    const { status, stdout, stderr } = await runner.start(process.execPath, args, { timeoutMs }).done;
    if (status !== 0) throw new Error(`${script} ${JSON.stringify(config)} exited with ${status}: ${stderr}`);
    return JSON.parse(stdout.toString('utf8').trim().split('\n').pop()!) as CycleResult;
  };
}
