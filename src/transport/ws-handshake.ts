/** The client side of the RFC 6455 opening handshake over HTTP/1.1. */
import { wsError } from './ws-error.js';

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_RESPONSE_HEAD = 16_384;
/** RFC 9110: a token; a value without CR, LF or NUL. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[^\r\n\0]*$/;

export function upgradeRequest(host: string, port: number, defaultPort: number, path: string, key: string, headers: Record<string, string> = {}): string {
  const hostHeader = (host.includes(':') ? `[${host}]` : host) + (port === defaultPort ? '' : `:${port}`);
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${hostHeader}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Protocol: mqtt', // [MQTT-6.0.0-3]
  ];
  for (const [name, value] of Object.entries(headers)) {
    // A CR or LF would add lines (or a second request) of the caller's making to the upgrade.
    if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(String(value))) throw wsError(`ws.headers: ${JSON.stringify(name)} is not a valid HTTP header name and value`);
    lines.push(`${name}: ${value}`);
  }
  return lines.join('\r\n') + '\r\n\r\n';
}

export function expectedAccept(key: string, sha1Base64: (text: string) => string): string {
  return sha1Base64(key + ACCEPT_GUID);
}

/**
 * Gathers the HTTP response head. Returns the bytes after it (the first frames) once complete,
 * or null while more is needed. Throws when the response refuses the upgrade.
 */
export class HandshakeReader {
  private head = '';

  constructor(private readonly accept: string) {}

  push(chunk: Uint8Array): Uint8Array | null {
    // The head is ASCII; latin1 maps bytes to chars one to one, so offsets stay byte offsets.
    const before = this.head.length;
    let text = '';
    for (let i = 0; i < chunk.length; i++) text += String.fromCharCode(chunk[i]!);
    this.head += text;
    const end = this.head.indexOf('\r\n\r\n');
    if (end === -1) {
      if (this.head.length > MAX_RESPONSE_HEAD) throw wsError('The upgrade response head is too long');
      return null;
    }
    this.check(this.head.slice(0, end));
    return chunk.subarray(end + 4 - before);
  }

  private check(head: string): void {
    const [statusLine = '', ...lines] = head.split('\r\n');
    if (!/^HTTP\/1\.1 101\b/.test(statusLine)) throw wsError(`The server refused the upgrade: ${quoted(statusLine)}`);
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if (headers.get('upgrade')?.toLowerCase() !== 'websocket') throw wsError('The upgrade response lacks "Upgrade: websocket"');
    if (!/\bupgrade\b/i.test(headers.get('connection') ?? '')) throw wsError('The upgrade response lacks "Connection: Upgrade"');
    if (headers.get('sec-websocket-accept') !== this.accept) throw wsError('Sec-WebSocket-Accept does not match the key sent');
    // None was offered, so none may be in use (RFC 6455 §4.1): permessage-deflate forced on us
    // would fail only at the first frame big enough for the server to compress.
    const extensions = headers.get('sec-websocket-extensions');
    if (extensions) throw wsError(`The server turned on extension ${quoted(extensions)}, which was not offered`);
    const protocol = headers.get('sec-websocket-protocol');
    if (protocol !== undefined && protocol !== 'mqtt') throw wsError(`The server chose subprotocol ${quoted(protocol)}, not "mqtt"`);
  }
}

/**
 * The server's text in an error message: at most 100 characters, control characters escaped. A
 * head may be 16 KB of anything, and the message ends up in logs and on terminals.
 */
function quoted(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}
