/**
 * A text's character codes as bytes, any code outside ASCII as 0 (never a digit): the checks that
 * read digits from a DSN file's bytes (db/dsn-parse.ts) read a partner's text the same way.
 */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i] = c < 128 ? c : 0;
  }
  return out;
}
