import { describe, expect, it } from 'vitest';
import { parseDsnLine } from '../../domain/dsn-line';

const line = {
  nir: '180057512345627',
  siret: '12345678200010',
  naf: '6201Z',
  natureContrat: '01',
  dateDebutContrat: '2026-01-05',
  dateFinContrat: '',
  heures: 151.67,
};

describe('a DSN line checked by the rule', () => {
  it('names every field a line lacks at once, an open contract aside', () => {
    expect(parseDsnLine({ nir: line.nir })).toEqual({
      ok: false,
      message: 'missing siret, naf, natureContrat, dateDebutContrat, heures',
    });
    expect(parseDsnLine({ ...line, siret: '  ', heures: '' })).toEqual({
      ok: false,
      message: 'missing siret, heures',
    });
    expect(parseDsnLine({ ...line, heures: 0 })).toMatchObject({
      ok: true,
      line: { heures: 0, dateFinContrat: null },
    });
  });

  it('says what is wrong with a field that is there', () => {
    expect(parseDsnLine({ ...line, siret: '12345678200011' })).toEqual({
      ok: false,
      message: 'siret: invalid SIRET (14 digits, Luhn check)',
    });
  });
});
