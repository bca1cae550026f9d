/** TCP and TLS on Node's sockets (loaded on first use, so browser bundles never need them). */
import { MqttError } from '../errors.js';
import type { Endpoint, Transport, TransportEvents, TlsOptions } from './types.js';

type NodeSocket = import('node:net').Socket;

/**
 * Where a socket's listeners find their transport. A process may hold ten thousand idle
 * connections: one set of listener functions (module-level, `this` = the socket) serves them
 * all, where a set of closures per socket would cost about 1 KB each.
 */
const TRANSPORT = Symbol('impmqtt.transport');
type CarrierSocket = NodeSocket & { [TRANSPORT]: NodeSocketTransport };

/** Opens a TCP or TLS socket and adapts it to the Transport interface. */
export function openNodeSocket(
  endpoint: Endpoint,
  secure: boolean,
  tls: TlsOptions | undefined,
  events: TransportEvents,
): Transport {
  const transport = new NodeSocketTransport(endpoint, secure, events);
  transport.start_(tls).catch((error: unknown) => transport.finish_(error instanceof Error ? error : new Error(String(error))));
  return transport;
}

class NodeSocketTransport implements Transport {
  #socket: NodeSocket | null = null;
  #closed = false;
  failure_: Error | undefined;
  /** Asked to pause before the socket existed: it starts paused. */
  #paused = false;

  constructor(
    readonly endpoint_: Endpoint,
    readonly secure_: boolean,
    readonly events_: TransportEvents,
  ) {}

  async start_(tls: TlsOptions | undefined): Promise<void> {
    const endpoint = this.endpoint_;
    if (this.secure_) {
      const tlsModule = await import('node:tls');
      if (this.#closed) return;
      this.#attach(tlsModule.connect(tlsConnectOptions(endpoint, tls, tlsModule.checkServerIdentity)), 'secureConnect');
    } else {
      const net = await import('node:net');
      if (this.#closed) return;
      this.#attach(net.connect({ host: endpoint.host, port: endpoint.port }), 'connect');
    }
  }

  #attach(socket: NodeSocket, connectEvent: string): void {
    this.#socket = socket;
    (socket as CarrierSocket)[TRANSPORT] = this;
    socket.setNoDelay(true);
    if (this.#paused) socket.pause();
    socket.on(connectEvent, onConnect);
    socket.on('data', onData);
    socket.on('drain', onDrain);
    socket.on('error', onError);
    socket.on('close', onClose);
  }

  finish_(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.events_.close(error);
  }

  write(bytes: Uint8Array): boolean {
    return this.#socket === null || this.#closed ? false : this.#socket.write(bytes);
  }

  end(): void {
    if (this.#socket === null) return this.finish_();
    this.#socket.end();
  }

  destroy(): void {
    if (this.#socket === null) return this.finish_();
    this.#socket.destroy();
  }

  unsentBytes(): number {
    return this.#socket?.writableLength ?? 0;
  }

  pause(): void {
    this.#paused = true;
    this.#socket?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#socket?.resume();
  }
}

function onConnect(this: CarrierSocket): void {
  this[TRANSPORT].events_.open();
}

function onData(this: CarrierSocket, chunk: Uint8Array): void {
  this[TRANSPORT].events_.data(chunk);
}

function onDrain(this: CarrierSocket): void {
  this[TRANSPORT].events_.drain();
}

function onError(this: CarrierSocket, error: Error): void {
  const transport = this[TRANSPORT];
  transport.failure_ ??= describeSocketError(error, transport.endpoint_, transport.secure_);
}

function onClose(this: CarrierSocket): void {
  const transport = this[TRANSPORT];
  transport.finish_(transport.failure_);
}

const isIp = (host: string): boolean => /^[\d.]+$|:/.test(host);

function tlsConnectOptions(
  endpoint: Endpoint,
  tls: TlsOptions | undefined,
  checkServerIdentity: typeof import('node:tls').checkServerIdentity,
): import('node:tls').ConnectionOptions {
  const options: import('node:tls').ConnectionOptions = {
    host: endpoint.host,
    port: endpoint.port,
    rejectUnauthorized: tls?.rejectUnauthorized ?? true,
  };
  const servername = tls?.servername ?? (isIp(endpoint.host) ? undefined : endpoint.host);
  if (servername !== undefined && isIp(servername)) {
    // SNI carries host names only (RFC 6066 §3; Node sends it anyway, with warning DEP0123):
    // an IP address is still what the certificate is checked against.
    options.checkServerIdentity = (_host, cert) => checkServerIdentity(servername, cert);
  } else if (servername !== undefined) {
    options.servername = servername;
  }
  if (tls?.ca !== undefined) options.ca = tls.ca as string | string[];
  if (tls?.cert !== undefined) options.cert = tls.cert as string;
  if (tls?.key !== undefined) options.key = tls.key as string;
  if (tls?.passphrase !== undefined) options.passphrase = tls.passphrase;
  if (tls?.ALPNProtocols !== undefined) options.ALPNProtocols = tls.ALPNProtocols;
  return options;
}

/** A socket error as an MqttError naming the broker (never its credentials). */
function describeSocketError(error: Error, endpoint: Endpoint, secure: boolean): MqttError {
  const code = (error as { code?: string }).code;
  // The error's own words only: a DNS failure names the host ('getaddrinfo ENOTFOUND tls.example.com').
  const words = `${code ?? ''} ${error.message.split(endpoint.host).join(' ')}`;
  const isTls = secure && /certificate|CERT|SSL|TLS|self.signed|verify/i.test(words);
  const wrapped = new MqttError(
    isTls ? 'TLS_ERROR' : 'SOCKET_ERROR',
    `${isTls ? 'TLS handshake' : 'Connection'} to ${endpoint.host}:${endpoint.port} failed: ${error.message}`,
  );
  (wrapped as { cause?: unknown }).cause = error;
  return wrapped;
}
