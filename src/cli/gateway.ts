/**
 * `impmqtt gateway`: the SendMessage gateway from flags, a JSON config file and the environment
 * (flags win, then the environment, then the file). Secrets can stay out of the command line,
 * where any user could read them with ps: access-key secrets and the broker password are also
 * taken from the environment. SIGTERM or SIGINT: stop accepting, let publishes in flight finish,
 * disconnect cleanly, exit 0.
 */
import { readFileSync, statSync } from 'node:fs';
import type { ClientOptions } from '../client/index.js';
import { createGateway } from '../api/gateway/index.js';
import { GATEWAY_OPTION_KEYS, HTTP_LIMIT_KEYS } from '../api/gateway/options.js';
import type { Gateway, GatewayAccessKey, GatewayOptions } from '../api/gateway/index.js';
import { MqttError } from '../errors.js';
import type { QoS } from '../packet/index.js';
import { Reporter } from './command.js';
import type { CliIo, Command } from './command.js';
import { connectionFlags, connectionSettings } from './connect-options.js';
import { UsageError, integerIn } from './flags.js';
import type { FlagSpec, ParsedFlags } from './flags.js';

/** The broker flags that mean "use the command line's broker, not the config file's". */
const BROKER_FLAGS = ['host', 'port', 'url', 'id', 'idPrefix', 'username', 'password', 'cafile', 'cert', 'key', 'insecure'];
const SHUTDOWN_GRACE_MS = 10_000;

const FLAGS: readonly FlagSpec[] = [
  { key: 'config', names: ['--config'], value: 'file', help: 'a JSON config file (see the notes below)' },
  { key: 'httpHost', names: ['--http-host'], value: 'address', help: 'address to serve HTTP on (default 127.0.0.1; 0.0.0.0 for every interface)' },
  { key: 'httpPort', names: ['--http-port'], value: 'port', help: 'port to serve HTTP on (default 8080; 0 for any free one)', parse: integerIn(0, 65_535, 'Invalid HTTP port given') },
  { key: 'accessKeyId', names: ['--access-key-id'], value: 'id', help: 'an access key id; its secret comes from $IMPMQTT_ACCESS_KEY_SECRET' },
  { key: 'instances', names: ['--instances'], value: 'ids', help: 'comma-separated instance ids that key may send to (default: any)' },
  { key: 'anonymous', names: ['--allow-anonymous'], help: 'also accept unsigned requests (prints a warning)' },
  { key: 'base64', names: ['--base64'], help: 'decode Payload as base64 (default: its UTF-8 bytes)' },
  { key: 'rateLimit', names: ['--rate-limit'], value: 'calls', help: 'SendMessage calls per second per instance (default 1000; 0: no limit)', parse: integerIn(0, 1_000_000_000, 'Invalid rate limit given') },
  { key: 'publishTimeout', names: ['--publish-timeout'], value: 'ms', help: 'how long a call waits for the broker (default 5000)', parse: integerIn(1, 3_600_000, 'Invalid publish timeout given') },
  { key: 'maxPayload', names: ['--max-payload'], value: 'bytes', help: 'largest payload (default 65536)', parse: integerIn(1, 268_435_455, 'Invalid payload limit given') },
  ...connectionFlags((key) => !['willTopic', 'willPayload', 'willQos', 'willRetain', 'persistent', 'version'].includes(key), { qos: 'QoS 0, 1 or 2 of the publishes (default 1: a call answers once the broker has the message)' }),
];

export const gatewayCommand: Command = {
  name: 'gateway',
  summary: "serve ApsaraMQ for MQTT's SendMessage HTTP API, publishing to a broker",
  usage: 'impmqtt gateway [--config file] [--http-host address] [--http-port port] [-h host -p port] [options]',
  flags: FLAGS,
  notes: `The broker: -h/-p and the other connection flags, or "mqtt" in the config file (the
engine's options: url, clientId, username, password, tls…). -q sets the QoS (default 1).

Access keys: --access-key-id with $IMPMQTT_ACCESS_KEY_SECRET; or $ALIBABA_CLOUD_ACCESS_KEY_ID and
$ALIBABA_CLOUD_ACCESS_KEY_SECRET (the SDKs' own variables, when the file names no key); or
"accessKeys" in the config file, each {"accessKeyId", "accessKeySecret" or "accessKeySecretEnv":
"VARIABLE", "instances": [...], "topics": [MQTT filters]}. Instances share the broker's topics:
"topics" keeps a key to its own.
The broker password may come from $IMPMQTT_MQTT_PASSWORD instead of -P.

Config file keys: http {host, port, maxConnections, headersTimeout, requestTimeout,
keepAliveTimeout, maxHeaderSize}, mqtt, accessKeys, allowAnonymous, qos, payloadEncoding
("utf8" | "base64"), rateLimit, publishTimeout, maxInflight, maxPayloadBytes, maxTopicLevels,
maxBodyBytes, timestampWindow, maxNonces, hostId; any other key is refused.

Examples:
  IMPMQTT_ACCESS_KEY_SECRET=s3cret impmqtt gateway --access-key-id LTAI-app -h broker.local
  impmqtt gateway --config gateway.json --http-host 0.0.0.0`,
  run,
};

interface ConfigFile extends Partial<Omit<GatewayOptions, 'accessKeys' | 'http'>> {
  http?: { host?: string; port?: number } & GatewayOptions['http'];
  accessKeys?: (GatewayAccessKey & { accessKeySecretEnv?: string })[];
}

async function run(flags: ParsedFlags, io: CliIo): Promise<number> {
  const file = readConfig(flags.get<string>('config'));
  const settings = connectionSettings(flags, process.pid);
  const reporter = new Reporter(io, settings.quiet, settings.debug);
  if (!settings.quiet) for (const line of exposedSecrets(flags, file)) io.stderr.write(`${line}\n`);
  const options = gatewayOptions(flags, io.env, file, settings.options);
  options.log = (line) => {
    if (!settings.quiet) io.stderr.write(`${line}\n`);
  };
  let gateway: Gateway;
  try {
    gateway = createGateway(options);
  } catch (error) {
    // The gateway's own checks of the configuration (a key given twice, a bad number in the file…).
    if (error instanceof MqttError && error.origin === 'caller') throw new UsageError(error.message);
    throw error;
  }
  const host = flags.get<string>('httpHost') ?? file.http?.host ?? '127.0.0.1';
  const port = flags.get<number>('httpPort') ?? file.http?.port ?? 8080;
  let address;
  try {
    address = await gateway.listen(port, host);
  } catch (error) {
    reporter.error(`Error: Cannot serve HTTP on ${host}:${port}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    await gateway.close(0);
    return 1;
  }
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  io.stdout.write(`impmqtt gateway: SendMessage on http://${shown}:${address.port}/ (GET /healthz, GET /metrics)\n`);
  io.stdout.write(`publishing at QoS ${options.qos} to ${gateway.client.url}; access keys: ${describeKeys(options)}\n`);
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      io.stdout.write('impmqtt gateway: stopping (finishing publishes in flight)\n');
      void gateway.close(SHUTDOWN_GRACE_MS).then(() => resolve(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

function readConfig(path: string | undefined): ConfigFile {
  if (path === undefined) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--config: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    checkConfig(parsed as Record<string, unknown>, path);
    return parsed as ConfigFile;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--config: ${path} is not a JSON object (${(error as Error).message}).`);
  }
}

/**
 * Secrets other users of the machine can read: the command line of a long-running server, which
 * ps shows to all; a config file readable beyond its owner. Warned about, not refused (a
 * container may have no other users).
 */
function exposedSecrets(flags: ParsedFlags, file: ConfigFile): string[] {
  const lines: string[] = [];
  if (flags.has('password') || hasPassword(flags.get<string>('url'))) {
    lines.push('Warning: the broker password is on the command line, where ps shows it to every user: use $IMPMQTT_MQTT_PASSWORD.');
  }
  const path = flags.get<string>('config');
  if (path !== undefined && holdsSecret(file) && process.platform !== 'win32') {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) lines.push(`Warning: ${path} holds secrets and other users may read it (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 it.`);
  }
  return lines;
}

/** Fields that hold a secret wherever they are (an access key's, the broker's, TLS's inline key). */
const SECRET_FIELDS = new Set(['accessKeySecret', 'password', 'passphrase', 'key']);

/** A secret anywhere in the file: in a secret field, or a URL's password (url, servers…). */
function holdsSecret(value: unknown, field = ''): boolean {
  if (typeof value === 'string') return SECRET_FIELDS.has(field) || hasPassword(value);
  if (Array.isArray(value)) return value.some((item) => holdsSecret(item));
  if (typeof value === 'object' && value !== null) return Object.entries(value).some(([name, item]) => holdsSecret(item, name));
  return false;
}

function hasPassword(url: string | undefined): boolean {
  try {
    return url !== undefined && new URL(url).password !== '';
  } catch {
    return false;
  }
}

// The gateway's own keys, less the functions a file cannot hold; http adds where to listen.
const HTTP_KEYS = new Set(['host', 'port', ...HTTP_LIMIT_KEYS]);
const CONFIG_KEYS = new Set([...GATEWAY_OPTION_KEYS].filter((key) => key !== 'log' && key !== 'wallClock'));

/**
 * The file's shape, before anything reads it: a wrong shape would otherwise crash the command
 * (an internal error), and an unknown key — a misspelling — would be silently ignored.
 */
function checkConfig(config: Record<string, unknown>, path: string): void {
  const unknown = Object.keys(config).filter((key) => !CONFIG_KEYS.has(key));
  if (unknown.length > 0) throw new UsageError(`--config: ${path}: unknown key "${unknown[0]}" (known: ${[...CONFIG_KEYS].join(', ')}).`);
  const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);
  for (const key of ['http', 'mqtt']) {
    if (config[key] !== undefined && !isObject(config[key])) throw new UsageError(`--config: ${path}: "${key}" must be an object.`);
  }
  const unknownHttp = Object.keys(config.http ?? {}).filter((key) => !HTTP_KEYS.has(key));
  if (unknownHttp.length > 0) throw new UsageError(`--config: ${path}: unknown key "http.${unknownHttp[0]}" (known: ${[...HTTP_KEYS].join(', ')}).`);
  const keys = config.accessKeys;
  if (keys !== undefined && (!Array.isArray(keys) || !keys.every(isObject))) {
    throw new UsageError(`--config: ${path}: accessKeys must be a list of {"accessKeyId", "accessKeySecret" or "accessKeySecretEnv", "instances", "topics"}.`);
  }
}

/** The gateway's options from the three sources; UsageError naming what is missing or wrong. */
export function gatewayOptions(flags: ParsedFlags, env: Record<string, string | undefined>, file: ConfigFile, brokerFromFlags: ClientOptions): GatewayOptions {
  const mqtt: ClientOptions = BROKER_FLAGS.some((key) => flags.has(key)) || file.mqtt === undefined ? brokerFromFlags : { ...file.mqtt };
  if (mqtt.password === undefined && env.IMPMQTT_MQTT_PASSWORD !== undefined) {
    if (mqtt.username === undefined) throw new UsageError('$IMPMQTT_MQTT_PASSWORD needs a user name (-u) in MQTT 3.1.1.');
    mqtt.password = env.IMPMQTT_MQTT_PASSWORD;
  }
  const options: GatewayOptions = { mqtt, accessKeys: accessKeys(flags, env, file) };
  const qos = flags.get<QoS>('qos') ?? file.qos ?? 1;
  options.qos = qos;
  options.allowAnonymous = flags.has('anonymous') || file.allowAnonymous === true;
  options.payloadEncoding = flags.has('base64') ? 'base64' : (file.payloadEncoding ?? 'utf8');
  const numbers = { rateLimit: flags.get<number>('rateLimit') ?? file.rateLimit, publishTimeout: flags.get<number>('publishTimeout') ?? file.publishTimeout, maxInflight: file.maxInflight, maxPayloadBytes: flags.get<number>('maxPayload') ?? file.maxPayloadBytes, maxTopicLevels: file.maxTopicLevels, maxBodyBytes: file.maxBodyBytes, timestampWindow: file.timestampWindow, maxNonces: file.maxNonces };
  for (const [key, value] of Object.entries(numbers)) if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value;
  if (file.hostId !== undefined) options.hostId = file.hostId;
  // host and port are where the command listens; the rest are the gateway's own HTTP limits.
  const { host: _host, port: _port, ...httpLimits } = file.http ?? {};
  if (Object.keys(httpLimits).length > 0) options.http = httpLimits;
  if (options.accessKeys!.length === 0 && !options.allowAnonymous) {
    throw new UsageError('No access keys: give --access-key-id with $IMPMQTT_ACCESS_KEY_SECRET, $ALIBABA_CLOUD_ACCESS_KEY_ID/$ALIBABA_CLOUD_ACCESS_KEY_SECRET, accessKeys in --config, or --allow-anonymous.');
  }
  return options;
}

function accessKeys(flags: ParsedFlags, env: Record<string, string | undefined>, file: ConfigFile): GatewayAccessKey[] {
  const keys: GatewayAccessKey[] = [];
  const instancesFlag = flags.get<string>('instances');
  const instances = instancesFlag === undefined ? '*' : instancesFlag.split(',').map((id) => id.trim()).filter((id) => id !== '');
  // A key that may send nowhere is a typo, not a configuration: every call would be refused.
  if (instances !== '*' && instances.length === 0) throw new UsageError('--instances needs at least one instance id (omit it for any instance).');
  const id = flags.get<string>('accessKeyId');
  if (id !== undefined) {
    const secret = env.IMPMQTT_ACCESS_KEY_SECRET ?? (env.ALIBABA_CLOUD_ACCESS_KEY_ID === id ? env.ALIBABA_CLOUD_ACCESS_KEY_SECRET : undefined);
    if (secret === undefined || secret === '') throw new UsageError(`--access-key-id ${id}: set its secret in $IMPMQTT_ACCESS_KEY_SECRET (never on the command line).`);
    keys.push({ accessKeyId: id, accessKeySecret: secret, instances });
  } else if (env.ALIBABA_CLOUD_ACCESS_KEY_ID !== undefined && env.ALIBABA_CLOUD_ACCESS_KEY_SECRET !== undefined && (file.accessKeys ?? []).length === 0) {
    // The SDKs' variables are ambient (often the machine's real cloud credentials): they are the
    // gateway's key only when nothing else names one, never an extra key, unlimited, beside the file's.
    keys.push({ accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, instances });
  } else if (instancesFlag !== undefined) {
    throw new UsageError('--instances applies to the key given by --access-key-id or $ALIBABA_CLOUD_ACCESS_KEY_ID.');
  }
  for (const key of file.accessKeys ?? []) {
    const { accessKeySecretEnv, ...rest } = key;
    if (rest.accessKeySecret === undefined && accessKeySecretEnv !== undefined) {
      const secret = env[accessKeySecretEnv];
      if (secret === undefined) throw new UsageError(`--config: access key ${key.accessKeyId} takes its secret from $${accessKeySecretEnv}, which is not set.`);
      rest.accessKeySecret = secret;
    }
    keys.push(rest);
  }
  return keys;
}

function describeKeys(options: GatewayOptions): string {
  const list = (values: string[] | '*' | undefined): string => (values === undefined || values === '*' ? 'any' : values.join(', '));
  const keys = (options.accessKeys ?? []).map((key) => `${key.accessKeyId} (instances: ${list(key.instances)}${key.topics === undefined || key.topics === '*' ? '' : `; topics: ${list(key.topics)}`})`);
  if (options.allowAnonymous) keys.push('anonymous (any instance)');
  return keys.join('; ');
}
