/**
 * Encoder refusals and decoder rejections of CONNECT (flags, will, user name and password,
 * client id) and CONNACK (acknowledge flags, return codes), 3.1 and 3.2.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { encode } from '../../src/packet/index.js';
import { CONNECT_PROTOCOL, connect, frame, str } from './arbitraries.js';
import { EMPTY, conn, expectDecodeError, expectEncodeError } from './refusals.js';

// ---------------------------------------------------------------------------------------------
// CONNECT and CONNACK (3.1, 3.2)
// ---------------------------------------------------------------------------------------------

describe('CONNECT', () => {
  /** A CONNECT with the given flags byte and payload fields. */
  const connectBytes = (flags: number, payload: number[]): Uint8Array => frame(0x10, [...CONNECT_PROTOCOL, flags, 0, 0, ...payload]);

  it('[MQTT-3.1.2-22] a password without a user name is refused by the encoder and rejected by the decoder', () => {
    expectEncodeError(conn({ password: Uint8Array.of(1) }), 'INVALID_CONNECT', 'MQTT-3.1.2-22');
    expectDecodeError(connectBytes(0x42, [...str('c'), 0, 1, 0x70]), 'INVALID_CONNECT', 'MQTT-3.1.2-22');
  });

  it('[MQTT-3.1.2-14] will QoS 3 is refused by the encoder and rejected by the decoder', () => {
    expectEncodeError(conn({ will: { topic: 't', payload: EMPTY, qos: 3, retain: false } }), 'INVALID_QOS', 'MQTT-3.1.2-14');
    expectDecodeError(connectBytes(0x1e, [...str('c'), ...str('t'), 0, 0]), 'INVALID_QOS', 'MQTT-3.1.2-14');
  });

  it('the encoder refuses a will whose retain is not a boolean or whose message is not bytes', () => {
    expectEncodeError(conn({ will: { topic: 't', payload: EMPTY, qos: 0, retain: 1 } }), 'INVALID_CONNECT');
    expectEncodeError(conn({ will: { topic: 't', payload: 'x', qos: 0, retain: false } }), 'MALFORMED_PACKET');
    expectEncodeError(conn({ username: 'u', password: 'x' }), 'MALFORMED_PACKET');
  });

  it('[MQTT-3.1.2-11] [MQTT-3.1.2-13] [MQTT-3.1.2-15] the decoder rejects Will QoS or Will Retain set without the Will Flag', () => {
    for (const flags of [0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x3a]) expectDecodeError(connectBytes(flags, str('c')), 'INVALID_CONNECT', 'MQTT-3.1.2-11');
  });

  it('[MQTT-3.1.3-7] the encoder refuses an empty client id with CleanSession 0', () => {
    expectEncodeError({ type: 'connect', clientId: '', keepalive: 0, cleanSession: false }, 'INVALID_CONNECT', 'MQTT-3.1.3-7');
  });

  it("[MQTT-3.1.2-4] the encoder refuses a CleanSession that is not a boolean ('false' was written as CleanSession 1)", () => {
    for (const cleanSession of ['false', 0, 1, undefined, null]) expectEncodeError(conn({ cleanSession }), 'INVALID_CONNECT');
  });

  it('[MQTT-3.1.2-1] the decoder rejects a protocol name other than "MQTT" or a level other than 4', () => {
    const rest = [0x02, 0, 0, ...str('c')];
    expectDecodeError(frame(0x10, [...str('MQIsdp'), 3, ...rest]), 'UNSUPPORTED_PROTOCOL', 'MQTT-3.1.2-1');
    expectDecodeError(frame(0x10, [...str('MQTT'), 3, ...rest]), 'UNSUPPORTED_PROTOCOL', 'MQTT-3.1.2-1');
    expectDecodeError(frame(0x10, [...str('MQTT'), 5, ...rest]), 'UNSUPPORTED_PROTOCOL', 'MQTT-3.1.2-1');
    expectDecodeError(frame(0x10, [...str('mqtt'), 4, ...rest]), 'UNSUPPORTED_PROTOCOL', 'MQTT-3.1.2-1');
  });

  it('[MQTT-3.1.2-3] the decoder rejects the reserved connect flag', () => {
    expectDecodeError(connectBytes(0x03, str('c')), 'INVALID_CONNECT', 'MQTT-3.1.2-3');
  });

  it('the encoder refuses a keep alive outside 0..65535 seconds', () => {
    for (const keepalive of [-1, 65_536, 1.5, Number.NaN]) expectEncodeError(conn({ keepalive }), 'INVALID_CONNECT');
  });

  it('[MQTT-3.1.3-1] the decoder rejects every strict prefix of a valid CONNECT body (all flagged fields are mandatory)', () => {
    fc.assert(
      fc.property(connect({ maxLarge: 0 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (p, f) => {
        const bytes = encode(p);
        const headerLength = bytes.length > 129 ? (bytes.length > 16_386 ? 4 : 3) : 2;
        const body = [...bytes.subarray(headerLength)];
        const prefix = body.slice(0, Math.floor(f * body.length));
        expectDecodeError(frame(0x10, prefix), 'MALFORMED_PACKET');
        expectDecodeError(frame(0x10, [...body, 0x00]), 'MALFORMED_PACKET');
      }),
      { numRuns: 500 },
    );
  });
});

describe('CONNACK', () => {
  it('the decoder rejects reserved acknowledge flags and undefined return codes', () => {
    for (let flags = 2; flags <= 0xff; flags++) expectDecodeError(frame(0x20, [flags, 0]), 'INVALID_CONNACK');
    for (let code = 6; code <= 0xff; code++) expectDecodeError(frame(0x20, [0, code]), 'INVALID_CONNACK');
  });

  it('the encoder refuses undefined return codes', () => {
    for (const returnCode of [6, 0x80, -1, 1.5]) expectEncodeError({ type: 'connack', sessionPresent: false, returnCode }, 'INVALID_CONNACK');
  });

  it('[MQTT-3.2.2-4] the encoder refuses Session Present with a non-zero return code', () => {
    for (let returnCode = 1; returnCode <= 5; returnCode++) {
      expectEncodeError({ type: 'connack', sessionPresent: true, returnCode }, 'INVALID_CONNACK', 'MQTT-3.2.2-4');
    }
  });
});
