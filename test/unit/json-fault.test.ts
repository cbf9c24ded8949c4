import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonFault, jsonStopsAt } from '../../domain/json-fault';

/** JSON.parse's complaint about `text` (which must not parse). */
const complaint = (text: string): unknown => {
  try {
    JSON.parse(text);
  } catch (e) {
    return e;
  }
  throw new Error(`${text} parses`);
};

/** A JSON text, then the same with a character put in, taken out or replaced somewhere. */
const broken = fc
  .tuple(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v, null, Math.random() < 0.3 ? 1 : 0)),
    fc.nat(),
    fc.constantFrom('insert', 'delete', 'replace'),
    fc.constantFrom(...'{}[],:"\\ x0-.eE+u\u0001tfné'),
  )
  .map(([text, at, how, c]) => {
    const k = at % (text.length + 1);
    if (how === 'insert') return text.slice(0, k) + c + text.slice(k);
    if (how === 'delete') return text.slice(0, k) + text.slice(k + 1);
    return text.slice(0, k) + c + text.slice(k + 1);
  })
  .filter((text) => {
    try {
      JSON.parse(text);
      return false;
    } catch {
      return true;
    }
  });

describe('a line that is not JSON: what is wrong and where, never what it holds', () => {
  it('stops where JSON.parse says it stops, on randomly broken JSON', () => {
    fc.assert(
      fc.property(broken, (text) => {
        const message = (complaint(text) as Error).message;
        const said = /at position (\d+)/.exec(message);
        // Where V8 gives no position, it names the character it stopped at.
        const token = /^Unexpected token '(.)'/su.exec(message);
        if (said) expect(jsonStopsAt(text)).toBe(Number(said[1]));
        else if (token) expect(text[jsonStopsAt(text)!]).toBe(token[1]);
        else expect(jsonStopsAt(text)).toBeDefined();
      }),
      { numRuns: 2000, seed: Number(process.env.FUZZ_SEED ?? 20261201) },
    );
    expect(jsonStopsAt('{"a":[1,{"b":null}]} ')).toBeUndefined();
    // Nested a million deep: no stack to overflow.
    expect(jsonStopsAt(`${'['.repeat(1_000_000)}x`)).toBe(1_000_000);
  });

  it('says the fault and its position without quoting the line, control characters written out', () => {
    const nir = '180057512345678';
    const long = `{"a":1,"b":2,"c":3,"d":4,"e":5,"nir":"${nir}", "x": tru}`;
    const cases: [string, string][] = [
      [`{"nir":"${nir}","x": oops}`, `Unexpected token 'o' in JSON at position ${25 + 5}`],
      [long, `Unexpected token '}' in JSON at position ${long.length - 1}`],
      [`{"nom":"Dupont Marie","x":tru}}`, `Unexpected token '}' in JSON at position 29`],
      ['oops', `Unexpected token 'o' in JSON at position 0`],
      ['{"a":1', `Expected ',' or '}' after property value in JSON at position 6`],
      ['{"a":"\u0001"}', 'Bad control character in string literal in JSON at position 6'],
      ['\u0001', `Unexpected token '\\u0001' in JSON at position 0`],
      ['', 'Unexpected end of JSON input'],
    ];
    for (const [text, fault] of cases) {
      const said = jsonFault(complaint(text), text);
      expect(said, text).toBe(fault);
      expect(said).not.toContain(nir.slice(0, 6));
      expect(said).not.toContain('Dupont');
    }
  });
});
