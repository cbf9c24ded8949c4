/**
 * A text's character codes as bytes: the checks that read digits from a DSN file's bytes
 * (db/dsn-parse.ts) read a partner's text the same way (a code above 255 is cut, as a check that
 * wants digits refuses it anyway).
 */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
