import { FIRST_OLD_DATE, dayNumber, isCalendarDay } from '../domain/dates';
import { digitsKeyAt } from '../domain/nir';
import { luhnAt } from '../domain/siret';
import { DSN_FIELDS, parseDsnLine } from '../domain/dsn-line';
import type { HmacLanes } from '../infra/hmac-lanes';

/**
 * A DSN month's lines, checked, pseudonymised and written as binary COPY tuples: the work the import spreads
 * over threads (db/dsn-parse-thread.ts) while COPY streams, or does itself for a small month. A
 * thread is handed a piece of the file as bytes (whole lines) and does all the per-line work,
 * splitting included, on the bytes (a line is decoded only when the rule reads it): the import's
 * own thread only reads and writes bytes.
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
/**
 * The columns each tuple has: mois, nir_hash, nir_key, siret, naf, nature, date_debut, date_fin,
 * heures. nir_key, the hash's first 8 bytes as a bigint, is what the month's index sorts: 8 bytes
 * compared as one number build it in 0.4 s where the 32 of the hash take 0.65 (a million lines).
 */
export const COPY_COLUMNS = 9;
/** The bytes of nir_key: the hash's first 8, big-endian as binary COPY writes a bigint. */
const KEY_BYTES = 8;
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
const digitsAt = (t: Uint8Array, s: number, n: number): number => {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 10 + t[s + i]! - 48;
  return v;
};

/** `t[s, e)` is only digits. */
const allDigits = (t: Uint8Array, s: number, e: number): boolean => {
  for (let i = s; i < e; i++) {
    const c = t[i]!;
    if (c < 48 || c > 57) return false;
  }
  return true;
};

/** `t[s, s + 10)` is a date parseDsnLine takes: YYYY-MM-DD of the calendar, from FIRST_OLD_DATE on. */
function dateAt(t: Uint8Array, s: number): boolean {
  if (t[s + 4] !== 45 || t[s + 7] !== 45) return false;
  if (!allDigits(t, s, s + 4) || !allDigits(t, s + 5, s + 7) || !allDigits(t, s + 8, s + 10)) return false;
  const year = digitsAt(t, s, 4);
  return year >= FIRST_YEAR && isCalendarDay(year, digitsAt(t, s + 5, 2), digitsAt(t, s + 8, 2));
}

/** Where the plain form's fields are in a line of the CSV, and what each of its tuples begins with. */
interface PlainForm {
  columns: number;
  sep: number;
  nir: number;
  siret: number;
  naf: number;
  nature: number;
  debut: number;
  /** -1: the CSV has no end-date column. */
  fin: number;
  heures: number;
  /** The tuple's number of columns and the month. */
  head: Uint8Array;
  /** Each cell's start and end in the line being read. */
  starts: Int32Array;
  ends: Int32Array;
}

/** La Poste's SIREN, 356000000, at `t[s]`. */
const startsLaPoste = (t: Uint8Array, s: number): boolean =>
  t[s] === 51 && t[s + 1] === 53 && t[s + 2] === 54 && allZeros(t, s + 3, s + 9);
const allZeros = (t: Uint8Array, s: number, e: number): boolean => {
  for (let i = s; i < e; i++) if (t[i] !== 48) return false;
  return true;
};

/** `v` as 4 bytes, big-endian, at `out[at]`. */
const put32 = (out: Uint8Array, at: number, v: number) => {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
};

/** A text column from `t[s, e)` (ASCII, checked) at `out[at]`; where the next begins. */
const putCell = (t: Uint8Array, s: number, e: number, out: Uint8Array, at: number): number => {
  put32(out, at, e - s);
  at += 4;
  for (let i = s; i < e; i++) out[at++] = t[i]!;
  return at;
};

/** A date column from the YYYY-MM-DD at `t[s]` (checked) at `out[at]`. */
const putDate = (t: Uint8Array, s: number, out: Uint8Array, at: number) =>
  putDay(out, at, digitsAt(t, s, 4), digitsAt(t, s + 5, 2), digitsAt(t, s + 8, 2));

/** A date column of that day at `out[at]` (8 bytes). */
const putDay = (out: Uint8Array, at: number, year: number, month: number, day: number) => {
  put32(out, at, 4);
  put32(out, at + 4, dayNumber(year, month, day) - PG_EPOCH_DAY);
};

/** A numeric(9,2) of `hundredths` at `out[at]`: base-10000 digits, none leading or trailing zero. */
function putNumeric(hundredths: number, out: Uint8Array, at: number): number {
  const whole = Math.floor(hundredths / 100);
  const g0 = Math.floor(whole / 10_000);
  const g1 = whole % 10_000;
  const g2 = (hundredths % 100) * 100;
  const first = g0 !== 0 ? 0 : g1 !== 0 ? 1 : 2;
  const last = g2 !== 0 ? 3 : g1 !== 0 ? 2 : g0 !== 0 ? 1 : first;
  const n = last - first;
  put32(out, at, 8 + 2 * n);
  const weight = n === 0 ? 0 : 1 - first;
  out[at + 4] = 0;
  out[at + 5] = n;
  out[at + 6] = weight >> 8;
  out[at + 7] = weight;
  out[at + 8] = 0;
  out[at + 9] = 0;
  out[at + 10] = 0;
  out[at + 11] = 2;
  at += 12;
  for (let g = first; g < last; g++) {
    const v = g === 0 ? g0 : g === 1 ? g1 : g2;
    out[at++] = v >> 8;
    out[at++] = v;
  }
  return at;
}

/**
 * The line `t[s, e)` in the plain form, its tuple written at `out[at]` (200 bytes free there) and its
 * NIR queued for hashing (the lanes not full); where the next tuple begins, or -1 (nothing queued)
 * for any other line.
 * Locals and arguments, no closure over the buffer and its position: V8 keeps them in registers.
 */
function plainLine(
  t: Uint8Array,
  s: number,
  e: number,
  f: PlainForm,
  lanes: HmacLanes,
  out: Uint8Array,
  at: number,
): number {
  const { starts, ends, columns, sep } = f;
  let k = 0;
  starts[0] = s;
  for (let i = s; i < e; i++) {
    const c = t[i]!;
    if (c === sep) {
      if (++k >= columns) return -1;
      ends[k - 1] = i;
      starts[k] = i + 1;
    } else if (c === 34) return -1;
  }
  if (k !== columns - 1) return -1;
  ends[k] = e;
  // NIR: 15 digits, the first 1 to 4, 7 or 8, the last two the key of the first 13.
  const ns = starts[f.nir]!;
  if (ends[f.nir]! - ns !== 15 || !allDigits(t, ns, ns + 15)) return -1;
  const sex = t[ns]!;
  if (sex === 48 || sex === 53 || sex === 54 || sex === 57) return -1;
  if (digitsKeyAt(t, ns) !== digitsAt(t, ns + 13, 2)) return -1;
  // SIRET: 14 digits, Luhn (La Poste's own rule left to the rule).
  const ss = starts[f.siret]!;
  const se = ends[f.siret]!;
  if (se - ss !== 14 || !allDigits(t, ss, se)) return -1;
  if (startsLaPoste(t, ss)) return -1;
  if (!luhnAt(t, ss, 14)) return -1;
  // NAF: 4 digits and a capital letter.
  const as = starts[f.naf]!;
  const ae = ends[f.naf]!;
  if (ae - as !== 5 || !allDigits(t, as, as + 4)) return -1;
  const letter = t[as + 4]!;
  if (letter < 65 || letter > 90) return -1;
  // Nature: 2 digits.
  const cs = starts[f.nature]!;
  const ce = ends[f.nature]!;
  if (ce - cs !== 2 || !allDigits(t, cs, ce)) return -1;
  // Dates: the start, the end absent or empty or not before the start.
  const ds = starts[f.debut]!;
  if (ends[f.debut]! - ds !== 10 || !dateAt(t, ds)) return -1;
  const fs = f.fin < 0 ? 0 : starts[f.fin]!;
  const fl = f.fin < 0 ? 0 : ends[f.fin]! - fs;
  if (fl !== 0) {
    if (fl !== 10 || !dateAt(t, fs)) return -1;
    for (let i = 0; i < 10; i++) {
      const d = t[fs + i]! - t[ds + i]!;
      if (d > 0) break;
      if (d < 0) return -1;
    }
  }
  // Hours: 1 to 7 digits, then a point or a comma and 1 or 2 decimals, under 9,999,999.
  const hs = starts[f.heures]!;
  const he = ends[f.heures]!;
  let point = -1;
  for (let i = hs; i < he; i++) {
    const c = t[i]!;
    if (c === 46 || c === 44) {
      if (point >= 0) return -1;
      point = i;
    } else if (c < 48 || c > 57) return -1;
  }
  const intEnd = point < 0 ? he : point;
  if (intEnd === hs || intEnd - hs > 7 || (point >= 0 && (he - point < 2 || he - point > 3))) return -1;
  const whole = digitsAt(t, hs, intEnd - hs);
  const cents = point < 0 ? 0 : digitsAt(t, point + 1, he - point - 1) * (he - point === 2 ? 10 : 1);
  if (whole === 9_999_999 && cents > 0) return -1;

  const head = f.head;
  for (let i = 0; i < head.length; i++) out[at + i] = head[i]!;
  at += head.length;
  put32(out, at, 32);
  at += 4;
  if (!lanes.queue(t, ns, ns + 15, at)) return -1;
  // The key's bytes are the hash's, copied once it is written (parseChunk's flush).
  put32(out, at + 32, KEY_BYTES);
  at += 32 + 4 + KEY_BYTES;
  at = putCell(t, ss, se, out, at);
  at = putCell(t, as, ae, out, at);
  at = putCell(t, cs, ce, out, at);
  putDate(t, ds, out, at);
  at += 8;
  if (fl === 0) {
    put32(out, at, -1);
    at += 4;
  } else {
    putDate(t, fs, out, at);
    at += 8;
  }
  return putNumeric(whole * 100 + cents, out, at);
}

/**
 * The lines of `text`, UTF-8 (LF or CRLF; a last line may lack its LF), in order, as COPY bytes. A
 * CSV line in the plain form of a month's extract (digits where digits are due, no quote, no space,
 * a NIR without Corsica's letters, a SIRET outside La Poste's, hours with at most two decimals) is
 * checked and written straight from its bytes, one by one (plainLine); any other line is decoded and
 * goes through parseDsnLine, the rule, which says what is wrong with it. The plain form takes exactly
 * the lines parseDsnLine takes in that form, and writes what it would
 * (test/db/dsn-import.test.ts, on random lines): a month of a million lines spends a third less.
 */
export function parseChunk(
  ctx: BatchContext,
  text: Uint8Array | string,
  hasher: NirHasher,
  /** Written over when large enough (a thread's, piece after piece): `copy` is then a view of it. */
  reuse?: Uint8Array,
): ChunkResult {
  // A string (the tests') read as its UTF-8 bytes, the form a thread is handed.
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const size = bytes.length * 3 + 1024;
  let out = reuse && reuse.length >= size ? reuse : new Uint8Array(size);
  let at = 0;
  const lanes = ctx.format === 'csv' && ctx.header ? hasher.lanes : undefined;
  // Where each hash queued goes: its first bytes go again to the key after it.
  const queuedAt: number[] = [];
  // Nothing queued by a piece that failed may land in this one.
  lanes?.clear();
  const flush = () => {
    if (!lanes || queuedAt.length === 0) return;
    lanes.flush(out);
    for (const h of queuedAt) out.copyWithin(h + 32 + 4, h, h + KEY_BYTES);
    queuedAt.length = 0;
  };
  const room = (n: number) => {
    if (at + n <= out.length) return;
    // The hashes queued go into this buffer, before its bytes move.
    flush();
    const bigger = new Uint8Array(Math.max(out.length * 2, at + n));
    bigger.set(out.subarray(0, at));
    out = bigger;
  };
  const encoder = new TextEncoder();
  // A line keeps a byte order mark it begins with (the file's own is taken off before the pieces).
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const int32 = (v: number) => {
    put32(out, at, v);
    at += 4;
  };
  // Each tuple's start: its number of columns and the month (the NIR hash's length and bytes follow).
  const moisBytes = encoder.encode(ctx.mois);
  const head = new Uint8Array(2 + 4 + moisBytes.length);
  head.set([0, COPY_COLUMNS, 0, 0, 0, moisBytes.length], 0);
  head.set(moisBytes, 6);
  /** A date column from the rule's YYYY-MM-DD. */
  const ymd = (d: string) => {
    putDay(out, at, Number(d.slice(0, 4)), Number(d.slice(5, 7)), Number(d.slice(8, 10)));
    at += 8;
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
  const form: PlainForm = {
    columns,
    sep: ctx.sep.charCodeAt(0),
    nir: at_.nir,
    siret: at_.siret,
    naf: at_.naf,
    nature: at_.natureContrat,
    debut: at_.dateDebutContrat,
    fin: at_.dateFinContrat,
    heures: at_.heures,
    head,
    starts: new Int32Array(columns + 1),
    ends: new Int32Array(columns + 1),
  };

  let start = 0;
  while (start < bytes.length) {
    let nl = bytes.indexOf(10, start);
    if (nl === -1) nl = bytes.length;
    const end = nl > start && bytes[nl - 1] === 13 ? nl - 1 : nl;
    const lineStart = start;
    start = nl + 1;
    const ligne = ++count;
    if (end - lineStart > ctx.maxLine) {
      flush();
      return { copy: out.subarray(0, at), lines, count, rejects, tooLong: ligne };
    }
    if (lanes) {
      room(200);
      if (lanes.full) flush();
      const next = plainLine(bytes, lineStart, end, form, lanes, out, at);
      if (next >= 0) {
        queuedAt.push(at + head.length + 4);
        at = next;
        lines++;
        continue;
      }
    }
    const line = decoder.decode(bytes.subarray(lineStart, end));
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
    int32(KEY_BYTES);
    out.set(hash.subarray(0, KEY_BYTES), at);
    at += KEY_BYTES;
    textField(l.siret);
    textField(l.naf);
    textField(l.natureContrat);
    ymd(l.dateDebutContrat);
    if (l.dateFinContrat === null) int32(-1);
    else ymd(l.dateFinContrat);
    at = putNumeric(Math.round(l.heures * 100), out, at);
    lines++;
  }
  flush();
  return { copy: out.subarray(0, at), lines, count, rejects };
}
