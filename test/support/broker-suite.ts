/** A describe block with one broker for all its tests: started before them, stopped after. */
import { afterAll, beforeAll } from 'vitest';

export interface RunningBroker {
  url: string;
  stop(): Promise<void>;
}

export type Describe = (name: string, fn: () => void) => void;

/** Runs `body` inside `describeFn(title)`; `broker()` is the running broker (in tests and hooks). */
export function describeOnBroker(title: string, describeFn: Describe, start: () => Promise<RunningBroker>, body: (broker: () => RunningBroker) => void): void {
  describeFn(title, () => {
    let broker: RunningBroker | undefined;
    beforeAll(async () => {
      broker = await start();
    });
    afterAll(async () => {
      await broker?.stop();
    });
    body(() => {
      if (broker === undefined) throw new Error(`${title}: the broker did not start`);
      return broker;
    });
  });
}
