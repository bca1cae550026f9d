/** `impmqtt sub`: mosquitto_sub's flags, output and exit statuses, on the engine. */
import { topicMatches, validateTopicFilter } from '../packet/index.js';
import type { QoS } from '../packet/index.js';
import type { InboundMessage } from '../session/index.js';
import { Reporter } from './command.js';
import type { CliIo, Command } from './command.js';
import { CONNECTION_FLAGS, connectionSettings, refusedClientId } from './connect-options.js';
import { CliConnection } from './connection.js';
import { MAX_TIMER_SECONDS, UsageError, integerIn } from './flags.js';
import type { FlagSpec, ParsedFlags } from './flags.js';
import { MessagePrinter } from './format.js';

/** mosquitto's MOSQ_ERR_TIMEOUT: the exit status of -W. */
const TIMED_OUT = 27;

const filter = (what: string) => (text: string): string => {
  try {
    validateTopicFilter(text);
  } catch {
    throw new UsageError(`Invalid ${what} '${text}', are all '+' and '#' wildcards correct?`);
  }
  return text;
};

const FLAGS: readonly FlagSpec[] = [
  { key: 'topic', names: ['-t', '--topic'], value: 'filter', help: 'topic filter to subscribe to (repeatable)', parse: filter('subscription topic') },
  { key: 'filterOut', names: ['-T', '--filter-out'], value: 'filter', help: 'do not print messages on topics matching this filter (repeatable)', parse: filter('filter topic') },
  { key: 'unsubscribe', names: ['-U', '--unsubscribe'], value: 'filter', help: 'unsubscribe from this filter (for -c sessions; repeatable)', parse: filter('unsubscribe topic') },
  { key: 'verbose', names: ['-v', '--verbose'], help: 'print "topic payload"' },
  { key: 'format', names: ['-F'], value: 'format', help: 'output format (mosquitto_sub -F: %t %p %q %r %l %m %I %j %J %x %X %U, @-time codes, \\-escapes)' },
  { key: 'noEol', names: ['-N'], help: 'no newline after each message' },
  { key: 'count', names: ['-C'], value: 'count', help: 'exit (status 0) after this many messages', parse: integerIn(1, 2 ** 31 - 1, 'Invalid message count') },
  { key: 'timeout', names: ['-W'], value: 'secs', help: 'exit with status 27 ("Timed out") this many seconds after connecting', parse: integerIn(1, MAX_TIMER_SECONDS, 'Invalid timeout') },
  { key: 'noRetained', names: ['-R'], help: 'do not print retained (stale) messages' },
  { key: 'retainedOnly', names: ['--retained-only'], help: 'print only retained messages; exit at the first other one' },
  { key: 'exitAfterSubscribe', names: ['-E'], help: 'exit once the subscriptions are acknowledged' },
  ...CONNECTION_FLAGS,
];

export const subCommand: Command = {
  name: 'sub',
  summary: 'subscribe and print messages (mosquitto_sub)',
  usage: 'impmqtt sub {-h host -p port -t filter … | -L url} [-v | -F format] [-C count] [-W secs] [options]',
  flags: FLAGS,
  notes: `Exit status: 0 after -C messages (or -E, --retained-only, SIGINT/SIGTERM); 27 when -W runs out;
1 for usage and connection errors; the CONNACK return code when the broker refuses (e.g. 5).

Examples:
  impmqtt sub -t 'sensors/#' -v
  impmqtt sub -t 'sensors/+/temp' -F '%I %t %p' -C 10 -W 60
  impmqtt sub -c -i audit -q 1 -t orders/# -F %j`,
  run,
};

async function run(flags: ParsedFlags, io: CliIo): Promise<number> {
  const settings = connectionSettings(flags, process.pid);
  const topics = flags.all<string>('topic');
  if (settings.urlTopic !== undefined) topics.push(filter('subscription topic')(settings.urlTopic));
  const unsubscribe = flags.all<string>('unsubscribe');
  if (topics.length === 0 && unsubscribe.length === 0) throw new UsageError('You must specify a topic to subscribe to (-t) or unsubscribe from (-U).');
  if (flags.has('noRetained') && flags.has('retainedOnly')) throw new UsageError("Combining '-R' and '--retained-only' makes no sense.");
  const format = flags.get<string>('format');
  const printer = new MessagePrinter({ ...(format === undefined ? {} : { format }), verbose: flags.has('verbose'), eol: !flags.has('noEol') });
  const qos = flags.get<QoS>('qos') ?? 0;
  const count = flags.get<number>('count');
  const filterOuts = flags.all<string>('filterOut');
  const retainedOnly = flags.has('retainedOnly');
  const noRetained = flags.has('noRetained');
  const reporter = new Reporter(io, settings.quiet, settings.debug);
  const refused = refusedClientId(flags, reporter, 'Error: Invalid id and/or clean_session.');
  if (refused !== undefined) return refused;

  let received = 0;
  let stopped = false;
  let blocked = false;
  // Acknowledged once printed (or skipped on purpose): what arrives after the end is left to the
  // broker, which sends it again to a kept session (-c), instead of being acknowledged and lost.
  const connection: CliConnection = new CliConnection({ ...settings.options, manualAck: true }, reporter, () => {
    startTimeout();
    if (unsubscribe.length > 0) {
      connection.client.unsubscribe(unsubscribe, () => topics.length === 0 && flags.has('exitAfterSubscribe') && stop(0));
    }
    if (topics.length === 0) return;
    connection.client.subscribe(
      topics.map((topic) => ({ topic, qos })),
      (result, granted) => {
        if (result !== 0) return connection.fail(1, 'Error: The subscription request failed: the connection was lost.');
        granted.forEach((code, i) => code === 0x80 && reporter.error(`Warning: The broker refused the subscription to '${topics[i]}'.`));
        if (granted.every((code) => code === 0x80)) return connection.fail(1, 'Error: All subscription requests were denied.');
        if (flags.has('exitAfterSubscribe')) stop(0);
      },
    );
  });
  const client = connection.client;
  // mosquitto_sub -d follows "received SUBACK" with the granted QoS list (its on_subscribe callback).
  if (reporter.debugging) {
    client.on('packetreceive', (packet) => packet.type === 'suback' && reporter.debug(`Subscribed (mid: ${packet.packetId}): ${packet.granted.join(', ')}`));
  }

  const stop = (status: number): void => {
    stopped = true;
    clearTimeout(timer);
    // Whatever was printed goes out first: exit only once stdout has taken it.
    io.stdout.write('', () => connection.finish(status));
  };
  // -W counts from the first connection, as mosquitto_sub's does: a slow connect does not eat it.
  const timeout = flags.get<number>('timeout');
  let timer: ReturnType<typeof setTimeout> | undefined;
  function startTimeout(): void {
    if (timeout === undefined || timer !== undefined || stopped) return;
    timer = setTimeout(() => {
      reporter.error('Timed out');
      stop(TIMED_OUT);
    }, timeout * 1000);
  }
  const onSignal = (): void => stop(0);
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  io.stdout.on('error', () => connection.fail(1)); // the reader went away (EPIPE)

  client.on('message', (message: InboundMessage) => {
    if (stopped) return;
    if (retainedOnly && !message.retain) return stop(0);
    if ((message.retain && noRetained) || filterOuts.some((f) => topicMatches(f, message.topic))) {
      client.acknowledge(message);
      return;
    }
    const printed = printer.print(message);
    if (printed.error !== undefined) reporter.error(printed.error);
    if (printed.bytes === null) {
      client.acknowledge(message); // nothing to print
    } else {
      // Acknowledged once stdout has taken it: bytes still queued for a pipe whose reader then
      // goes away (EPIPE) were never printed, so the broker keeps the message.
      const taken = io.stdout.write(printed.bytes, (error) => {
        if (error == null) client.acknowledge(message);
      });
      // A slow reader of stdout slows the broker down (TCP backpressure), never this process's memory.
      if (!taken && !blocked) {
        blocked = true;
        client.setReading(false);
        io.stdout.once('drain', () => {
          blocked = false;
          client.setReading(true);
        });
      }
    }
    if (count !== undefined && ++received >= count) stop(0);
  });

  const status = await connection.exit;
  clearTimeout(timer);
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  return status;
}
