import type { FC } from 'hono/jsx';
import { CsrfField } from '../csrf';
import { isFundingKind } from '../../../domain/authorization';
import type { PartnerKind } from '../../../domain/code-lists';
import type { DossierViewT } from '../../../domain/schemas';
import { ISSUE_LABEL, REGION_LABEL, STATUS_LABEL, frDate, stateLabel } from '../labels';
import { Pager } from '../parts';

export interface ListFilters {
  q?: string | undefined;
  status?: string | undefined;
  issue?: string | undefined;
  dispositif?: string | undefined;
  region?: string | undefined;
  organisme?: string | undefined;
  financeur?: string | undefined;
  createdFrom?: string | undefined;
  createdTo?: string | undefined;
  entreeFrom?: string | undefined;
  entreeTo?: string | undefined;
  sortieFrom?: string | undefined;
  sortieTo?: string | undefined;
  interrompu?: string | undefined;
  limit?: string | undefined;
  sort?: string | undefined;
}

/** Two date fields, "du" and "au", for one of the list's dates (business dates or arrival). */
const DateRange: FC<{
  legend: string;
  from: 'entreeFrom' | 'sortieFrom' | 'createdFrom';
  to: 'entreeTo' | 'sortieTo' | 'createdTo';
  filters: ListFilters;
}> = ({ legend, from, to, filters }) => (
  <fieldset class="fr-fieldset date-range">
    <legend class="fr-fieldset__legend fr-text--regular">{legend}</legend>
    <label class="fr-label">
      du
      <input class="fr-input" type="date" name={from} value={filters[from] ?? ''} />
    </label>
    <label class="fr-label">
      au
      <input class="fr-input" type="date" name={to} value={filters[to] ?? ''} />
    </label>
  </fieldset>
);

export const Select: FC<{
  name: string;
  label: string;
  value?: string | undefined;
  options: Record<string, string>;
}> = ({ name, label, value, options }) => (
  <label class="fr-label">
    {label}
    <select class="fr-select" name={name}>
      <option value="">Tous</option>
      {Object.entries(options).map(([k, v]) => (
        <option value={k} selected={value === k}>
          {v}
        </option>
      ))}
    </select>
  </label>
);

export const ListPage: FC<{
  filters: ListFilters;
  items: DossierViewT[];
  /** The next page: a link, or (a NIR search) the form posted again with the cursor. */
  next: { url: string } | { cursor: string } | null;
  firstUrl: string | null;
  error?: string | undefined;
  canSearchNir: boolean;
  /** The signed-in partner (null: the platform): the filters that fit it. */
  me?: { siret: string; kind: string; region: string | null } | null;
  /** The list as CSV, with the same filters (none for a search by NIR or name). */
  csvUrl?: string | null;
  /** The whole list's count (up to 10,000; not exact past it). */
  total?: { n: number; exact: boolean } | null;
  /** The dispositifs of the dossiers the partner sees (the filter's choices). */
  dispositifs?: string[];
}> = ({
  filters,
  items,
  next,
  firstUrl,
  error,
  canSearchNir,
  me = null,
  csvUrl = null,
  total = null,
  dispositifs = [],
}) => (
  <>
    <h1>Dossiers</h1>
    <section class="card" aria-label="Recherche et filtres">
      <form method="post" action="/console/dossiers" class="filters" role="search">
        <CsrfField />
        <label class="fr-label">
          {canSearchNir ? 'N° de dossier, nom ou NIR' : 'N° de dossier ou nom'}
          <input
            class="fr-input"
            type="search"
            name="q"
            value={filters.q ?? ''}
            placeholder={canSearchNir ? 'R84-2026, Durand ou NIR' : 'R84-2026 ou Durand'}
          />
        </label>
        <Select name="status" label="État" value={filters.status} options={STATUS_LABEL} />
        <Select name="issue" label="Issue" value={filters.issue} options={ISSUE_LABEL} />
        {dispositifs.length ? (
          <Select
            name="dispositif"
            label="Dispositif"
            value={filters.dispositif}
            options={Object.fromEntries(dispositifs.map((d) => [d, d]))}
          />
        ) : (
          <label class="fr-label">
            Dispositif
            <input class="fr-input" name="dispositif" value={filters.dispositif ?? ''} size={10} />
          </label>
        )}
        <Select
          name="region"
          label="Région"
          value={filters.region}
          options={
            me?.kind === 'REGION' && me.region
              ? { [me.region]: REGION_LABEL[me.region] ?? me.region }
              : REGION_LABEL
          }
        />
        <label class="fr-label">
          Organisme (SIRET)
          <input
            class="fr-input"
            name="organisme"
            value={filters.organisme ?? ''}
            size={15}
            inputmode="numeric"
          />
        </label>
        {me && isFundingKind(me.kind as PartnerKind) ? (
          <label class="check">
            <input
              type="checkbox"
              name="financeur"
              value={me.siret}
              checked={filters.financeur === me.siret}
            />{' '}
            Financés par nous
          </label>
        ) : (
          <label class="fr-label">
            Financeur (SIRET)
            <input
              class="fr-input"
              name="financeur"
              value={filters.financeur ?? ''}
              size={15}
              inputmode="numeric"
            />
          </label>
        )}
        <label class="check">
          <input type="checkbox" name="interrompu" value="true" checked={filters.interrompu === 'true'} />{' '}
          Interrompus
        </label>
        <label class="fr-label">
          Tri
          <select class="fr-select" name="sort">
            <option value="" selected={!filters.sort}>
              Plus récents d'abord
            </option>
            <option value="ancien" selected={filters.sort === 'ancien'}>
              Plus anciens d'abord
            </option>
            <option value="numero" selected={filters.sort === 'numero'}>
              Par n° de dossier
            </option>
          </select>
        </label>
        <label class="fr-label">
          Par page
          <select class="fr-select" name="limit">
            {['20', '50', '100', '200'].map((n) => (
              <option value={n} selected={(filters.limit ?? '50') === n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <DateRange legend="Entrée en formation" from="entreeFrom" to="entreeTo" filters={filters} />
        <DateRange legend="Sortie de formation" from="sortieFrom" to="sortieTo" filters={filters} />
        <DateRange legend="Reçu par la plateforme" from="createdFrom" to="createdTo" filters={filters} />
        <button class="fr-btn" type="submit">
          Rechercher
        </button>
        <a href="/console/dossiers">Effacer</a>
      </form>
    </section>
    {error ? (
      <p class="error" role="alert">
        {error}
      </p>
    ) : null}
    <section class="card">
      <p class="meta" role="status">
        {total
          ? `${total.exact ? '' : 'Plus de '}${total.n.toLocaleString('fr-FR')} dossier${total.n > 1 ? 's' : ''}`
          : `${items.length} dossier${items.length > 1 ? 's' : ''}`}
        {next ? ` · ${items.length} sur cette page (suite en bas)` : ''}
        {csvUrl ? (
          <>
            {' · '}
            <a href={csvUrl} download>
              Télécharger la liste (CSV)
            </a>
          </>
        ) : null}
      </p>
      {items.length === 0 ? (
        <p>Aucun dossier ne correspond.</p>
      ) : (
        <table class="cards">
          <caption class="sr">Dossiers, du plus récent au plus ancien</caption>
          <thead>
            <tr>
              <th scope="col">Dossier</th>
              <th scope="col">Stagiaire</th>
              <th scope="col">État</th>
              <th scope="col">Action</th>
              <th scope="col">Organisme</th>
              <th scope="col">Région</th>
              <th scope="col">Entrée</th>
              <th scope="col">Sortie</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr>
                <td data-label="Dossier">
                  <a href={`/console/dossiers/${encodeURIComponent(d.dossierId)}`}>{d.dossierId}</a>
                </td>
                <td data-label="Stagiaire">
                  {d.stagiaire.prenom} {d.stagiaire.nom}
                </td>
                <td data-label="État">
                  {stateLabel(d.status, d.issue)}
                  {d.interrompu ? (
                    <span class="fr-badge fr-badge--sm fr-badge--warning"> interrompu</span>
                  ) : null}
                </td>
                <td data-label="Action">
                  {d.action.dispositif} · {d.action.intitule}
                </td>
                <td data-label="Organisme">{d.organisme.raisonSociale}</td>
                <td data-label="Région">{REGION_LABEL[d.action.region] ?? d.action.region}</td>
                <td data-label="Entrée">{frDate(d.dates.entree)}</td>
                <td data-label="Sortie">{frDate(d.dates.sortie)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        action="/console/dossiers"
        noun={{ first: 'Premiers dossiers', next: 'Dossiers suivants' }}
        filters={{ ...filters }}
        next={next}
        firstUrl={firstUrl}
      />
      <p class="meta">La liste peut avoir quelques secondes de retard sur les derniers événements.</p>
    </section>
  </>
);
