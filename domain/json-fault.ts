/**
 * What JSON.parse found wrong, without the excerpt of the line V8 quotes (a file's answers are kept,
 * and a line may hold a NIR or a name) and with control characters written out.
 */
export const jsonFault = (e: unknown): string =>
  (e instanceof Error ? e.message : 'malformed')
    .replace(/, ".*"(\.\.\.)? is not valid JSON$/s, '')
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
