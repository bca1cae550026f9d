/** The general-purpose streaming decoder: every packet type, both directions. */
import { ALL_READERS } from './decode.js';
import { StreamDecoder } from './stream-decoder.js';
import type { PacketDecoderOptions } from './stream-decoder.js';

export type { PacketDecoderOptions } from './stream-decoder.js';

export class PacketDecoder extends StreamDecoder {
  constructor(options: PacketDecoderOptions = {}) {
    super(options, ALL_READERS);
  }
}
