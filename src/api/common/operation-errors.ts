/**
 * What every face reports when an engine operation fails: MqttCodeError, an MqttError that
 * carries the numeric code it came from — a CONNACK return code, a SUBACK's 0x80, or an
 * operation's result code — as aiomqtt's does (`rc`), with one error code per result.
 */
import { MqttError } from '../../errors.js';
import type { ErrorCode } from '../../errors.js';
import * as Result from '../../session/result-codes.js';

export class MqttCodeError extends MqttError {
  readonly rc: number;

  constructor(code: ErrorCode, rc: number, message: string) {
    super(code, `[code:${rc}] ${message}`);
    this.name = 'MqttCodeError';
    this.rc = rc;
  }
}

const CONNACK_REASONS = ['', 'unacceptable protocol version', 'identifier rejected', 'server unavailable', 'bad user name or password', 'not authorized'];

/** A CONNACK refusal (return code 1–5). */
export function connectionRefused(rc: number, url: string): MqttCodeError {
  return new MqttCodeError('CONNECTION_REFUSED', rc, `${url} refused the connection: ${CONNACK_REASONS[rc] ?? 'unknown reason'}`);
}

/** The error for an operation that completed with result code `rc` (not 0). */
export function operationFailed(rc: number, what: string): MqttCodeError {
  switch (rc) {
    case Result.DISCONNECTED:
      return new MqttCodeError('CONNECTION_LOST', rc, `${what}: the client is not connected`);
    case Result.INCOMPLETE:
      return new MqttCodeError('CONNECTION_LOST', rc, `${what}: the connection was lost before the broker confirmed it`);
    case Result.RATE_LIMITED:
      return new MqttCodeError('RATE_LIMITED', rc, `${what}: refused by a rate limit`);
    case Result.UNDELIVERABLE:
      return new MqttCodeError('UNDELIVERABLE', rc, `${what}: the broker closed the connection each time it was sent, so it will not take it (not authorized, or a topic it refuses)`);
    case Result.MAX_BUFFERED:
      return new MqttCodeError('QUEUE_FULL', rc, `${what}: the outgoing buffer (maxBuffered) is full`);
    default:
      return new MqttCodeError('OPERATION_FAILED', rc, `${what} failed`);
  }
}
