/**
 * The connection flags pub and sub share (mosquitto's common options) and what they become: the
 * engine's ClientOptions. Credentials go into the options only, never into a URL or a line.
 */
import { readFileSync } from 'node:fs';
import { MqttClient, hostMisreadInUrl } from '../client/index.js';
import type { ClientOptions, WillOptions } from '../client/index.js';
import { MqttError } from '../errors.js';
import { validateTopicName } from '../packet/index.js';
import type { QoS } from '../packet/index.js';
import type { Reporter } from './command.js';
import { UsageError, integerIn } from './flags.js';
import type { FlagSpec, ParsedFlags } from './flags.js';

const qos = (what: string) => integerIn(0, 2, what) as (text: string) => QoS;

export const CONNECTION_FLAGS: readonly FlagSpec[] = [
  { key: 'host', names: ['-h', '--host'], value: 'host', help: 'broker host (default localhost)' },
  { key: 'port', names: ['-p', '--port'], value: 'port', help: 'broker port (default 1883, 8883 with TLS)', parse: integerIn(1, 65_535, 'Invalid port given') },
  { key: 'url', names: ['-L', '--url'], value: 'url', help: 'mqtt(s)://, ws(s):// [user[:password]@]host[:port]/topic instead of -h -p -u -P -t' },
  { key: 'id', names: ['-i', '--id'], value: 'id', help: 'client id (default: the broker assigns one)' },
  { key: 'idPrefix', names: ['-I', '--id-prefix'], value: 'prefix', help: 'client id = prefix + process id' },
  { key: 'username', names: ['-u', '--username'], value: 'username', help: 'user name' },
  { key: 'password', names: ['-P', '--pw'], value: 'password', help: 'password (never printed)' },
  { key: 'keepalive', names: ['-k', '--keepalive'], value: 'secs', help: 'keepalive, 5..65535 (default 60)', parse: integerIn(5, 65_535, 'Invalid keepalive given, it must be between 5 and 65535 inclusive') },
  { key: 'persistent', names: ['-c', '--disable-clean-session'], help: 'keep the session (needs -i)' },
  { key: 'qos', names: ['-q', '--qos'], value: 'qos', help: 'QoS 0, 1 or 2 (default 0)', parse: qos('Invalid QoS given') },
  { key: 'version', names: ['-V', '--protocol-version'], value: 'version', help: 'mqttv311 (or 311): the only version spoken', parse: protocolVersion },
  { key: 'cafile', names: ['--cafile'], value: 'file', help: 'CA certificates (PEM) to verify the broker with; turns TLS on' },
  { key: 'cert', names: ['--cert'], value: 'file', help: 'client certificate (PEM), with --key' },
  { key: 'key', names: ['--key'], value: 'file', help: 'client private key (PEM), with --cert' },
  { key: 'insecure', names: ['--insecure'], help: 'do not verify the broker certificate (testing only)' },
  { key: 'willTopic', names: ['--will-topic'], value: 'topic', help: 'will topic' },
  { key: 'willPayload', names: ['--will-payload'], value: 'payload', help: 'will payload (default empty)' },
  { key: 'willQos', names: ['--will-qos'], value: 'qos', help: 'will QoS', parse: qos('Invalid will QoS') },
  { key: 'willRetain', names: ['--will-retain'], help: 'retain the will' },
  { key: 'debug', names: ['-d', '--debug'], help: 'print packets sent and received on stderr (credentials redacted)' },
  { key: 'quiet', names: ['--quiet'], help: 'print no runtime errors' },
];

function protocolVersion(text: string): string {
  if (text === 'mqttv311' || text === '311') return '311';
  if (['mqttv31', '31', 'mqttv5', '5'].includes(text)) throw new UsageError(`impmqtt speaks MQTT 3.1.1 only; -V ${text} is not supported.`);
  throw new UsageError('Invalid protocol version argument given.');
}

/** The connection flags a command takes (those `takes` keeps), with its own help where its default differs. */
export function connectionFlags(takes: (key: string) => boolean, help: Readonly<Record<string, string>> = {}): FlagSpec[] {
  return CONNECTION_FLAGS.filter((spec) => takes(spec.key)).map((spec) => (help[spec.key] === undefined ? spec : { ...spec, help: help[spec.key]! }));
}

/** Each scheme's port when none is given (a WebSocket broker listens where web servers do). */
const DEFAULT_PORTS: Record<string, number> = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 };

export interface ConnectionSettings {
  options: ClientOptions;
  /** The topic of a -L URL, if one was given. */
  urlTopic: string | undefined;
  debug: boolean;
  quiet: boolean;
}

/** The engine options for these flags; UsageError for combinations mosquitto refuses too. */
export function connectionSettings(flags: ParsedFlags, pid: number): ConnectionSettings {
  const url = flags.get<string>('url');
  const fromUrl = url === undefined ? undefined : parseToolUrl(url);
  const tlsWanted = fromUrl?.tls === true || flags.has('cafile') || flags.has('cert') || flags.has('key');
  const host = flags.get<string>('host') ?? fromUrl?.host ?? 'localhost';
  // TLS flags turn TLS on whatever the URL's scheme says: never a plain connection (a password
  // in cleartext) where TLS was asked for.
  const plainScheme = fromUrl?.scheme ?? 'mqtt';
  const scheme = !tlsWanted ? plainScheme : plainScheme.startsWith('ws') ? 'wss' : 'mqtts';
  const port = flags.get<number>('port') ?? fromUrl?.port ?? DEFAULT_PORTS[scheme]!;
  const options: ClientOptions = { url: hostUrl(scheme, host, port) };

  if (flags.has('id') && flags.has('idPrefix')) throw new UsageError('-i and -I argument cannot be used together.');
  const prefix = flags.get<string>('idPrefix');
  options.clientId = flags.get<string>('id') ?? (prefix === undefined ? '' : `${prefix}${pid}`);
  options.cleanSession = !flags.has('persistent');
  if (!options.cleanSession && !flags.has('id')) throw new UsageError('You must provide a client id if you are using the -c option.');
  options.keepalive = flags.get<number>('keepalive') ?? 60;

  const username = flags.get<string>('username') ?? fromUrl?.username;
  const password = flags.get<string>('password') ?? fromUrl?.password;
  if (password !== undefined && username === undefined) throw new UsageError('A password (-P) needs a user name (-u) in MQTT 3.1.1.');
  if (username !== undefined) options.username = username;
  if (password !== undefined) options.password = password;

  const will = willOf(flags);
  if (will !== undefined) options.will = will;

  if (flags.has('cert') !== flags.has('key')) throw new UsageError('Both certfile and keyfile must be provided if one of them is set.');
  if (tlsWanted || flags.has('insecure')) {
    options.tls = { rejectUnauthorized: !flags.has('insecure') };
    const cafile = flags.get<string>('cafile');
    if (cafile !== undefined) options.tls.ca = readPem(cafile, '--cafile');
    const cert = flags.get<string>('cert');
    const key = flags.get<string>('key');
    if (cert !== undefined && key !== undefined) {
      options.tls.cert = readPem(cert, '--cert');
      options.tls.key = readPem(key, '--key');
    }
  }
  // A command-line tool gives up at once on a broker it cannot reach; once connected, it rides out outages.
  options.connectTimeout = 10_000;
  options.reconnect = { initialDelay: 500, maxDelay: 10_000 };
  return { options, urlTopic: fromUrl?.topic, debug: flags.has('debug'), quiet: flags.has('quiet') };
}

function willOf(flags: ParsedFlags): WillOptions | undefined {
  const topic = flags.get<string>('willTopic');
  if (topic === undefined) {
    if (flags.has('willPayload')) throw new UsageError('Will payload given, but no will topic given.');
    if (flags.has('willRetain')) throw new UsageError('Will retain given, but no will topic given.');
    return undefined;
  }
  checkPublishTopic(topic, 'will topic');
  return { topic, payload: flags.get<string>('willPayload') ?? '', qos: flags.get<QoS>('willQos') ?? 0, retain: flags.has('willRetain') };
}

/**
 * `-i ""`: libmosquitto's mosquitto_new() refuses an empty id (only a missing one lets the broker
 * assign one), so mosquitto_pub and mosquitto_sub stop there, each with its own line and status 1.
 * Returns that status after printing `line`, or undefined when the id is fine.
 */
export function refusedClientId(flags: ParsedFlags, reporter: Reporter, line: string): number | undefined {
  if (flags.get<string>('id') !== '') return undefined;
  reporter.error(line);
  return 1;
}

/** mosquitto's check and wording for a topic to publish to. */
export function checkPublishTopic(topic: string, what = 'publish topic'): void {
  try {
    validateTopicName(topic);
  } catch {
    throw new UsageError(`Invalid ${what} '${topic}', does it contain '+' or '#'?`);
  }
}

/**
 * A client for `options`. What the engine refuses in them (a host no URL can hold, a client id
 * or user name over 65535 bytes…) passed every flag's own check: it is the user's mistake, a
 * usage error, not an internal error with a stack trace.
 */
export function newClient(options: ClientOptions): MqttClient {
  try {
    return new MqttClient(options);
  } catch (error) {
    throw error instanceof MqttError && error.origin === 'caller' ? new UsageError(error.message) : error;
  }
}

/** `scheme://host:port`, the host bracketed when it is IPv6; a host the URL would not keep whole is a usage error. */
export function hostUrl(scheme: string, host: string, port: number): string {
  if (hostMisreadInUrl(host)) throw new UsageError(`Invalid host ${JSON.stringify(host)}: a host name has no '/', '?', '#', '@', '%', '\\', tab or newline.`);
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The engine's check of a broker URL, as a usage error (for commands that hand the URL to several faces). */
export function checkBrokerUrl(url: string): void {
  newClient({ url }).destroy(); // never connected: the check only
}

function readPem(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
}

interface ToolUrl {
  scheme: string;
  tls: boolean;
  host: string;
  port: number | undefined;
  username: string | undefined;
  password: string | undefined;
  topic: string;
}

/** -L as mosquitto reads it: the topic is everything after the first '/', unescaped. */
export function parseToolUrl(url: string): ToolUrl {
  const match = /^(mqtts?|wss?):\/\/(.*)$/i.exec(url);
  if (match === null) throw new UsageError('Unsupported URL scheme.');
  const scheme = match[1]!.toLowerCase();
  const rest = match[2]!;
  const slash = rest.indexOf('/');
  if (slash < 0) throw new UsageError('Invalid URL for -L argument specified - topic missing.');
  let authority = rest.slice(0, slash);
  const topic = rest.slice(slash + 1);
  let username: string | undefined;
  let password: string | undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    authority = authority.slice(at + 1);
    const colon = userinfo.indexOf(':');
    username = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (colon >= 0) password = userinfo.slice(colon + 1);
  }
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(authority);
  const [host, portText] = bracketed !== null ? [bracketed[1]!, bracketed[2]] : authority.split(':', 2) as [string, string | undefined];
  if (host === '') throw new UsageError('Invalid URL for -L argument specified - host missing.');
  const port = portText === undefined || portText === '' ? undefined : integerIn(1, 65_535, 'Invalid port given')(portText);
  return { scheme, tls: scheme === 'mqtts' || scheme === 'wss', host, port, username, password, topic };
}
