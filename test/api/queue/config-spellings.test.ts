/**
 * Configuration booleans as Pip reads them (found in review): Pip's BooleanConverter takes
 * 'true'/'false', '1'/'0', 't'/'f', 'yes'/'no', 'y'/'n' in any case, and Pip configs come from YAML,
 * environment variables and Python's str(True) ('True'); anything else stays INVALID_OPTIONS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MessageEnvelope } from '../../../src/api/queue/index.js';
import { startAedes } from '../../support/aedes.js';
import { Cleanup } from '../../client/helpers.js';
import { bounded, makeQueue, receiveOne } from './queue-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe("queue face: Pip's boolean spellings in configuration", () => {
  it("'True', 'YES', 't' and 'No' are read as Pip's BooleanConverter reads them; 'maybe' is INVALID_OPTIONS", async () => {
    const broker = cleanup.broker(await startAedes());
    const queue = makeQueue(cleanup, broker.url, { 'options.autosubscribe': 'True', 'options.retain': 'No', 'options.serialize_envelope': 'YES', 'options.retry_connect': 't' });
    await bounded(queue.open('c'), 'open()');
    await queue.send('c', new MessageEnvelope('cid', 't', 'x'));
    const back = await receiveOne(queue);
    expect(back.correlation_id).toBe('cid'); // serialize_envelope on
    const bad = makeQueue(cleanup, broker.url, { 'options.retain': 'maybe' });
    await expect(bad.open('c')).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });
});
