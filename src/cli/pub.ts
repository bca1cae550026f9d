/** `impmqtt pub`: mosquitto_pub's flags, lines and exit statuses, on the engine. */
import { readFileSync } from 'node:fs';
import type { ClientOptions } from '../client/index.js';
import { MAX_REMAINING_LENGTH } from '../packet/index.js';
import type { QoS } from '../packet/index.js';
import { ResultCode } from '../session/index.js';
import { Reporter } from './command.js';
import type { CliIo, Command } from './command.js';
import { CONNECTION_FLAGS, checkPublishTopic, connectionSettings, refusedClientId } from './connect-options.js';
import { CliConnection } from './connection.js';
import { UsageError, integerIn, secondsIn } from './flags.js';
import type { FlagSpec, ParsedFlags } from './flags.js';
import { LineSplitter } from './lines.js';

const FLAGS: readonly FlagSpec[] = [
  { key: 'topic', names: ['-t', '--topic'], value: 'topic', help: 'topic to publish to' },
  { key: 'message', names: ['-m', '--message'], value: 'message', help: 'the payload' },
  { key: 'file', names: ['-f', '--file'], value: 'file', help: "the file's contents as the payload" },
  { key: 'lines', names: ['-l', '--stdin-line'], help: 'one message per stdin line, sent as each line arrives' },
  { key: 'stdin', names: ['-s', '--stdin-file'], help: 'all of stdin as one message' },
  { key: 'null', names: ['-n', '--null-message'], help: 'an empty (zero-length) payload' },
  { key: 'retain', names: ['-r', '--retain'], help: 'retain the message (an empty one clears the retained message)' },
  { key: 'repeat', names: ['--repeat'], value: 'count', help: 'publish the message this many times (not with -l)', parse: integerIn(1, 2 ** 31 - 1, 'Invalid --repeat count') },
  { key: 'repeatDelay', names: ['--repeat-delay'], value: 'secs', help: 'seconds between repeats', parse: secondsIn(0, 86_400, 'Invalid --repeat-delay') },
  ...CONNECTION_FLAGS,
];

/** mosquitto_pub's words for `-i ""` (see refusedClientId). */
const INVALID_ID = 'Error: Invalid id.';
/** mosquitto_pub's loop adds this line after a CONNACK refusal's own (mosquitto_sub does not). */
const REFUSED = 'Error: The connection was refused.';

const MODES = ['message', 'file', 'lines', 'stdin', 'null'] as const;

/** -l stops reading stdin while this many messages, or bytes, wait for the engine. */
const MAX_PENDING_MESSAGES = 1_000;
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

export const pubCommand: Command = {
  name: 'pub',
  summary: 'publish one message, a file, or each line of stdin (mosquitto_pub)',
  usage: 'impmqtt pub {-h host -p port -t topic | -L url} {-m message | -f file | -l | -s | -n} [options]',
  flags: FLAGS,
  notes: `Exit status: 0 when every message was delivered for its QoS; 1 for usage and connection errors;
the CONNACK return code when the broker refuses the connection (e.g. 5: not authorised).

Examples:
  impmqtt pub -t sensors/1/temp -m 21.5 -q 1
  tail -f app.log | impmqtt pub -t logs/app -l
  impmqtt pub -L mqtts://user:secret@broker.example.com/status -m up -r`,
  run,
};

async function run(flags: ParsedFlags, io: CliIo): Promise<number> {
  const settings = connectionSettings(flags, process.pid);
  const modes = MODES.filter((mode) => flags.has(mode));
  if (modes.length > 1 || MODES.some((mode) => flags.all(mode).length > 1)) throw new UsageError('Only one type of message can be sent at once.');
  const topic = flags.get<string>('topic') ?? settings.urlTopic;
  const mode = modes[0];
  if (topic === undefined || mode === undefined) throw new UsageError('Both topic and message must be supplied.');
  checkPublishTopic(topic);
  if (mode === 'lines' && flags.has('repeat')) throw new UsageError('--repeat cannot be used with -l.');
  const qos = flags.get<QoS>('qos') ?? 0;
  const retain = flags.has('retain');
  const reporter = new Reporter(io, settings.quiet, settings.debug);

  if (mode === 'lines') return refusedClientId(flags, reporter, INVALID_ID) ?? publishLines(settings.options, reporter, io, topic, qos, retain);
  const payload = mode === 'message' ? flags.get<string>('message')! : mode === 'file' ? readPayloadFile(flags.get<string>('file')!) : mode === 'stdin' ? await readAll(io.stdin) : new Uint8Array(0);
  // mosquitto_pub refuses an empty stdin for -s (use -n for an empty message), before connecting.
  if (mode === 'stdin' && payload.length === 0) {
    reporter.error('Error: Zero length input.');
    reporter.error('Error loading input from stdin.');
    return 1;
  }
  const refused = refusedClientId(flags, reporter, INVALID_ID);
  if (refused !== undefined) return refused;
  const repeat = flags.get<number>('repeat') ?? 1;
  const delayMs = (flags.get<number>('repeatDelay') ?? 0) * 1000;
  let sent = 0;
  const connection: CliConnection = new CliConnection(settings.options, reporter, () => send(), REFUSED);
  const send = (): void => {
    submit(connection, topic, payload, qos, retain, () => {
      if (++sent >= repeat) connection.finish(0);
      else setTimeout(send, delayMs);
    });
  };
  return connection.exit;
}

function publishLines(options: ClientOptions, reporter: Reporter, io: CliIo, topic: string, qos: QoS, retain: boolean): Promise<number> {
  // What one PUBLISH can carry on this topic: the remaining length less the topic and packet id.
  const splitter = new LineSplitter(MAX_REMAINING_LENGTH - 2 - Buffer.byteLength(topic) - (qos === 0 ? 0 : 2));
  let pendingMessages = 0;
  let pendingBytes = 0;
  let paused = false;
  let ended = false;
  // Lines of the chunk being split once the engine holds enough: one 64 KiB read may be 65,536
  // empty lines, past the packet ids (and maxBuffered). At most one chunk's lines wait here.
  let held: Uint8Array[] = [];
  let heldAt = 0;
  const overLimit = (): boolean => pendingMessages >= MAX_PENDING_MESSAGES || pendingBytes >= MAX_PENDING_BYTES;
  const connection: CliConnection = new CliConnection(options, reporter, () => {
    io.stdin.on('data', (chunk: Uint8Array) => {
      try {
        splitter.push(chunk, publishLine);
      } catch (error) {
        io.stdin.pause();
        return connection.fail(1, `Error: ${(error as Error).message}.`);
      }
      // The engine's queue is full enough: stop reading, so a pipe of any size holds bounded memory.
      if (overLimit() && !paused) {
        paused = true;
        io.stdin.pause();
      }
    });
    io.stdin.once('end', () => {
      splitter.end(publishLine);
      ended = true;
      if (pendingMessages === 0 && held.length === 0) connection.finish(0);
    });
    io.stdin.once('error', (error: Error) => connection.fail(1, `Error: Reading stdin failed: ${error.message}`));
    io.stdin.resume();
  }, REFUSED);
  const publishLine = (line: Uint8Array): void => {
    if (heldAt < held.length || overLimit()) held.push(line);
    else send(line);
  };
  const send = (line: Uint8Array): void => {
    pendingMessages++;
    pendingBytes += line.length;
    submit(connection, topic, line, qos, retain, () => {
      pendingMessages--;
      pendingBytes -= line.length;
      while (heldAt < held.length && !overLimit()) send(held[heldAt++]!);
      if (heldAt === held.length && heldAt > 0) {
        held = [];
        heldAt = 0;
      }
      if (paused && held.length === 0 && pendingMessages <= MAX_PENDING_MESSAGES / 2 && pendingBytes <= MAX_PENDING_BYTES / 2) {
        paused = false;
        io.stdin.resume();
      }
      if (ended && pendingMessages === 0 && held.length === 0) connection.finish(0);
    });
  };
  return connection.exit;
}

/** Publishes; `delivered` runs on success, anything else ends the command with status 1. */
function submit(connection: CliConnection, topic: string, payload: string | Uint8Array, qos: QoS, retain: boolean, delivered: () => void): void {
  let accepted: number;
  try {
    accepted = connection.client.publish(topic, payload, { qos, retain }, (result) => {
      if (result === ResultCode.SUCCESS) delivered();
      else connection.fail(1, `Error: A message was not delivered: ${describeResult(result)}.`);
    });
  } catch (error) {
    return connection.fail(1, `Error: ${(error as Error).message}`);
  }
  if (accepted !== ResultCode.SUCCESS) connection.fail(1, `Error: A message was not accepted: ${describeResult(accepted)}.`);
}

function describeResult(result: number): string {
  switch (result) {
    case ResultCode.DISCONNECTED:
      return 'the connection was lost before it was sent';
    case ResultCode.INCOMPLETE:
      return 'the connection was lost while it was in flight';
    case ResultCode.MAX_BUFFERED:
      return 'the send buffer was full';
    case ResultCode.UNDELIVERABLE:
      return 'the broker closed the connection each time it was sent (not authorized, or a topic it refuses)';
    default:
      return `result ${result}`;
  }
}

function readPayloadFile(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch {
    throw new UsageError(`Unable to read input file "${file}".`);
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}
