import { DSN_FIELDS, parseDsnLine } from '../domain/dsn-line';

/**
 * A DSN month's lines, checked, pseudonymised and written as COPY text: the work the import spreads
 * over threads (db/dsn-parse-thread.ts) while COPY streams, or does itself for a small month.
 */

export interface BatchContext {
  mois: string;
  format: 'csv' | 'ndjson';
  /** The CSV header's fields, and its separator (the import reads the header). */
  header: string[] | null;
  sep: string;
}

export interface BatchResult {
  /** The accepted lines, as COPY text. */
  copy: string;
  lines: number;
  /** Every refused line, in order (the import reports the first ones, counts them all). */
  rejects: { ligne: number; message: string }[];
}

export function splitCsv(line: string, sep: string): string[] {
  if (!line.includes('"')) return line.split(sep);
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Lines `texts`, numbered by `numbers` (blank ones already left out); `hashHex`: the NIR's keyed hash in hex. */
export function parseBatch(
  ctx: BatchContext,
  numbers: readonly number[],
  texts: readonly string[],
  hashHex: (nir: string) => string,
): BatchResult {
  let copy = '';
  let lines = 0;
  const rejects: BatchResult['rejects'] = [];
  const header = ctx.header;
  // Where each field of a line is in the CSV (the last column of that name; -1: absent).
  const at = Object.fromEntries(DSN_FIELDS.map((f) => [f, header?.lastIndexOf(f) ?? -1])) as Record<
    (typeof DSN_FIELDS)[number],
    number
  >;
  for (let k = 0; k < texts.length; k++) {
    const text = texts[k]!;
    const ligne = numbers[k]!;
    let record: Record<string, unknown>;
    if (ctx.format === 'csv') {
      const cells = splitCsv(text, ctx.sep);
      if (!header || cells.length !== header.length) {
        rejects.push({ ligne, message: `expected ${header?.length ?? 0} fields, found ${cells.length}` });
        continue;
      }
      // One shape for every line (the fields parseDsnLine reads), not a key per column.
      record = {
        nir: cells[at.nir],
        siret: cells[at.siret],
        naf: cells[at.naf],
        natureContrat: cells[at.natureContrat],
        dateDebutContrat: cells[at.dateDebutContrat],
        dateFinContrat: cells[at.dateFinContrat],
        heures: cells[at.heures],
      };
    } else {
      try {
        const parsed: unknown = JSON.parse(text);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
          rejects.push({ ligne, message: 'expected a JSON object' });
          continue;
        }
        record = parsed as Record<string, unknown>;
      } catch {
        rejects.push({ ligne, message: 'not valid JSON' });
        continue;
      }
    }
    const r = parseDsnLine(record);
    if (!r.ok) {
      rejects.push({ ligne, message: r.message });
      continue;
    }
    const l = r.line;
    copy += `${ctx.mois}\t\\\\x${hashHex(l.nir)}\t${l.siret}\t${l.naf}\t${l.natureContrat}\t${l.dateDebutContrat}\t${l.dateFinContrat ?? '\\N'}\t${l.heures}\n`;
    lines++;
  }
  return { copy, lines, rejects };
}
