import { FIRST_OLD_DATE, dayNumber, isCalendarDay } from '../domain/dates';
import { digitsKeyAt } from '../domain/nir';
import { luhnAt } from '../domain/siret';
import { DSN_FIELDS, parseDsnLine } from '../domain/dsn-line';
import type { HmacLanes } from '../infra/hmac-lanes';

/**
 * A DSN month's lines, checked, pseudonymised and written as binary COPY tuples: the work the import spreads
 * over threads (db/dsn-parse-thread.ts) while COPY streams, or does itself for a small month. A
 * thread is handed a piece of the file as bytes (whole lines) and does all the per-line work,
 * decoding and splitting included: the import's own thread only reads and writes bytes.
 */

export interface BatchContext {
  mois: string;
  format: 'csv' | 'ndjson';
  /** The CSV header's fields, and its separator (the import reads the header). */
  header: string[] | null;
  sep: string;
  /** A longer line stops the import (DSN_MAX_LINE_BYTES). */
  maxLine: number;
}

export interface ChunkResult {
  /** The accepted lines, as binary COPY tuples (COPY_HEADER and COPY_TRAILER around them all). */
  copy: Uint8Array;
  lines: number;
  /** The piece's lines, blank ones included: the next piece's numbering starts after them. */
  count: number;
  /** Every refused line, in order, numbered from 1 in the piece. */
  rejects: { ligne: number; message: string }[];
  /** The first line longer than `maxLine`, numbered from 1 in the piece: the import stops there. */
  tooLong?: number;
}

/** The NIR's keyed hash, and (the platform's key) the same four at a time into the COPY bytes. */
export interface NirHasher {
  bytes: (nir: string) => Uint8Array;
  /** The plain lines' NIRs queued, their hashes written into the COPY bytes (infra/hmac-lanes.ts). */
  lanes?: HmacLanes | undefined;
}

/**
 * PostgreSQL's binary COPY (its documentation, "Binary Format"): the signature, no flags, no
 * extension, then the tuples, then -1. PostgreSQL reads it with a third less CPU than the text form
 * (no date, number or hex to parse), CPU the import's threads share with it on these cores
 * (docs/PERFORMANCE.md, "DSN import, session 18").
 */
export const COPY_HEADER = new Uint8Array([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
export const COPY_TRAILER = new Uint8Array([0xff, 0xff]);
/** The columns each tuple has: mois, nir_hash, siret, naf, nature, date_debut, date_fin, heures. */
const COPY_COLUMNS = 8;
/** PostgreSQL's dates count days from 2000-01-01. */
const PG_EPOCH_DAY = dayNumber(2000, 1, 1);

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

/** Blank: empty or only whitespace (a line's first character is rarely a space). */
const isBlank = (text: string) => text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === '');

/** The rule's first date is a first of January: a date is from it on when its year is. */
const FIRST_YEAR = Number(FIRST_OLD_DATE.slice(0, 4));
if (!FIRST_OLD_DATE.endsWith('-01-01')) throw new Error('dateAt compares years only: FIRST_OLD_DATE moved');

/** The number the `n` digits at `t[s]` write (the caller has checked they are digits). */
const digitsAt = (t: string, s: number, n: number): number => {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 10 + t.charCodeAt(s + i) - 48;
  return v;
};

/** `t[s, e)` is only digits. */
const allDigits = (t: string, s: number, e: number): boolean => {
  for (let i = s; i < e; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
};

/** `t[s, s + 10)` is a date parseDsnLine takes: YYYY-MM-DD of the calendar, from FIRST_OLD_DATE on. */
function dateAt(t: string, s: number): boolean {
  if (t.charCodeAt(s + 4) !== 45 || t.charCodeAt(s + 7) !== 45) return false;
  if (!allDigits(t, s, s + 4) || !allDigits(t, s + 5, s + 7) || !allDigits(t, s + 8, s + 10)) return false;
  const year = digitsAt(t, s, 4);
  return year >= FIRST_YEAR && isCalendarDay(year, digitsAt(t, s + 5, 2), digitsAt(t, s + 8, 2));
}

/**
 * The lines of `text` (LF or CRLF; a last line may lack its LF), in order, as COPY bytes. A CSV
 * line in the plain form of a month's extract (digits where digits are due, no quote, no space, a
 * NIR without Corsica's letters, a SIRET outside La Poste's, hours with at most two decimals) is
 * checked and written straight from the text, character by character; any other line goes
 * through parseDsnLine, the rule, which says what is wrong with it. The plain form takes exactly
 * the lines parseDsnLine takes in that form, and writes what it would
 * (test/db/dsn-import.test.ts, on random lines): a month of a million lines spends a third less.
 */
export function parseChunk(
  ctx: BatchContext,
  text: string,
  hasher: NirHasher,
  /** Written over when large enough (a thread's, piece after piece): `copy` is then a view of it. */
  reuse?: Uint8Array,
): ChunkResult {
  const size = text.length * 3 + 1024;
  let out = reuse && reuse.length >= size ? reuse : new Uint8Array(size);
  let at = 0;
  const lanes = ctx.format === 'csv' && ctx.header ? hasher.lanes : undefined;
  // Nothing queued by a piece that failed may land in this one.
  lanes?.clear();
  const room = (n: number) => {
    if (at + n <= out.length) return;
    // The hashes queued go into this buffer, before its bytes move.
    lanes?.flush(out);
    const bigger = new Uint8Array(Math.max(out.length * 2, at + n));
    bigger.set(out.subarray(0, at));
    out = bigger;
  };
  const encoder = new TextEncoder();
  const int16 = (v: number) => {
    out[at++] = v >>> 8;
    out[at++] = v;
  };
  const int32 = (v: number) => {
    out[at++] = v >>> 24;
    out[at++] = v >>> 16;
    out[at++] = v >>> 8;
    out[at++] = v;
  };
  // Each tuple's start: its number of columns and the month (the NIR hash's length and bytes follow).
  const moisBytes = encoder.encode(ctx.mois);
  const head = new Uint8Array(2 + 4 + moisBytes.length);
  head.set([0, COPY_COLUMNS, 0, 0, 0, moisBytes.length], 0);
  head.set(moisBytes, 6);
  const date = (year: number, month: number, day: number) => {
    int32(4);
    int32(dayNumber(year, month, day) - PG_EPOCH_DAY);
  };
  /** A date column from the rule's YYYY-MM-DD. */
  const ymd = (d: string) => date(Number(d.slice(0, 4)), Number(d.slice(5, 7)), Number(d.slice(8, 10)));
  /** A numeric(9,2) of `hundredths`: base-10000 digits, none leading or trailing zero. */
  const groups = new Int32Array(3);
  const numeric = (hundredths: number) => {
    const whole = Math.floor(hundredths / 100);
    groups[0] = Math.floor(whole / 10_000);
    groups[1] = whole % 10_000;
    groups[2] = (hundredths % 100) * 100;
    let first = 0;
    while (first < 2 && groups[first] === 0) first++;
    let last = 3;
    while (last > first && groups[last - 1] === 0) last--;
    const n = last - first;
    int32(8 + 2 * n);
    int16(n);
    int16(n === 0 ? 0 : 1 - first);
    int16(0);
    int16(2);
    for (let g = first; g < last; g++) int16(groups[g]!);
  };
  /** A text column from a string (the rule's values). */
  const textField = (value: string) => {
    const lengthAt = at;
    at += 4;
    const written = encoder.encodeInto(value, out.subarray(at)).written;
    at = lengthAt;
    int32(written);
    at += written;
  };
  let lines = 0;
  let count = 0;
  const rejects: ChunkResult['rejects'] = [];
  const header = ctx.header;
  // Where each field of a line is in the CSV (the last column of that name; -1: absent).
  const at_ = Object.fromEntries(DSN_FIELDS.map((f) => [f, header?.lastIndexOf(f) ?? -1])) as Record<
    (typeof DSN_FIELDS)[number],
    number
  >;
  const columns = header?.length ?? 0;
  const sepCode = ctx.sep.charCodeAt(0);
  const starts = new Int32Array(columns + 1);
  const ends = new Int32Array(columns + 1);
  /** A text column from the CSV cell `k` (ASCII, checked). */
  const copyCell = (k: number) => {
    int32(ends[k]! - starts[k]!);
    for (let i = starts[k]!; i < ends[k]!; i++) out[at++] = text.charCodeAt(i);
  };
  const dateCell = (s: number) =>
    date(digitsAt(text, s, 4), digitsAt(text, s + 5, 2), digitsAt(text, s + 8, 2));

  /** The line `text[s, e)` in the plain form, written; false (nothing written) for any other. */
  const plain = (s: number, e: number): boolean => {
    let k = 0;
    starts[0] = s;
    for (let i = s; i < e; i++) {
      const c = text.charCodeAt(i);
      if (c === sepCode) {
        if (++k >= columns) return false;
        ends[k - 1] = i;
        starts[k] = i + 1;
      } else if (c === 34) return false;
    }
    if (k !== columns - 1) return false;
    ends[k] = e;
    // NIR: 15 digits, the first 1 to 4, 7 or 8, the last two the key of the first 13.
    const ns = starts[at_.nir]!;
    if (ends[at_.nir]! - ns !== 15 || !allDigits(text, ns, ns + 15)) return false;
    const sex = text.charCodeAt(ns);
    if (sex === 48 || sex === 53 || sex === 54 || sex === 57) return false;
    if (digitsKeyAt(text, ns) !== digitsAt(text, ns + 13, 2)) return false;
    // SIRET: 14 digits, Luhn (La Poste's own rule left to the rule).
    const ss = starts[at_.siret]!;
    if (ends[at_.siret]! - ss !== 14 || !allDigits(text, ss, ss + 14)) return false;
    if (text.startsWith('356000000', ss)) return false;
    if (!luhnAt(text, ss, 14)) return false;
    // NAF: 4 digits and a capital letter.
    const as = starts[at_.naf]!;
    if (ends[at_.naf]! - as !== 5 || !allDigits(text, as, as + 4)) return false;
    const letter = text.charCodeAt(as + 4);
    if (letter < 65 || letter > 90) return false;
    // Nature: 2 digits.
    const cs = starts[at_.natureContrat]!;
    if (ends[at_.natureContrat]! - cs !== 2 || !allDigits(text, cs, cs + 2)) return false;
    // Dates: the start, the end absent or empty or not before the start.
    const ds = starts[at_.dateDebutContrat]!;
    if (ends[at_.dateDebutContrat]! - ds !== 10 || !dateAt(text, ds)) return false;
    const finAt = at_.dateFinContrat;
    const fs = finAt < 0 ? 0 : starts[finAt]!;
    const fl = finAt < 0 ? 0 : ends[finAt]! - fs;
    if (fl !== 0) {
      if (fl !== 10 || !dateAt(text, fs)) return false;
      for (let i = 0; i < 10; i++) {
        const d = text.charCodeAt(fs + i) - text.charCodeAt(ds + i);
        if (d > 0) break;
        if (d < 0) return false;
      }
    }
    // Hours: 1 to 7 digits, then a point or a comma and 1 or 2 decimals, under 9,999,999.
    const hs = starts[at_.heures]!;
    const he = ends[at_.heures]!;
    let point = -1;
    for (let i = hs; i < he; i++) {
      const c = text.charCodeAt(i);
      if (c === 46 || c === 44) {
        if (point >= 0) return false;
        point = i;
      } else if (c < 48 || c > 57) return false;
    }
    const intEnd = point < 0 ? he : point;
    if (intEnd === hs || intEnd - hs > 7 || (point >= 0 && (he - point < 2 || he - point > 3))) return false;
    const whole = digitsAt(text, hs, intEnd - hs);
    const cents = point < 0 ? 0 : digitsAt(text, point + 1, he - point - 1) * (he - point === 2 ? 10 : 1);
    if (whole === 9_999_999 && cents > 0) return false;

    room(200);
    const line = at;
    out.set(head, at);
    at += head.length;
    int32(32);
    if (lanes!.full) lanes!.flush(out);
    if (!lanes!.queue(text, ns, ns + 15, at)) {
      at = line;
      return false;
    }
    at += 32;
    copyCell(at_.siret);
    copyCell(at_.naf);
    copyCell(at_.natureContrat);
    dateCell(ds);
    if (fl === 0) int32(-1);
    else dateCell(fs);
    numeric(whole * 100 + cents);
    return true;
  };

  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl === -1) nl = text.length;
    const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    const lineStart = start;
    start = nl + 1;
    const ligne = ++count;
    if (end - lineStart > ctx.maxLine) {
      lanes?.flush(out);
      return { copy: out.subarray(0, at), lines, count, rejects, tooLong: ligne };
    }
    if (lanes && plain(lineStart, end)) {
      lines++;
      continue;
    }
    const line = text.slice(lineStart, end);
    if (isBlank(line)) continue;
    let record: Record<string, unknown>;
    if (ctx.format === 'csv') {
      const cells = splitCsv(line, ctx.sep);
      if (!header || cells.length !== header.length) {
        rejects.push({ ligne, message: `expected ${header?.length ?? 0} fields, found ${cells.length}` });
        continue;
      }
      // One shape for every line (the fields parseDsnLine reads), not a key per column.
      record = {
        nir: cells[at_.nir],
        siret: cells[at_.siret],
        naf: cells[at_.naf],
        natureContrat: cells[at_.natureContrat],
        dateDebutContrat: cells[at_.dateDebutContrat],
        dateFinContrat: cells[at_.dateFinContrat],
        heures: cells[at_.heures],
      };
    } else {
      try {
        const parsed: unknown = JSON.parse(line);
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
    const hash = hasher.bytes(l.nir);
    room(head.length + 4 + hash.length + 3 * (l.siret.length + l.naf.length + l.natureContrat.length) + 64);
    out.set(head, at);
    at += head.length;
    int32(hash.length);
    out.set(hash, at);
    at += hash.length;
    textField(l.siret);
    textField(l.naf);
    textField(l.natureContrat);
    ymd(l.dateDebutContrat);
    if (l.dateFinContrat === null) int32(-1);
    else ymd(l.dateFinContrat);
    numeric(Math.round(l.heures * 100));
    lines++;
  }
  lanes?.flush(out);
  return { copy: out.subarray(0, at), lines, count, rejects };
}
