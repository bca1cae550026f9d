/**
 * src/api/common/settled-within.ts: waiting on work for at most a while, with limits past
 * setTimeout's range (2^31-1 ms, past which a timer fires after 1 ms) kept, and Infinity meaning
 * no limit (found reviewing the day's fixes).
 */
import { describe, expect, it } from 'vitest';
import { settledWithin, startLongTimer } from '../../../src/api/common/settled-within.js';

const never = new Promise<void>(() => {});
const after = (ms: number, value: string): Promise<string> => new Promise((resolve) => setTimeout(() => resolve(value), ms));

describe('settledWithin', () => {
  for (const ms of [Infinity, 2 ** 31, 30 * 24 * 3600 * 1000]) {
    it(`does not give up after a few ms for a limit of ${ms}`, async () => {
      expect(await Promise.race([settledWithin(never, ms).then((v) => `settled ${v}`), after(50, 'still waiting')])).toBe('still waiting');
    });
  }

  it('true when the work finishes first, false when the limit passes first, and the work\'s error when it fails', async () => {
    expect(await settledWithin(after(5, 'done'), 1_000)).toBe(true);
    expect(await settledWithin(never, 10)).toBe(false);
    await expect(settledWithin(Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
  });

  it('waits on one piece of work: those that gave up stay false, those still waiting are told, later ones too', async () => {
    let finish!: () => void;
    const work = new Promise<void>((resolve) => (finish = resolve));
    const gaveUp = [settledWithin(work, 1), settledWithin(work, 1)];
    expect(await Promise.all(gaveUp)).toEqual([false, false]);
    const waiting = [settledWithin(work, 60_000), settledWithin(work, Infinity)];
    finish();
    expect(await Promise.all(waiting)).toEqual([true, true]);
    expect(await settledWithin(work, 0)).toBe(true);
    let fail!: (error: Error) => void;
    const failing = new Promise<void>((_, reject) => (fail = reject));
    const told = [settledWithin(failing, 60_000), settledWithin(failing, 60_000)];
    fail(new Error('cut off'));
    for (const wait of told) await expect(wait).rejects.toThrow('cut off');
  });
});

describe('startLongTimer', () => {
  it('fires after a short limit, and not at all once cancelled', async () => {
    let fired = 0;
    startLongTimer(() => fired++, 5);
    const cancel = startLongTimer(() => fired++, 5);
    cancel();
    await after(30, '');
    expect(fired).toBe(1);
  });
});
