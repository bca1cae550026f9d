/** impmqtt's own WebSocket client (RFC 6455) on a Node TCP or TLS socket, for Node without a global WebSocket. */
import { MqttError } from '../errors.js';
import { fillRandom } from '../random.js';
import { openNodeSocket } from './node-socket.js';
import type { Endpoint, Transport, TransportEvents, TransportOptions } from './types.js';
import { FrameParser, OPCODE, encodeFrame } from './ws-frames.js';
import { wsError } from './ws-error.js';
import type { FrameSink, RandomFill } from './ws-frames.js';
import { HandshakeReader, expectedAccept, upgradeRequest } from './ws-handshake.js';

export function openNodeWebSocket(endpoint: Endpoint, options: TransportOptions, events: TransportEvents): Transport {
  const secure = endpoint.kind === 'wss';
  const cryptoModule = import('node:crypto');
  let random: RandomFill = () => {
    throw wsError('Not ready to send');
  };
  let handshake: HandshakeReader | null = null;
  let open = false;
  let closeSent = false;
  let destroyed = false;
  let failure: Error | undefined;
  const parser = new FrameParser();

  const sink: FrameSink = {
    data: (bytes) => events.data(bytes),
    // Once our close frame is out the stream is ending: a ping that crossed it goes unanswered.
    ping: (payload) => void (closeSent || socket.write(encodeFrame(OPCODE.pong, payload, random))),
    close: (code, reason) => {
      // Echo the close (RFC 6455 §5.5.1), then let the socket go.
      if (!closeSent) {
        closeSent = true;
        // The server's code and reason are all it says of why ('1008 not authorized' from a gateway);
        // a close read after destroy() (behind a CONNACK refusal, in one read) is the server's answer, not news.
        const why = code === undefined ? 'no code' : `code ${code}${reason === '' ? '' : `: ${reason}`}`;
        if (!destroyed) failure ??= new MqttError('CONNECTION_CLOSED', `WebSocket closed by the server (${why})`);
        const body = code === undefined ? new Uint8Array(0) : new Uint8Array([code >>> 8, code & 0xff]);
        socket.write(encodeFrame(OPCODE.close, body, random));
      }
      socket.end();
    },
  };

  const fail = (error: unknown): void => {
    failure ??= error instanceof Error ? error : new Error(String(error));
    socket.destroy();
  };

  const socket = openNodeSocket(endpoint, secure, options.tls, {
    open: () => {
      cryptoModule.then((crypto) => {
        random = fillRandom;
        const key = crypto.randomBytes(16).toString('base64');
        const sha1Base64 = (text: string) => crypto.createHash('sha1').update(text).digest('base64');
        handshake = new HandshakeReader(expectedAccept(key, sha1Base64));
        const request = upgradeRequest(endpoint.host, endpoint.port, secure ? 443 : 80, endpoint.path, key, options.ws?.headers);
        socket.write(new TextEncoder().encode(request));
      }).catch(fail); // a failure of the upgrade request's own making too, not only of the import
    },
    data: (chunk) => {
      try {
        if (open) return parser.push(chunk, sink);
        if (handshake === null) throw wsError('The server spoke before the upgrade request');
        const rest = handshake.push(chunk);
        if (rest === null) return;
        open = true;
        events.open();
        if (rest.length > 0) parser.push(rest, sink);
      } catch (error) {
        fail(error);
      }
    },
    drain: () => events.drain(),
    close: (error) => events.close(failure ?? error),
  });

  return {
    write: (bytes) => (open && !closeSent ? socket.write(encodeFrame(OPCODE.binary, bytes, random)) : false),
    end: () => {
      if (open && !closeSent) {
        closeSent = true;
        socket.write(encodeFrame(OPCODE.close, new Uint8Array([0x03, 0xe8]), random)); // 1000: normal closure
      }
      socket.end();
    },
    destroy: () => {
      destroyed = true;
      socket.destroy();
    },
    unsentBytes: () => socket.unsentBytes?.() ?? 0,
    pause: () => socket.pause?.(),
    resume: () => socket.resume?.(),
  };
}

