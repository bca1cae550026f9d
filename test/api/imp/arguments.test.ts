/**
 * declared(fn): the parameters a callback declares, as Squirrel counts them [imp §2.7, §7c], read
 * from the function's text. The imp passes a callback's optional arguments by that count, so an
 * undercount loses an argument and an overcount shifts them (a subscribe callback declaring one
 * parameter would get the error code where its QoS goes).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { declared } from '../../../src/api/imp/arguments.js';

/** A function made from its source text (so it reads exactly as written: no compiler rewrites it). */
const fromText = (source: string): ((...args: never[]) => void) => new Function('f', 'g', `return ${source}`)(String, String) as (...args: never[]) => void;

describe('imp callbacks: declared parameters', () => {
  it.each([
    ['function () {}', 0],
    ['function (reason = null) {}', 1],
    ['function (err, qos = null) {}', 2],
    ['function (a = f(), b) {}', 2],
    ['function (a = (1, 2), b = Math.max(1, 2)) {}', 2],
    ["function (a = 'x,y)', b = \"(,\") {}", 2],
    ['function (a = `x,${1}`) {}', 1],
    ["function (a = 'it\\'s, ok', b = 0) {}", 2],
    ['function ({ a, b } = { a: 1, b: 2 }, [c, d] = [3, 4]) {}', 2],
    ['function (a, ...rest) {}', 2],
    ['(a, b) => {}', 2],
    ['q => q', 1],
    ['q => (q, f(1, 2))', 1],
    ['async q => q', 1],
    ['(a = () => 1, b = (x) => x) => {}', 2],
    ['async function (a, b) {}', 2],
    ['({ m(a, b = [1, 2]) {} }).m', 2],
    ['function (/* a, b */ c) {}', 1],
    ['function (a, // b, c\n d) {}', 2],
    ['function (a, b,) {}', 2],
    ['function (a = /\\(/, b) {}', 2],
    ["function (a = /'/, b) {}", 2],
    ['function (a = /[,)\\]]/g, b = [/,/]) {}', 2],
    ['function (a = 4 / 2, b = (1) / 2, c) {}', 3],
  ])('%s declares %i', (source, expected) => {
    expect(declared(fromText(source))).toBe(expected);
  });

  it('a bound function shows no list: its length counts', () => {
    expect(declared(fromText('function (a, b) {}').bind(null))).toBe(2);
  });

  it('counts n plain parameters, whatever defaults with commas, brackets and strings they hold', () => {
    const defaults = fc.constantFrom('null', '(1, 2)', '[1, [2, 3]]', '{ a: 1, b: [2] }', "'a,b)'", '"(,"', 'f(1, g(2))', '`${1},`', '/[,(]\\)/g', '6 / 3 / 2');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), defaults), { maxLength: 6 }), (params) => {
        const list = params.map(([withDefault, value], i) => (withDefault ? `p${i} = ${value}` : `p${i}`)).join(', ');
        expect(declared(fromText(`function (${list}) {}`))).toBe(params.length);
      }),
    );
  });
});
