/**
 * A CSV cell as the API writes it for spreadsheets: empty for null, quoted when it holds a comma,
 * a quote or a line break, and a text a spreadsheet would read as a formula written as text.
 */
export function csvCell(v: unknown): string {
  const text = v === null || v === undefined ? '' : String(v);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
