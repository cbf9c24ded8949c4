/**
 * Partner files (CONTRACT.md, "Partner files (batch)"): what each NDJSON line asks, as the single
 * call it stands for. Pure: the API reads the lines' keys when it receives a file, the worker the
 * calls when it runs them.
 */
import type { ErrorCode } from './codes';
import { jsonFault } from './json-fault';

export const FLUX_MAX_LINES = 200_000;
/** A line is one call's body: the single call's limit (AGORA_BODY_LIMIT's default). */
export const FLUX_LINE_MAX_BYTES = 1024 * 1024;

export const FLUX_OPS = ['CREATE', 'EVENT', 'CEP_CREATE', 'CEP_EVENT'] as const;
export type FluxOp = (typeof FLUX_OPS)[number];

/** The single call a line stands for, and the dossier or period it concerns. */
export interface FluxCall {
  cle: string;
  path: string;
  body: string;
  /** The dossier or CEP period the line names. */
  objet: string;
  /** A dossier's event: its type as the line gives it (checked by the call). */
  dossierEvent?: string;
}
/** A line refused before any call, as the single call would refuse its body. */
export interface FluxRefusal {
  cle: string;
  status: 400 | 413;
  code: ErrorCode;
  message: string;
  objet?: string;
}

/** What a dossier's lines and a CEP period's lines are keyed by, name their record with, call. */
const DOSSIER = { key: 'D', field: 'dossierId', base: '/v1/dossiers' } as const;
const CEP = { key: 'C', field: 'periodeId', base: '/v1/cep/periodes' } as const;
const OPS: Record<FluxOp, { family: typeof DOSSIER | typeof CEP; event: boolean }> = {
  CREATE: { family: DOSSIER, event: false },
  EVENT: { family: DOSSIER, event: true },
  CEP_CREATE: { family: CEP, event: false },
  CEP_EVENT: { family: CEP, event: true },
};

const idOf = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 64 ? v : undefined);

/** UTF-8 length without Node's Buffer (domain code runs in workflows too). */
const utf8Bytes = (s: string) => {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
};

/**
 * A line of a file (1-based `ligne`): its call, or its refusal. Lines of one dossier (or period)
 * share `cle` and run in file order; a line naming none runs alone.
 */
export function fluxCall(text: string, ligne: number): FluxCall | FluxRefusal {
  const alone = `#${ligne}`;
  if (utf8Bytes(text) > FLUX_LINE_MAX_BYTES)
    return {
      cle: alone,
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      message: `line ${ligne} is over the limit of ${FLUX_LINE_MAX_BYTES} bytes of a single call`,
    };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return {
      cle: alone,
      status: 400,
      code: 'VALIDATION_ERROR',
      message: `line ${ligne} is not JSON: ${jsonFault(e, text)}`,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return {
      cle: alone,
      status: 400,
      code: 'VALIDATION_ERROR',
      message: `line ${ligne} is not a JSON object`,
    };
  const { op, ...rest } = value as Record<string, unknown>;
  const refuse = (message: string): FluxRefusal => ({
    cle: alone,
    status: 400,
    code: 'VALIDATION_ERROR',
    message,
  });
  const known = typeof op === 'string' && Object.hasOwn(OPS, op) ? OPS[op as FluxOp] : null;
  if (!known)
    return refuse(
      `line ${ligne}: "op" must be one of ${FLUX_OPS.join(', ')}${op === undefined ? '' : `, not ${JSON.stringify(op).slice(0, 40)}`}`,
    );
  const { key, field, base } = known.family;
  if (!known.event) {
    const id = idOf(rest[field]);
    // Without a usable id the creation's own validation answers (it runs alone).
    return { cle: id ? `${key}:${id}` : alone, path: base, body: JSON.stringify(rest), objet: id ?? '' };
  }
  const { [field]: target, ...event } = rest;
  const id = idOf(target);
  if (!id)
    return refuse(`line ${ligne}: an ${String(op)} line names its ${field} (a string of 1 to 64 characters)`);
  return {
    cle: `${key}:${id}`,
    path: `${base}/${encodeURIComponent(id)}/events`,
    body: JSON.stringify(event),
    objet: id,
    ...(known.family === DOSSIER ? { dossierEvent: typeof event.type === 'string' ? event.type : '' } : {}),
  };
}

/** At most this many lines of a dossier in one Update, and this many bytes of their bodies. */
export const FLUX_BATCH_LINES = 50;
export const FLUX_BATCH_BYTES = 256 * 1024;
/**
 * A dossier's lines (in file order) cut into the batches that run together: consecutive events of
 * the dossier (api/event-batches.ts sends them in as few Updates as their calls allow); any other
 * line alone.
 */
export function fluxBatches<L extends { call: FluxCall | FluxRefusal }>(lines: readonly L[]): L[][] {
  const out: L[][] = [];
  let open: L[] | null = null;
  let bytes = 0;
  for (const line of lines) {
    const type = 'dossierEvent' in line.call ? line.call.dossierEvent : undefined;
    if (type === undefined) {
      open = null;
      out.push([line]);
      continue;
    }
    const size = (line.call as FluxCall).body.length;
    if (!open || open.length >= FLUX_BATCH_LINES || bytes + size > FLUX_BATCH_BYTES) {
      open = [];
      bytes = 0;
      out.push(open);
    }
    open.push(line);
    bytes += size;
  }
  return out;
}

/** Which share of a file (0 to lots - 1) runs a key's lines: FNV-1a, stable across processes. */
export function fluxLot(cle: string, lots: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < cle.length; i++) {
    h ^= cle.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % lots;
}

/** How many shares a file of `lignes` lines runs as: one activity each, in parallel. */
export const fluxLots = (lignes: number) => Math.max(1, Math.min(16, Math.ceil(lignes / 2000)));

/**
 * Dossiers one share runs at once: the file's concurrency (AGORA_FLUX_CONCURRENCY) shared among its
 * shares, at least one each.
 */
export const dossiersAtOnce = (concurrency: number, lots: number) =>
  Math.max(1, Math.ceil(concurrency / lots));
