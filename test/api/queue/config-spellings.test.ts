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

describe('queue face: options.undeliverable_after, the engine undeliverableAfter in Pip terms', () => {
  it('defaults to 3; a whole number (or its text) is taken; 0 means never give up; anything else is INVALID_OPTIONS', async () => {
    const { resolveSettings } = await import('../../../src/api/queue/config.js');
    const { engineOptions } = await import('../../../src/api/queue/wire.js');
    const host = { 'connection.host': '127.0.0.1' };
    const after = (value?: unknown): number | undefined =>
      engineOptions(resolveSettings(value === undefined ? host : { ...host, 'options.undeliverable_after': value }), undefined).undeliverableAfter;
    expect([after(), after(5), after('7'), after(0)]).toEqual([3, 5, 7, Infinity]);
    for (const bad of [-1, 1.5, 'often', [3]]) expect(() => after(bad)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });
});
