/**
 * One connection to one broker: its transport and its decoder. It turns bytes into packets and
 * reports how the connection ends; the client decides what that means for the session.
 */
import { MqttError, PacketDecoder } from '../packet/index.js';
import type { Packet } from '../packet/index.js';
import type { CloseReason } from '../session/index.js';
import type { Endpoint, Transport, TransportFactory, TransportOptions } from '../transport/index.js';

export interface ConnectionEvents {
  /** The byte stream is ready; nothing has been written yet. */
  open(transport: Transport): void;
  packets(packets: Packet[]): void;
  /** The broker's bytes broke the protocol or a size limit: the connection must end. */
  malformed(reason: CloseReason, error: MqttError): void;
  drain(): void;
  /** Last event: the transport is closed (`error` when the close was not asked for). */
  closed(error: Error | undefined): void;
}

export class Connection {
  readonly transport: Transport;
  private readonly decoder: PacketDecoder;
  private ended = false;

  /** Throws when the transport cannot even be started (e.g. no WebSocket on this platform). */
  constructor(endpoint: Endpoint, options: TransportOptions, openTransport: TransportFactory, maxPacketSize: number | undefined, events: ConnectionEvents) {
    this.decoder = new PacketDecoder(maxPacketSize === undefined ? {} : { maxPacketSize });
    this.transport = openTransport(endpoint, options, {
      open: () => {
        if (!this.ended) events.open(this.transport);
      },
      data: (chunk) => {
        if (!this.ended) this.receive(chunk, events);
      },
      drain: () => {
        if (!this.ended) events.drain();
      },
      close: (error) => {
        if (this.ended) return;
        this.ended = true;
        events.closed(error);
      },
    });
  }

  private receive(chunk: Uint8Array, events: ConnectionEvents): void {
    let packets: Packet[];
    try {
      packets = this.decoder.push(chunk);
    } catch (error) {
      const mqttError = asMqttError(error, 'MALFORMED_PACKET');
      events.malformed(mqttError.code === 'PACKET_TOO_LARGE' ? 'packet-too-large' : 'protocol-error', mqttError);
      return;
    }
    if (packets.length > 0) events.packets(packets);
  }
}

/** Any thrown value as an MqttError (keeping the original as its cause). */
export function asMqttError(error: unknown, code: string): MqttError {
  if (error instanceof MqttError) return error;
  const wrapped = new MqttError(code, error instanceof Error ? error.message : String(error));
  (wrapped as { cause?: unknown }).cause = error;
  return wrapped;
}
