import type { DestinationStream } from 'pino';
import { pino } from 'pino';

/** Keys whose values are personal data or secrets: redacted at any depth of a log line. */
const PERSONAL = new Set([
  'nir',
  'nom',
  'prenom',
  'dateNaissance',
  'stagiaire',
  'beneficiaire',
  'titulaire',
  'nir_sealed',
  'nirSealed',
  'nir_hash',
  'nirHash',
  'authorization',
  'token',
  'password',
  'motDePasse',
]);
const MAX_DEPTH = 8;

/**
 * A database error echoes its statement and the values bound to it (names, a birth date, the
 * NIR's hash and sealed value): only its class and codes are logged, never its message.
 */
function isDatabaseError(e: Error): boolean {
  const x = e as Error & { code?: unknown; sql?: unknown; sqlState?: unknown; routine?: unknown };
  return (
    /Exception$/.test(e.name) ||
    typeof x.sql === 'string' ||
    typeof x.routine === 'string' ||
    (typeof x.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code))
  );
}

/** An error as a log line may show it. */
export function safeError(e: Error, depth = 0): Record<string, unknown> {
  const x = e as Error & { code?: unknown; sqlState?: unknown; constraint?: unknown; cause?: unknown };
  if (isDatabaseError(e)) {
    return {
      type: e.name,
      code: x.code ?? x.sqlState,
      ...(typeof x.constraint === 'string' ? { constraint: x.constraint } : {}),
      message: 'database error (message withheld: it may quote personal data)',
    };
  }
  return {
    type: e.name,
    message: e.message,
    ...(e.stack ? { stack: e.stack } : {}),
    ...(typeof x.code === 'string' || typeof x.code === 'number' ? { code: x.code } : {}),
    ...(x.cause !== undefined && depth < MAX_DEPTH ? { cause: redactDeep(x.cause, depth + 1) } : {}),
  };
}

/** A copy with every personal field redacted, whatever its depth, errors made safe. */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return safeError(value, depth);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Buffer.isBuffer(value)) return '[bytes]';
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = PERSONAL.has(k) ? '[redacted]' : redactDeep(v, depth + 1);
  return out;
}

/** Structured JSON logs; personal fields are redacted wherever they appear, database errors shown by code only. */
export function createLogger(level: string, name: string, destination?: DestinationStream) {
  const options = {
    name,
    level,
    serializers: { err: (e: unknown) => redactDeep(e) },
    formatters: { log: (object: Record<string, unknown>) => redactDeep(object) as Record<string, unknown> },
  };
  return destination ? pino(options, destination) : pino(options);
}
export type Logger = ReturnType<typeof createLogger>;
