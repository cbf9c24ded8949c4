import { describe, expect, it } from 'vitest';
import type { CertCandidate } from '../../domain/certification';
import { certificationStatut, matchDossier, unknownOn } from '../../domain/certification';
import { ResultatBody } from '../../domain/certification-schemas';

/** CONTRACT.md, "Certification results": the body, the matching by NIR, the dossier's status. */
const result = (over: Record<string, unknown> = {}) => ({
  resultatId: 'r-1',
  certification: 'RNCP37674',
  obtention: 'TOTALE',
  dateObtention: '2026-10-05',
  modaliteAcces: 'FORMATION_CONTINUE',
  titulaire: { dossierId: 'R84-2026-000123' },
  ...over,
});

describe('a certification result', () => {
  it('names its holder by dossierId or by NIR and identity, and its blocks when partial', () => {
    expect(ResultatBody.parse(result())).toMatchObject({ blocs: [] });
    const byNir = {
      nir: '180057512345627',
      nom: 'Martin',
      prenom: 'Lea',
      dateNaissance: '1980-05-02',
    };
    expect(ResultatBody.safeParse(result({ titulaire: byNir })).success).toBe(true);
    expect(ResultatBody.safeParse(result({ titulaire: { nir: byNir.nir } })).success).toBe(false);
    expect(ResultatBody.safeParse(result({ certification: 'RS5001' })).success).toBe(true);
    expect(ResultatBody.safeParse(result({ certification: 'CQP123' })).success).toBe(false);
    const partial = ResultatBody.safeParse(result({ obtention: 'PARTIELLE' }));
    expect(partial.success ? null : partial.error.issues[0]!.path).toEqual(['blocs']);
    expect(ResultatBody.safeParse(result({ obtention: 'PARTIELLE', blocs: ['RNCP37674BC02'] })).success).toBe(
      true,
    );
    const foreign = ResultatBody.safeParse(result({ obtention: 'PARTIELLE', blocs: ['RNCP11111BC01'] }));
    expect(foreign.success).toBe(false);
    expect(ResultatBody.safeParse(result({ modaliteAcces: 'AUTRE', extra: 1 })).success).toBe(false);
  });
});

describe('matching a result by NIR among the trainee’s dossiers', () => {
  const d = (
    dossierId: string,
    entree: string | null,
    sortie: string | null,
    certification = 'RNCP37674',
  ): CertCandidate => ({
    dossierId,
    certification,
    entree,
    sortie,
  });
  const obtained = { certification: 'RNCP37674', dateObtention: '2026-10-05' };

  it('takes the dossier for that certification entered before, of several the latest entry', () => {
    const candidates = [
      d('OLD', '2024-01-10', '2024-06-30'),
      d('EARLY', '2025-09-01', '2026-03-31'),
      d('LATEST', '2026-02-01', '2026-09-30'),
      d('OTHER-CODE', '2026-03-01', '2026-09-30', 'RNCP11111'),
      d('AFTER', '2026-10-06', null),
      d('NOT-ENTERED', null, null),
    ];
    expect(matchDossier(obtained, candidates)).toBe('LATEST');
    // The same answer whatever the order the dossiers come in.
    expect(matchDossier(obtained, [...candidates].reverse())).toBe('LATEST');
  });

  it('takes an exit up to twelve months before the obtention, not one day more', () => {
    expect(matchDossier(obtained, [d('A', '2025-01-01', '2025-10-05')])).toBe('A');
    expect(matchDossier(obtained, [d('A', '2025-01-01', '2025-10-04')])).toBeNull();
    // Still in training on the day: it counts.
    expect(matchDossier(obtained, [d('A', '2026-10-05', null)])).toBe('A');
  });

  it('keeps the result waiting when no dossier fits yet', () => {
    expect(matchDossier(obtained, [])).toBeNull();
    expect(matchDossier(obtained, [d('A', '2026-01-01', null, 'RS5001')])).toBeNull();
  });
});

describe('the status a dossier shows', () => {
  it('is the result when there is one, else EN_ATTENTE, and INCONNUE twelve months after exit', () => {
    expect(certificationStatut({ sortie: null }, { obtention: 'TOTALE' }, '2026-11-29')).toBe(
      'OBTENUE_TOTALE',
    );
    expect(certificationStatut({ sortie: '2025-01-31' }, { obtention: 'PARTIELLE' }, '2026-11-29')).toBe(
      'OBTENUE_PARTIELLE',
    );
    expect(certificationStatut({ sortie: null }, null, '2030-01-01')).toBe('EN_ATTENTE');
    expect(certificationStatut({ sortie: '2025-11-30' }, null, '2026-11-29')).toBe('EN_ATTENTE');
    expect(certificationStatut({ sortie: '2025-11-29' }, null, '2026-11-29')).toBe('INCONNUE');
    expect(unknownOn({ sortie: '2025-11-29' })).toBe('2026-11-29');
    expect(unknownOn({ sortie: '2025-03-31' })).toBe('2026-03-31');
    expect(unknownOn({ sortie: null })).toBeNull();
  });
});
