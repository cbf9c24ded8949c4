import { Transform, type TransformCallback } from 'node:stream';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Actor } from '../domain/authorization';
import { RegionCode } from '../domain/codes';
import { literals, visibleSql } from './visibility';

/** The regional file's header, exactly as CONTRACT.md gives it. */
export const INSERTION_HEADER =
  'dossier_id,stagiaire_pseudo,region,departement,dispositif,organisme_siret,date_entree,date_sortie,' +
  'motif_sortie,statut,issue,situation_validation,situation_entree,situation_sortie,situation_3m,' +
  'situation_6m,situation_12m,multi_emploi_3m,multi_emploi_6m,multi_emploi_12m';

/**
 * A field a partner wrote, made safe for spreadsheets: one starting with `=`, `+`, `-`, `@`, a tab
 * or a carriage return (a formula to Excel or LibreOffice) gets a leading apostrophe, which they
 * show as text (OWASP's advice on CSV injection). Strip it to read the value as sent.
 */
export const asText = (column: string) =>
  `case when ${column} ~ '^[-=+@\\t\\r]' then '''' || ${column} else ${column} end`;

/**
 * The COPY statement of a region's file, visibility applied. COPY takes no bind parameters, so
 * every value inlined here is checked against its strict format first. Rows come in dossier-id
 * order; the second column is the NIR's keyed hash in hex, replaced by the pseudonym on the way out.
 */
export function insertionCopySql(region: string, actor: Actor): string {
  if (!RegionCode.safeParse(region).success) throw new Error(`not a region code: ${region}`);
  const date = (c: string) => `to_char(${c}, 'YYYY-MM-DD')`;
  const flag = (c: string) => `case ${c} when true then 'true' when false then 'false' end`;
  return `copy (
    select ${asText('f.dossier_id')}, encode(f.nir_hash, 'hex'), f.region, f.departement,
      ${asText(`regexp_replace(f.dispositif, '[[:cntrl:]]', ' ', 'g')`)}, f.organisme_siret,
      ${date('f.date_entree')}, ${date('f.date_sortie')}, f.motif_sortie, f.status, f.issue,
      f.sit_validation, f.sit_entree, f.sit_sortie, f.sit_m3, f.sit_m6, f.sit_m12,
      ${flag('f.multi_m3')}, ${flag('f.multi_m6')}, ${flag('f.multi_m12')}
    from dossier_facts f
    where f.region = '${region}' and ${visibleSql(actor, 'f', literals, { beyondPay: true })}
    order by f.dossier_id
  ) to stdout with (format csv)`;
}

/**
 * Lines of COPY's CSV with the hash column swapped for the pseudonym. The first two columns
 * (dossier id, hex) never need quoting and no field holds a line break, so lines split on `\n`.
 */
class Pseudonymise extends Transform {
  rows = 0;
  private rest = '';
  constructor(
    private readonly pseudo: (nirHash: Buffer) => string,
    private readonly onRows?: (rows: number) => void,
  ) {
    super();
    this.push(`${INSERTION_HEADER}\n`);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const text = this.rest + chunk.toString('utf8');
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    let out = '';
    for (const line of lines) out += this.line(line);
    if (out) this.push(out);
    this.onRows?.(this.rows);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.rest) this.push(this.line(this.rest));
    this.onRows?.(this.rows);
    done();
  }

  private line(line: string): string {
    const a = line.indexOf(',');
    const b = line.indexOf(',', a + 1);
    const hex = line.slice(a + 1, b);
    this.rows++;
    return `${line.slice(0, a)},${hex ? this.pseudo(Buffer.from(hex, 'hex')) : ''}${line.slice(b)}\n`;
  }
}

export interface InsertionExport {
  /** The CSV, header first: pipe it anywhere; it errors if the database fails mid-way. */
  stream: Transform;
  /** Resolves with the row count once the whole file has gone through. */
  done: Promise<{ rows: number }>;
}

/** What a region's file is made from, for whom, and who hears of its progress. */
export interface InsertionExportOptions {
  databaseUrl: string;
  region: string;
  actor: Actor;
  /** The NIR's keyed hash to `stagiaire_pseudo`. */
  pseudo: (nirHash: Buffer) => string;
  onRows?: (rows: number) => void;
}

/**
 * Stream a region's insertion file from the database with bounded memory: COPY on a connection
 * of its own, back-pressured by the consumer. The connection is closed whatever happens.
 */
export async function exportInsertion(opts: InsertionExportOptions): Promise<InsertionExport> {
  const sql = insertionCopySql(opts.region, opts.actor);
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  const out = new Pseudonymise(opts.pseudo, opts.onRows);
  let copy;
  try {
    copy = client.query(copyTo(sql));
  } catch (err) {
    await client.end();
    throw err;
  }
  const done = new Promise<{ rows: number }>((resolve, reject) => {
    let finished = false;
    const end = (err?: Error) => {
      if (finished) return;
      finished = true;
      client.end().catch(() => undefined);
      if (err) {
        out.destroy(err);
        reject(err);
      } else resolve({ rows: out.rows });
    };
    copy.on('error', end);
    out.on('error', end);
    out.on('end', () => end());
    out.on('close', () => {
      if (!out.readableEnded) end(new Error('export closed before its end'));
    });
  });
  done.catch(() => undefined);
  copy.pipe(out);
  return { stream: out, done };
}
