/** What a broker may send a client [MQTT-4.8.0-1]: a client's decoder needs no other reader. */
import { readConnack } from './connect.js';
import { readPublish } from './publish.js';
import { readEmpty, readIdOnly } from './readers.js';
import type { Readers } from './readers.js';
import { readSuback } from './subscribe.js';

export const CLIENT_READERS: Readers = [
  undefined, // (reserved)
  undefined, // CONNECT
  readConnack,
  readPublish,
  readIdOnly, // PUBACK
  readIdOnly, // PUBREC
  readIdOnly, // PUBREL
  readIdOnly, // PUBCOMP
  undefined,
  readSuback,
  undefined,
  readIdOnly, // UNSUBACK
  undefined,
  readEmpty, // PINGRESP
  undefined,
];
