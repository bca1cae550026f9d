/**
 * src/packet/bytes.ts: the one module that knows whether Node's Buffer exists. Under Node the
 * conversions go through Buffer; a browser build runs the portable code. Both are held to
 * Buffer's own results here, the portable code directly (it is what a browser bundle carries).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, portableFromBase64, portableToBase64, toBase64, utf8Encode } from '../../src/packet/bytes.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
/** Base64 as other producers write it: standard or URL-safe, padded or not, with line breaks. */
const base64Text = fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('standard', 'url', 'unpadded', 'wrapped')).map(([bytes, style]) => {
  const standard = Buffer.from(bytes).toString('base64');
  if (style === 'url') return Buffer.from(bytes).toString('base64url');
  if (style === 'unpadded') return standard.replace(/=+$/, '');
  return style === 'wrapped' ? standard.replace(/(.{76})/g, '$1\r\n') : standard;
});

describe('bytes ↔ text conversions', () => {
  it('utf8Encode writes what TextEncoder writes, for any string (lone surrogates become U+FFFD)', () => {
    const encoder = new TextEncoder();
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 200 }), (binary, text) => {
      expect(hex(utf8Encode(binary))).toBe(hex(encoder.encode(binary)));
      expect(hex(utf8Encode(text))).toBe(hex(encoder.encode(text)));
    }));
    expect(hex(utf8Encode('\ud800x'))).toBe('efbfbd78');
  });

  it('toBase64 and its portable form are standard base64 with padding, for any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const expected = Buffer.from(bytes).toString('base64');
      expect(toBase64(bytes)).toBe(expected);
      expect(portableToBase64(bytes)).toBe(expected);
    }));
  });

  it('fromBase64 and its portable form read standard, URL-safe, unpadded and wrapped base64 as Buffer does', () => {
    fc.assert(fc.property(base64Text, (text) => {
      const expected = hex(Buffer.from(text, 'base64'));
      expect(hex(fromBase64(text))).toBe(expected);
      expect(hex(portableFromBase64(text))).toBe(expected);
    }));
  });

  it('what is not base64 is read as Buffer reads it: foreign characters skipped, the first = ends the data', () => {
    for (const text of ['YWJj!ZGVm', 'YQ==YQ==', 'YQ=YQ', 'Y Q=', '', '====', 'é€YWJj']) {
      expect(hex(portableFromBase64(text)), text).toBe(hex(Buffer.from(text, 'base64')));
      expect(hex(fromBase64(text)), text).toBe(hex(Buffer.from(text, 'base64')));
    }
  });
});
