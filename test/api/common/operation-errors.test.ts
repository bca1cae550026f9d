/**
 * src/api/common/operation-errors.ts: the error every face but the imp's gives for an operation's
 * result code. Each code the engine can complete an operation with has its own error code; -13
 * (UNDELIVERABLE, undeliverableAfter) came with the day's change, and -10 no longer comes at all
 * (a request waits for a free packet id), so nothing maps to NO_PACKET_IDS.
 */
import { describe, expect, it } from 'vitest';
import { operationFailed } from '../../../src/api/common/operation-errors.js';
import { ResultCode } from '../../../src/session/index.js';

describe('operationFailed', () => {
  it('gives each failure the engine reports its own error code and keeps the number as rc', () => {
    const codes = Object.entries(ResultCode)
      .filter(([name]) => name !== 'SUCCESS' && name !== 'NO_MORE_IDS')
      .map(([name, rc]) => [name, operationFailed(rc, 'publish to t').code, operationFailed(rc, 'x').rc]);
    expect(codes).toEqual([
      ['FAILURE', 'OPERATION_FAILED', -1],
      ['DISCONNECTED', 'CONNECTION_LOST', -3],
      ['RATE_LIMITED', 'RATE_LIMITED', -4],
      ['INCOMPLETE', 'CONNECTION_LOST', -11],
      ['MAX_BUFFERED', 'QUEUE_FULL', -12],
      ['UNDELIVERABLE', 'UNDELIVERABLE', -13],
    ]);
    expect(operationFailed(ResultCode.UNDELIVERABLE, "publish to 'denied/x'").message).toBe(
      "[code:-13] publish to 'denied/x': the broker closed the connection each time it was sent, so it will not take it (not authorized, or a topic it refuses)",
    );
  });
});
