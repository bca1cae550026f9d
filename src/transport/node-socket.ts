/** TCP and TLS on Node's sockets (loaded on first use, so browser bundles never need them). */
import { MqttError } from '../errors.js';
import type { Endpoint, Transport, TransportEvents, TlsOptions } from './types.js';

type NodeSocket = import('node:net').Socket;

/** Opens a TCP or TLS socket and adapts it to the Transport interface. */
export function openNodeSocket(
  endpoint: Endpoint,
  secure: boolean,
  tls: TlsOptions | undefined,
  events: TransportEvents,
): Transport {
  let socket: NodeSocket | null = null;
  let closed = false;
  let failure: Error | undefined;
  /** Asked to pause before the socket existed: it starts paused. */
  let paused = false;

  const finish = (error?: Error): void => {
    if (closed) return;
    closed = true;
    events.close(error);
  };

  const attach = (s: NodeSocket, connectEvent: string): void => {
    socket = s;
    s.setNoDelay(true);
    if (paused) s.pause();
    s.once(connectEvent, () => events.open());
    s.on('data', (chunk: Uint8Array) => events.data(chunk));
    s.on('drain', () => events.drain());
    s.on('error', (error: Error) => {
      failure ??= describeSocketError(error, endpoint, secure);
    });
    s.on('close', () => finish(failure));
  };

  const start = async (): Promise<void> => {
    if (secure) {
      const tlsModule = await import('node:tls');
      if (closed) return;
      attach(tlsModule.connect(tlsConnectOptions(endpoint, tls)), 'secureConnect');
    } else {
      const net = await import('node:net');
      if (closed) return;
      attach(net.connect({ host: endpoint.host, port: endpoint.port }), 'connect');
    }
  };
  start().catch((error: unknown) => finish(error instanceof Error ? error : new Error(String(error))));

  return {
    write: (bytes) => (socket === null || closed ? false : socket.write(bytes)),
    end: () => {
      if (socket === null) return finish();
      socket.end();
    },
    destroy: () => {
      if (socket === null) return finish();
      socket.destroy();
    },
    pause: () => {
      paused = true;
      socket?.pause();
    },
    resume: () => {
      paused = false;
      socket?.resume();
    },
  };
}

function tlsConnectOptions(endpoint: Endpoint, tls: TlsOptions | undefined): import('node:tls').ConnectionOptions {
  const isIp = /^[\d.]+$|:/.test(endpoint.host);
  const options: import('node:tls').ConnectionOptions = {
    host: endpoint.host,
    port: endpoint.port,
    rejectUnauthorized: tls?.rejectUnauthorized ?? true,
  };
  const servername = tls?.servername ?? (isIp ? undefined : endpoint.host);
  if (servername !== undefined) options.servername = servername;
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
  const isTls = secure && (/certificate|CERT|SSL|TLS|self.signed|verify/i.test(`${code ?? ''} ${error.message}`));
  const wrapped = new MqttError(
    isTls ? 'TLS_ERROR' : 'SOCKET_ERROR',
    `${isTls ? 'TLS handshake' : 'Connection'} to ${endpoint.host}:${endpoint.port} failed: ${error.message}`,
  );
  (wrapped as { cause?: unknown }).cause = error;
  return wrapped;
}
