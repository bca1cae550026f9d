/** Broker URLs: scheme → transport, default ports, WebSocket path; credentials kept out of sight. */
import { usageError } from '../errors.js';
import type { Endpoint, TransportKind } from './types.js';

/** Each scheme's transport, and each transport's default port. */
const SCHEMES: Record<string, TransportKind> = { mqtt: 'tcp', tcp: 'tcp', mqtts: 'tls', ssl: 'tls', tls: 'tls', ws: 'ws', wss: 'wss' };
const PORTS: Record<TransportKind, number> = { tcp: 1883, tls: 8883, ws: 80, wss: 443 };

export function parseBrokerUrl(url: string): Endpoint {
  // From plain JavaScript (a JSON config's null, a port number): an invalid URL, not a TypeError below.
  if (typeof url != 'string') url = `(${typeof url})`;
  let parsed: URL;
  let hostname: string;
  try {
    parsed = new URL(url);
    // The parser knows ws and wss only: it left the host of mqtt:// and the others as written
    // ('bücher.example' as 'b%C3%BCcher.example', which no resolver finds). Read as ws:// reads it.
    hostname = parsed.host && new URL('ws://' + parsed.host).hostname;
  } catch {
    throw usageError('INVALID_URL', `Not a valid broker URL: ${redactUnparsed(url)}`);
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  const kind = SCHEMES[scheme];
  // Not `=== undefined`: 'constructor://' would find the table's prototype's constructor.
  if (typeof kind != 'string') {
    throw usageError('INVALID_URL', `Unsupported scheme "${scheme}:" in ${redactUnparsed(url)}; use ${Object.keys(SCHEMES).join(', ')}`);
  }
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw usageError('INVALID_URL', `No host in ${redactUnparsed(url)}`);
  const port = parsed.port === '' ? PORTS[kind] : Number(parsed.port);
  const isWebSocket = kind === 'ws' || kind === 'wss';
  const path = isWebSocket ? (parsed.pathname === '' || parsed.pathname === '/' ? '/mqtt' : parsed.pathname) + parsed.search : '';
  // The URL as given, less its userinfo; rebuilt from its parts where the text cannot be trusted
  // to lose it (the parser also takes 'ws:alice:pw@host', or leading blanks).
  const redacted = redactUrl(url);
  const shown = hasNoCredentials(redacted) ? redacted : `${scheme}://${parsed.host}${parsed.pathname}${parsed.search}`;
  // An '@' still there may end a password the parser read as host, port and path ('alice:1234#pw@host'): all of it goes.
  const displayUrl = shown.includes('@') ? redactUnparsed(url) : shown;
  const endpoint: Endpoint = { kind, host, port, path, displayUrl };
  try {
    if (parsed.username !== '') endpoint.username = decodeURIComponent(parsed.username);
    if (parsed.password !== '') endpoint.password = decodeURIComponent(parsed.password);
  } catch {
    throw usageError('INVALID_URL', `Bad percent-encoding in the credentials of ${displayUrl}`);
  }
  return endpoint;
}

/**
 * Whether `scheme://host:port` built from `host` would be read as another host: '/', '?', '#'
 * end it (and the port typed after it is lost), '@' makes what precedes it a user name, '%'
 * escapes are decoded, '\\' is a '/' to ws://, tabs and newlines are dropped. For the faces that
 * build a URL from a host setting (the CLI's -h, the queue's connection.host).
 */
export function hostMisreadInUrl(host: string): boolean {
  return /[/?#@%\\\t\r\n]/.test(host);
}

/** The URL without any user:password@ part. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1'); // up to the authority's last '@', as URL parsing does
}

function hasNoCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username === '' && parsed.password === '';
  } catch {
    return false;
  }
}

/** For a URL that did not parse (or will not be used): everything up to its last '@' goes, whatever it holds. */
function redactUnparsed(url: string): string {
  const at = url.lastIndexOf('@');
  if (at < 0) return url;
  const scheme = /^\s*[a-z][a-z0-9+.-]*:\/*/i.exec(url)?.[0].trim() ?? '';
  return scheme + url.slice(at + 1);
}
