import { randomUUID } from 'node:crypto';
import { createBody } from './fixtures';

/** Partner files' test data (test/api/flux.test.ts, test/faults): a mixed file and its lines. */
export type Line = Record<string, unknown> | string;

/** A small PRNG (mulberry32): the same mixed file at every run. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The lines of `n` dossiers under `prefix`: whole lifecycles, duplicates (creations and events sent
 * twice), refusals (invalid bodies, transitions out of place), lines of one dossier out of order in
 * the file, the events of the dossiers interleaved; plus lines no single call would take.
 */
export function mixedFile(
  prefix: string,
  n: number,
  parties: { organisme: string; financeur: string; foreign: string },
): Line[] {
  const foreign = parties.foreign;
  const random = rng(42);
  const perDossier: Line[][] = [];
  for (let k = 0; k < n; k++) {
    const dossierId = `${prefix}-${k}`;
    const create = {
      op: 'CREATE',
      ...createBody({
        dossierId,
        eventId: `c-${prefix}-${k}`,
        organisme: { siret: parties.organisme, raisonSociale: 'Centre Exemple' },
        financements: [{ financeurSiret: parties.financeur, montantEngage: 6400 }],
      }),
    };
    const event = (type: string, date: string, extra: Record<string, unknown> = {}) => ({
      op: 'EVENT',
      dossierId,
      eventId: `${type}-${prefix}-${k}`,
      type,
      date,
      ...extra,
    });
    const lines: Line[] = [
      create,
      event('VALIDATION', '2026-01-20'),
      event('ENTREE', '2026-02-01'),
      event('SORTIE', '2026-06-30', { motif: 'FIN_FORMATION', heuresRealisees: 700 }),
      event('CLOTURE', '2026-07-15', {
        montantsRealises: [{ financeurSiret: parties.financeur, montant: 6000 }],
      }),
    ];
    const variant = Math.floor(random() * 8);
    if (variant === 1) lines.splice(3, 0, lines[2]!); // ENTREE twice: the second is the same answer
    if (variant === 2) [lines[1], lines[2]] = [lines[2]!, lines[1]!]; // ENTREE before VALIDATION: 409
    if (variant === 3) lines[3] = event('SORTIE', '2026-06-30', { motif: 'PARTI' }); // 400
    if (variant === 4) lines.splice(1, 0, create); // the creation twice
    if (variant === 5)
      lines.splice(3, 0, event('RECTIFICATION', '2026-03-01', { changes: { action: { dureeHeures: 750 } } }));
    if (variant === 6) lines.splice(3, 0, event('INTERRUPTION', '2026-03-01', { motif: 'maladie' }));
    if (variant === 7) lines[2] = event('ENTREE', '2031-01-01'); // in the future: refused
    perDossier.push(lines);
  }
  // Interleaved: one line of each dossier in turn, so that a dossier's lines are far apart.
  const out: Line[] = [];
  for (let i = 0; perDossier.some((l) => l.length > i); i++)
    for (const lines of perDossier) if (lines[i]) out.push(lines[i]!);
  // Lines of the file that no single call would take, and calls refused as single ones are.
  out.splice(7, 0, '{"op": "EVENT", "dossierId": ');
  out.splice(11, 0, { op: 'DELETE', dossierId: `${prefix}-0` });
  out.splice(13, 0, { op: 'EVENT', type: 'ENTREE', date: '2026-02-01', eventId: randomUUID() });
  out.splice(17, 0, {
    op: 'EVENT',
    dossierId: foreign,
    eventId: `foreign-${prefix}`,
    type: 'ENTREE',
    date: '2026-02-01',
  });
  return out;
}

export const ndjson = (lines: Line[]) =>
  lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';

/** A single call's answer: its status and error code. */
export type Answer = { status: number; code?: string | undefined };

/**
 * The lines of a file as single calls (`post` sends one), each dossier's in file order, dossiers
 * in parallel: the answers by line number (none for a line no single call stands for).
 */
export async function oneByOne(
  lines: Line[],
  post: (path: string, body: string) => Promise<Answer>,
): Promise<Map<number, Answer>> {
  const answers = new Map<number, Answer>();
  const lanes = new Map<string, number[]>();
  lines.forEach((l, i) => {
    const key = typeof l === 'string' ? `#${i}` : String(l.dossierId ?? `#${i}`);
    lanes.set(key, [...(lanes.get(key) ?? []), i]);
  });
  const queue = [...lanes.values()];
  const worker = async () => {
    for (let lane = queue.shift(); lane; lane = queue.shift()) {
      for (const i of lane) {
        const l = lines[i]!;
        if (typeof l === 'string') {
          answers.set(i + 1, await post('/v1/dossiers', l));
          continue;
        }
        const { op, ...rest } = l;
        if (op === 'CREATE') answers.set(i + 1, await post('/v1/dossiers', JSON.stringify(rest)));
        else if (op === 'EVENT' && rest.dossierId) {
          const { dossierId, ...event } = rest;
          answers.set(i + 1, await post(`/v1/dossiers/${String(dossierId)}/events`, JSON.stringify(event)));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return answers;
}
