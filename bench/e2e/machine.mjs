// Whole-machine CPU counters for bench/e2e.mjs: how busy the machine was, and the steal share,
// over a span (a run, or the whole benchmark).
import { readFileSync } from 'node:fs';

/** Whole-machine CPU counters from /proc/stat, for the steal share over a span. */
export function machineCpu() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    return { total: v.reduce((a, b) => a + b, 0), idle: v[3] + (v[4] ?? 0), steal: v[7] ?? 0 };
  } catch {
    return null;
  }
}

export function cpuShare(a, b) {
  if (!a || !b || b.total === a.total) return null;
  const total = b.total - a.total;
  return { busy: 1 - (b.idle - a.idle) / total, steal: (b.steal - a.steal) / total };
}
