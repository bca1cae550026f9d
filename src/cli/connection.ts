/**
 * One command's connection from first attempt to exit status: mosquitto's lines and codes for
 * a broker that cannot be reached (1) or refuses the CONNECT (its return code); once connected,
 * outages are ridden out by the engine's reconnection, as mosquitto's loop does.
 */
import type { ClientOptions, MqttClient } from '../client/index.js';
import type { MqttError } from '../errors.js';
import type { Reporter } from './command.js';
import { DebugLog } from './debug-log.js';
import { newClient } from './connect-options.js';

const CONNACK_TEXT: Record<number, string> = {
  1: 'Connection Refused: unacceptable protocol version.',
  2: 'Connection Refused: identifier rejected.',
  3: 'Connection Refused: broker unavailable.',
  4: 'Connection Refused: bad user name or password.',
  5: 'Connection Refused: not authorised.',
};

export class CliConnection {
  readonly client: MqttClient;
  /** Resolves with the exit status once the connection is closed for good. */
  readonly exit: Promise<number>;
  #resolve!: (status: number) => void;
  #connectedOnce = false;
  #finishing = false;

  constructor(
    options: ClientOptions,
    private readonly reporter: Reporter,
    onConnect: (sessionPresent: boolean) => void,
    /** A line after the CONNACK refusal's own: mosquitto_pub's loop prints one, mosquitto_sub's does not. */
    private readonly afterRefusal?: string,
  ) {
    this.exit = new Promise((resolve) => (this.#resolve = resolve));
    this.client = newClient(options);
    const client = this.client;
    const id = () => (client.clientId === '' ? '(null)' : client.clientId);
    if (reporter.debugging) {
      const log = new DebugLog();
      client.on('packetsend', (packet) => log.sent(packet).forEach((line) => reporter.debug(`Client ${id()} sending ${line}`)));
      client.on('packetreceive', (packet) => log.received(packet).forEach((line) => reporter.debug(`Client ${id()} received ${line}`)));
    }
    client.on('connect', ({ sessionPresent }) => {
      if (this.#connectedOnce) return reporter.debug(`Client ${id()} reconnected`);
      this.#connectedOnce = true;
      onConnect(sessionPresent);
    });
    client.on('connectfailed', ({ returnCode, error }) => this.#failed(returnCode, error));
    client.on('close', ({ error }) => {
      if (!this.#finishing) reporter.debug(`Connection lost${error === undefined ? '' : `: ${error.message}`}; reconnecting`);
    });
    client.connect();
  }

  get connectedOnce(): boolean {
    return this.#connectedOnce;
  }

  #failed(returnCode: number | undefined, error: MqttError): void {
    if (this.#finishing) return;
    if (returnCode !== undefined && returnCode !== 0) {
      this.reporter.error(`Connection error: ${CONNACK_TEXT[returnCode] ?? 'Connection Refused: unknown reason.'}`);
      if (this.afterRefusal !== undefined) this.reporter.error(this.afterRefusal);
      return this.#end(returnCode);
    }
    if (this.#connectedOnce) return this.reporter.debug(`Reconnection failed: ${error.message}`);
    this.reporter.error(connectErrorLine(error));
    this.#end(1);
  }

  #end(status: number): void {
    this.#finishing = true;
    this.client.destroy();
    this.#resolve(status);
  }

  /** Ends gracefully (what was accepted goes out, then DISCONNECT), then exits with `status`. */
  finish(status: number): void {
    if (this.#finishing) return;
    this.#finishing = true;
    this.client.disconnect(() => this.#resolve(status));
  }

  /** Ends at once with `status`, after printing `line` (if any). */
  fail(status: number, line?: string): void {
    if (this.#finishing) return;
    if (line !== undefined) this.reporter.error(line);
    this.#end(status);
  }
}

/** mosquitto's lines for an unreachable broker, the engine's message otherwise. */
function connectErrorLine(error: MqttError): string {
  const code = ((error as { cause?: { code?: string } }).cause)?.code;
  if (code === 'ECONNREFUSED') return 'Error: Connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'Unable to connect (Lookup error.).';
  return `Error: ${error.message}`;
}
