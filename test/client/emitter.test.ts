/** The engine's emitter: the listeners of an event are those there when it came (found in review). */
import { describe, expect, it } from 'vitest';
import { Emitter } from '../../src/client/emitter.js';

class E extends Emitter<{ x: (n: number) => void }> {
  fire(n: number): void { this.emit('x', n); }
}

describe('emitter', () => {
  it('a listener added during emit is not called for that same event (one listener registered)', () => {
    const e = new E();
    const seen: number[] = [];
    e.on('x', (n) => { if (n === 1) e.once('x', (m) => seen.push(m)); });
    e.fire(1);
    e.fire(2);
    expect(seen).toEqual([2]);
  });

  it('the same with two listeners registered', () => {
    const e = new E();
    const seen: number[] = [];
    e.on('x', () => {});
    e.on('x', (n) => { if (n === 1) e.once('x', (m) => seen.push(m)); });
    e.fire(1);
    e.fire(2);
    expect(seen).toEqual([2]);
  });

  it('a lone listener that adds itself again with on() during emit is not called again by that emit', () => {
    const e = new E();
    let calls = 0;
    const f = (): void => { if (++calls < 10_000) e.on('x', f); };
    e.on('x', f);
    e.fire(1);
    expect(calls).toBe(1);
  });
});
