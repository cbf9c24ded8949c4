import { describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/authorization';
import { authorizeCreate, authorizeEvent, canReadFullNir, canSee } from '../../domain/authorization';
import type { PartnerKind } from '../../domain/code-lists';
import { PartnerKind as Kinds } from '../../domain/codes';
import { EventType } from '../../domain/schemas';
import { SIRETS, createBody } from '../helpers/fixtures';

const REMUNERATEUR = '18004315000015';
const parties = {
  organismeSiret: SIRETS.organisme,
  financeurSirets: [SIRETS.franceTravail],
  region: '84',
  remunerateurSiret: REMUNERATEUR,
};
type Relation = 'financeur' | 'organisme' | 'territoire' | 'remunerateur' | 'aucune';

function actor(kind: PartnerKind, relation: Relation): Actor {
  const siret =
    relation === 'financeur'
      ? SIRETS.franceTravail
      : relation === 'organisme'
        ? SIRETS.organisme
        : relation === 'remunerateur'
          ? REMUNERATEUR
          : SIRETS.opco;
  const region = relation === 'territoire' ? '84' : '11';
  return { admin: false, partnerId: 'p', siret, kind, region };
}

/** Who may send each event type: written here over every type, so a new one without it fails tsc. */
const SENT_BY: Record<EventType, 'financeur' | 'organisme' | 'remunerateur' | 'certificateur'> = {
  VALIDATION: 'financeur',
  ENTREE: 'organisme',
  INTERRUPTION: 'organisme',
  REPRISE: 'organisme',
  SORTIE: 'organisme',
  CLOTURE: 'financeur',
  ANNULATION: 'financeur',
  RECTIFICATION: 'organisme',
  REMUNERATION_DEBUT: 'remunerateur',
  REMUNERATION_PAIEMENT: 'remunerateur',
  REMUNERATION_FIN: 'remunerateur',
  CERTIFICATION: 'certificateur',
};

/** What the rules of CONTRACT.md answer, written out again from the contract. */
function expectedAnswer(kind: PartnerKind, relation: Relation, visible: boolean, type: EventType) {
  const by = SENT_BY[type];
  // A result the platform matched to the dossier: any certifier, whether it sees the dossier or not.
  if (by === 'certificateur') return kind === 'CERTIFICATEUR' ? null : 'FORBIDDEN';
  if (!visible) return 'NOT_FOUND';
  if (by === 'remunerateur') return relation === 'remunerateur' ? null : 'FORBIDDEN';
  if (relation === 'financeur') return null;
  return relation === 'organisme' && by === 'organisme' ? null : 'FORBIDDEN';
}

describe('authorization matrix: kind x relation x action', () => {
  for (const kind of Kinds.options) {
    for (const relation of ['financeur', 'organisme', 'territoire', 'remunerateur', 'aucune'] as Relation[]) {
      const a = actor(kind, relation);
      const visible =
        relation === 'financeur' ||
        relation === 'organisme' ||
        (relation === 'territoire' && kind === 'REGION') ||
        (relation === 'remunerateur' && (kind === 'REMUNERATEUR' || kind === 'FRANCE_TRAVAIL'));
      it(`${kind} as ${relation}: ${visible ? 'sees' : 'does not see'} the dossier`, () => {
        expect(canSee(a, parties)).toBe(visible);
        expect(canReadFullNir(a, parties)).toBe(relation === 'financeur');
      });
      for (const type of EventType.options) {
        const expected = expectedAnswer(kind, relation, visible, type);
        it(`${kind} as ${relation} sending ${type}: ${expected ?? 'allowed'}`, () => {
          expect(authorizeEvent(a, parties, type)?.code ?? null).toBe(expected);
        });
      }
    }
  }

  it('lets the admin see, read the NIR and send everything', () => {
    const admin: Actor = { admin: true };
    expect(canSee(admin, parties)).toBe(true);
    expect(canReadFullNir(admin, parties)).toBe(true);
    for (const type of EventType.options) expect(authorizeEvent(admin, parties, type)).toBeNull();
  });
});

describe('authorizeCreate', () => {
  const body = createBody({ financements: [{ financeurSiret: SIRETS.franceTravail, montantEngage: 100 }] });
  it.each(Kinds.options)('%s creating a dossier it funds', (kind) => {
    const funding = !['ORGANISME_FORMATION', 'CEP_OPERATEUR', 'CERTIFICATEUR', 'REMUNERATEUR'].includes(kind);
    const a: Actor = { admin: false, partnerId: 'p', siret: SIRETS.franceTravail, kind };
    expect(authorizeCreate(a, body)?.code ?? null).toBe(funding ? null : 'FORBIDDEN');
  });

  it('refuses a financeur creating a dossier it does not fund', () => {
    const a: Actor = { admin: false, partnerId: 'p', siret: SIRETS.opco, kind: 'OPCO' };
    expect(authorizeCreate(a, body)?.code).toBe('FORBIDDEN');
  });
});
