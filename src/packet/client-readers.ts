/** What a broker may send a client [MQTT-4.8.0-1]: a client's decoder needs no other reader. */
import { readIdOnly } from './ack.js';
import { readConnack } from './connect.js';
import { readPublish } from './publish.js';
import { readPingresp } from './readers.js';
import type { Readers } from './readers.js';
import { readSuback } from './subscribe.js';

export const CLIENT_READERS: Readers = [
  undefined,
  undefined,
  readConnack,
  readPublish,
  (r) => readIdOnly(r, 'puback'),
  (r) => readIdOnly(r, 'pubrec'),
  (r) => readIdOnly(r, 'pubrel'),
  (r) => readIdOnly(r, 'pubcomp'),
  undefined,
  readSuback,
  undefined,
  (r) => readIdOnly(r, 'unsuback'),
  undefined,
  readPingresp,
  undefined,
];
