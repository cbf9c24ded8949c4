import type { FC } from 'hono/jsx';
import { CsrfField } from '../csrf';
import type { CepView } from '../../../domain/cep-schemas';
import { CEP_STATUT_LABEL, REGION_LABEL, frDate } from '../labels';
import { Pager, DataTable } from '../parts';
import { Select } from './dossier-list';

export interface CepFilters {
  q?: string | undefined;
  statut?: string | undefined;
  region?: string | undefined;
}

/** The operator's periods: filters, a search by period id or NIR (posted, never in a URL), pages. */
export const CepListPage: FC<{
  filters: CepFilters;
  items: CepView[];
  next: { url: string } | { cursor: string } | null;
  firstUrl: string | null;
  error?: string | undefined;
}> = ({ filters, items, next, firstUrl, error }) => (
  <>
    <h1>Périodes CEP</h1>
    <section class="card" aria-label="Recherche et filtres">
      <form method="post" action="/console/cep" class="filters" role="search">
        <CsrfField />
        <label class="fr-label">
          N° de période ou NIR du bénéficiaire
          <input
            class="fr-input"
            type="search"
            name="q"
            value={filters.q ?? ''}
            placeholder="ML-69-2026-000042 ou NIR"
          />
        </label>
        <Select name="statut" label="Statut" value={filters.statut} options={CEP_STATUT_LABEL} />
        <Select name="region" label="Région" value={filters.region} options={REGION_LABEL} />
        <button class="fr-btn" type="submit">
          Rechercher
        </button>
        <a href="/console/cep">Effacer</a>
      </form>
    </section>
    {error ? (
      <p class="error" role="alert">
        {error}
      </p>
    ) : null}
    <section class="card">
      {items.length === 0 ? (
        <p>Aucune période ne correspond.</p>
      ) : (
        <DataTable>
          <caption class="sr">Périodes, de la plus récente à la plus ancienne</caption>
          <thead>
            <tr>
              <th>Période</th>
              <th>Bénéficiaire</th>
              <th>Statut</th>
              <th class="num">Niveau</th>
              <th>Région</th>
              <th>Ouverture</th>
              <th>Clôture</th>
              <th class="num">Formations</th>
            </tr>
          </thead>
          <tbody>
            {items.map((p) => (
              <tr>
                <td>
                  <a href={`/console/cep/${encodeURIComponent(p.periodeId)}`}>{p.periodeId}</a>
                </td>
                <td>
                  {p.beneficiaire.prenom} {p.beneficiaire.nom}
                </td>
                <td>{CEP_STATUT_LABEL[p.statut] ?? p.statut}</td>
                <td class="num">{p.niveau}</td>
                <td>{REGION_LABEL[p.region] ?? p.region}</td>
                <td>{frDate(p.dates.ouverture)}</td>
                <td>{frDate(p.dates.cloture)}</td>
                <td class="num">{p.formations.length}</td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      )}
      <Pager
        action="/console/cep"
        noun={{ first: 'Premières périodes', next: 'Périodes suivantes' }}
        filters={{ ...filters }}
        next={next}
        firstUrl={firstUrl}
      />
    </section>
  </>
);
