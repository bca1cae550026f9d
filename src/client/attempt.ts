/**
 * One connection attempt, from opening the transport to the close: what it reached (CONNACK or a
 * refusal) and why it ended, so the client can report it once, as 'close' or 'connectfailed'.
 */
import { MqttError, asMqttError } from '../errors.js';
import type { CloseReason } from '../session/index.js';

export interface CloseInfo {
  reason: CloseReason;
  error: MqttError | undefined;
}

export class Attempt {
  /** CONNACK 0 arrived: the attempt became a connection. */
  connected_ = false;
  #finished = false;
  /** The CONNACK return code that refused the attempt. */
  refusedCode_: number | undefined;
  #closeInfo: CloseInfo | null = null;
  readonly startedAt_: number;

  // Not a parameter property: esbuild would declare it under its own name beside the mangled one.
  constructor(startedAt: number) {
    this.startedAt_ = startedAt;
  }

  /** True the first time only: the close is reported once, though callbacks run meanwhile may call destroy(). */
  finish_(): boolean {
    if (this.#finished) return false;
    return (this.#finished = true);
  }

  /** Records why the connection ends; the first reason given stands unless `replace`. */
  ending_(reason: CloseReason, error: MqttError | undefined, replace = true): void {
    if (replace || this.#closeInfo === null) this.#closeInfo = { reason, error };
  }

  /** The reason and error of the close, given what the transport reported last. */
  closeInfo_(transportError: Error | undefined): CloseInfo {
    const failure = transportError ? asMqttError(transportError, 'SOCKET_ERROR') : undefined;
    const info = this.#closeInfo;
    if (info === null) return { reason: 'transport', error: failure };
    return { reason: info.reason, error: info.error ?? failure };
  }

  /** Why an attempt that never connected failed, for 'connectfailed'. */
  failure_(info: CloseInfo, url: string): MqttError {
    if (info.error !== undefined) return info.error;
    if (this.refusedCode_ !== undefined) return new MqttError('CONNECTION_REFUSED', `${url} refused the connection: CONNACK return code ${this.refusedCode_}`);
    return new MqttError('CONNECT_FAILED', `Could not connect to ${url}`);
  }
}
