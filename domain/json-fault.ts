/**
 * What JSON.parse found wrong in `text`, and where: never the excerpt of the text V8 quotes in
 * some of its messages (a file's answers are kept, and a line may hold a NIR or a name), control
 * characters written out. Without the text, no position where V8 gives none.
 */
export function jsonFault(e: unknown, text?: string): string {
  const message = e instanceof Error ? e.message : 'malformed';
  // `Unexpected token 'x', ..."the text around it"... is not valid JSON`: the excerpt dropped,
  // the position the parser stopped at said instead.
  const excerpt = /(^|, )(\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s;
  let fault = message;
  if (excerpt.test(message)) {
    const where = text === undefined ? '' : ` in JSON at position ${jsonStopsAt(text) ?? text.length}`;
    fault = `${message.replace(excerpt, '') || 'Unexpected token'}${where}`;
  }
  return fault.replace(
    /[\u0000-\u001f\u007f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/**
 * Where a JSON parser reading `text` stops (RFC 8259's grammar, read without recursion: a line
 * nested a million deep has no stack to overflow), as JSON.parse's messages count it; undefined
 * for a text that parses.
 */
export function jsonStopsAt(text: string): number | undefined {
  const n = text.length;
  let i = 0;
  const at = (k: number) => (k < n ? text.charCodeAt(k) : -1);
  const skip = () => {
    while (isSpace(at(i))) i++;
  };
  /** A string from its opening quote: false where it breaks (at `i`). */
  const string = (): boolean => {
    for (i++; i < n; i++) {
      const c = at(i);
      if (c === 34) {
        i++;
        return true;
      }
      if (c < 32) return false;
      if (c === 92) {
        const x = at(++i);
        if (x === 117) {
          for (let k = 0; k < 4; k++) if (!isHex(at(++i))) return false;
        } else if (!'"\\/bfnrt'.includes(String.fromCharCode(x))) return false;
      }
    }
    return false;
  };
  const digits = (): boolean => {
    if (!isDigit(at(i))) return false;
    while (isDigit(at(i))) i++;
    return true;
  };
  const number = (): boolean => {
    if (at(i) === 45) i++;
    if (at(i) === 48) i++;
    else if (!digits()) return false;
    if (at(i) === 46) {
      i++;
      if (!digits()) return false;
    }
    if (at(i) === 101 || at(i) === 69) {
      i++;
      if (at(i) === 43 || at(i) === 45) i++;
      if (!digits()) return false;
    }
    return true;
  };
  const literal = (word: string): boolean => {
    for (let k = 0; k < word.length; k++, i++) if (at(i) !== word.charCodeAt(k)) return false;
    return true;
  };
  // The arrays and objects open around `i`; what comes next: a value, an object's member (a
  // name, a colon, a value), or what follows a value (a comma, a closing, the end).
  const open: number[] = [];
  let next: 'value' | 'member' | 'after' = 'value';
  let ok = true;
  while (ok) {
    skip();
    if (next === 'after') {
      if (open.length === 0) break;
      const inside = open[open.length - 1]!;
      const c = at(i);
      if (c === 44) {
        i++;
        next = inside === 123 ? 'member' : 'value';
      } else if (c === (inside === 123 ? 125 : 93)) {
        open.pop();
        i++;
      } else ok = false;
      continue;
    }
    if (next === 'member') {
      if (at(i) !== 34 || !string()) break;
      skip();
      if (at(i) !== 58) break;
      i++;
      skip();
    }
    const c = at(i);
    if (c === 123 || c === 91) {
      i++;
      skip();
      // An empty one closes at once.
      if (at(i) === (c === 123 ? 125 : 93)) {
        i++;
        next = 'after';
      } else {
        open.push(c);
        next = c === 123 ? 'member' : 'value';
      }
      continue;
    }
    if (c === 34) ok = string();
    else if (c === 45 || isDigit(c)) ok = number();
    else if (c === 116) ok = literal('true');
    else if (c === 102) ok = literal('false');
    else if (c === 110) ok = literal('null');
    else ok = false;
    next = 'after';
  }
  if (ok && next === 'after') {
    skip();
    if (i >= n) return undefined;
  }
  return Math.min(i, n);
}
