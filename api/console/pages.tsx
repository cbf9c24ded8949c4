import type { FC } from 'hono/jsx';
import type { DossierViewT } from '../../domain/schemas';
import { type Bar, BarChart } from './chart';
import {
  CATEGORY_LABEL,
  EVENT_LABEL,
  FIELD_LABEL,
  ISSUE_LABEL,
  MOTIF_LABEL,
  POINT_LABEL,
  REGION_LABEL,
  SITUATION_LABEL,
  STATUS_LABEL,
  euros,
  frDate,
  frInstant,
  frMonth,
  percent,
  stateLabel,
} from './labels';

export const LoginPage: FC<{ error?: string }> = ({ error }) => (
  <div class="card" style="max-width:480px;margin:40px auto">
    <h1>Connexion</h1>
    <p>
      Collez le jeton d'accès de votre organisation (celui de l'API). Il est gardé dans un cookie protégé.
    </p>
    {error ? (
      <p class="error" role="alert">
        {error}
      </p>
    ) : null}
    <form method="post" action="/console/connexion" class="field">
      <label>
        Jeton d'accès
        <input type="password" name="token" required autocomplete="off" autofocus style="width:100%" />
      </label>
      <p>
        <button type="submit">Se connecter</button>
      </p>
    </form>
  </div>
);

export interface StatsGroup {
  key: string | null;
  dossiers: number;
}
export interface DossierStats {
  total: number | null;
  groups: StatsGroup[];
  hiddenGroups: number;
}
export interface InsertionFigures {
  dossiers: number;
  emploi: number;
  emploiDurable: number;
  tauxEmploi: number | null;
  tauxEmploiDurable: number | null;
}
export interface InsertionStats {
  point: string;
  total: InsertionFigures | null;
  groups: (InsertionFigures & { key: string | null })[];
  hiddenGroups: number;
}

const keyLabel = (by: string, key: string | null): string => {
  if (key === null) return by === 'issue' ? 'Pas encore clos' : 'Non renseigné';
  if (by === 'status') return STATUS_LABEL[key] ?? key;
  if (by === 'issue') return ISSUE_LABEL[key] ?? key;
  if (by === 'region') return `${REGION_LABEL[key] ?? key} (${key})`;
  return key;
};

const StatsCard: FC<{ title: string; by: string; stats: DossierStats }> = ({ title, by, stats }) => (
  <section class="card" aria-labelledby={`t-${by}`}>
    <h2 id={`t-${by}`}>{title}</h2>
    <BarChart
      title={title}
      bars={stats.groups.map((g) => ({ label: keyLabel(by, g.key), value: g.dossiers }))}
    />
    {stats.hiddenGroups > 0 ? (
      <p class="meta">
        {stats.hiddenGroups} groupe(s) de moins de 5 dossiers masqué(s) (secret statistique).
      </p>
    ) : null}
  </section>
);

export const DashboardPage: FC<{
  stats: Record<string, DossierStats>;
  insertion: InsertionStats[];
  insertionByDispositif: InsertionStats;
}> = ({ stats, insertion, insertionByDispositif }) => {
  const total = stats.status?.total ?? null;
  const bars: Bar[] = insertionByDispositif.groups.map((g) => ({
    label: g.key ?? 'Non renseigné',
    value: g.tauxEmploi ?? 0,
    value2: g.tauxEmploiDurable ?? 0,
  }));
  return (
    <>
      <h1>Tableau de bord</h1>
      <div class="kpis">
        <div class="kpi">
          <b>{total === null ? '< 5' : total.toLocaleString('fr-FR')}</b>
          <span>dossiers visibles</span>
        </div>
        {insertion.map((i) => (
          <div class="kpi">
            <b>{percent(i.total?.tauxEmploi)}</b>
            <span>en emploi {i.point.slice(1)} mois après la sortie</span>
            <span style="display:block">
              dont durable : {percent(i.total?.tauxEmploiDurable)} ·{' '}
              {i.total ? `${i.total.dossiers} sortants suivis` : 'moins de 5 sortants suivis'}
            </span>
          </div>
        ))}
      </div>
      <div class="grid">
        <StatsCard title="Dossiers par état" by="status" stats={stats.status!} />
        <StatsCard title="Dossiers clos par issue" by="issue" stats={stats.issue!} />
        <StatsCard title="Dossiers par dispositif" by="dispositif" stats={stats.dispositif!} />
        <StatsCard title="Dossiers par région" by="region" stats={stats.region!} />
        <StatsCard title="Dossiers par financeur (SIRET)" by="financeur" stats={stats.financeur!} />
        <StatsCard title="Dossiers par objectif" by="objectif" stats={stats.objectif!} />
        <section class="card" aria-labelledby="t-insertion">
          <h2 id="t-insertion">Insertion à 6 mois par dispositif</h2>
          <p class="meta">
            En bleu : taux d'emploi ; en vert : taux d'emploi durable (CDI, CDD ou intérim de 6 mois et plus).
          </p>
          <BarChart title="Taux d'emploi à 6 mois par dispositif" bars={bars} format={percent} max={1} />
          <table>
            <thead>
              <tr>
                <th>Dispositif</th>
                <th class="num">Sortants suivis</th>
                <th class="num">En emploi</th>
                <th class="num">Emploi durable</th>
              </tr>
            </thead>
            <tbody>
              {insertionByDispositif.groups.map((g) => (
                <tr>
                  <td>{g.key}</td>
                  <td class="num">{g.dossiers}</td>
                  <td class="num">
                    {g.emploi} ({percent(g.tauxEmploi)})
                  </td>
                  <td class="num">
                    {g.emploiDurable} ({percent(g.tauxEmploiDurable)})
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </>
  );
};

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
}

const Select: FC<{
  name: string;
  label: string;
  value?: string | undefined;
  options: Record<string, string>;
}> = ({ name, label, value, options }) => (
  <label>
    {label}
    <select name={name}>
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
}> = ({ filters, items, next, firstUrl, error, canSearchNir }) => (
  <>
    <h1>Dossiers</h1>
    <section class="card" aria-label="Recherche et filtres">
      <form method="post" action="/console/dossiers" class="filters" role="search">
        <label>
          {canSearchNir ? 'N° de dossier ou NIR' : 'N° de dossier'}
          <input
            type="search"
            name="q"
            value={filters.q ?? ''}
            placeholder={canSearchNir ? 'R84-2026-000123 ou NIR' : 'R84-2026-000123'}
          />
        </label>
        <Select name="status" label="État" value={filters.status} options={STATUS_LABEL} />
        <Select name="issue" label="Issue" value={filters.issue} options={ISSUE_LABEL} />
        <label>
          Dispositif
          <input name="dispositif" value={filters.dispositif ?? ''} size={10} />
        </label>
        <Select name="region" label="Région" value={filters.region} options={REGION_LABEL} />
        <label>
          Organisme (SIRET)
          <input name="organisme" value={filters.organisme ?? ''} size={15} inputmode="numeric" />
        </label>
        <label>
          Financeur (SIRET)
          <input name="financeur" value={filters.financeur ?? ''} size={15} inputmode="numeric" />
        </label>
        <label>
          Reçu depuis le
          <input type="date" name="createdFrom" value={filters.createdFrom ?? ''} />
        </label>
        <label>
          jusqu'au
          <input type="date" name="createdTo" value={filters.createdTo ?? ''} />
        </label>
        <button type="submit">Rechercher</button>
        <a href="/console/dossiers">Effacer</a>
      </form>
    </section>
    {error ? (
      <p class="error" role="alert">
        {error}
      </p>
    ) : null}
    <section class="card">
      {items.length === 0 ? (
        <p>Aucun dossier ne correspond.</p>
      ) : (
        <table>
          <caption class="sr">Dossiers, du plus récent au plus ancien</caption>
          <thead>
            <tr>
              <th>Dossier</th>
              <th>Stagiaire</th>
              <th>État</th>
              <th>Action</th>
              <th>Région</th>
              <th>Entrée</th>
              <th>Sortie</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr>
                <td>
                  <a href={`/console/dossiers/${encodeURIComponent(d.dossierId)}`}>{d.dossierId}</a>
                </td>
                <td>
                  {d.stagiaire.prenom} {d.stagiaire.nom}
                </td>
                <td>
                  {stateLabel(d.status, d.issue)}
                  {d.interrompu ? <span class="badge warn"> interrompu</span> : null}
                </td>
                <td>
                  {d.action.dispositif} · {d.action.intitule}
                </td>
                <td>{REGION_LABEL[d.action.region] ?? d.action.region}</td>
                <td>{frDate(d.dates.entree)}</td>
                <td>{frDate(d.dates.sortie)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages">
        {firstUrl ? <a href={firstUrl}>« Premiers dossiers</a> : null}
        {next && 'url' in next ? <a href={next.url}>Dossiers suivants »</a> : null}
        {next && 'cursor' in next ? (
          <form method="post" action="/console/dossiers">
            {Object.entries(filters).map(([k, v]) => (v ? <input type="hidden" name={k} value={v} /> : null))}
            <input type="hidden" name="cursor" value={next.cursor} />
            <button type="submit">Dossiers suivants »</button>
          </form>
        ) : null}
      </nav>
      <p class="meta">La liste peut avoir quelques secondes de retard sur les derniers événements.</p>
    </section>
  </>
);

interface HistoryEvent {
  seq: number;
  eventId: string;
  type: string;
  date: string;
  receivedAt: string;
  source: string;
  data?: Record<string, unknown>;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  confirmation?: boolean;
}

/** Flatten `{dates: {sortie: '...'}}` to `[['Dates · sortie', '...']]` for the before/after table. */
function flatten(o: Record<string, unknown> | undefined, prefix = ''): [string, string][] {
  if (!o) return [];
  return Object.entries(o).flatMap(([k, v]) => {
    const label = prefix ? `${prefix} · ${FIELD_LABEL[k] ?? k}` : (FIELD_LABEL[k] ?? k);
    if (v && typeof v === 'object' && !Array.isArray(v)) return flatten(v as Record<string, unknown>, label);
    const text = Array.isArray(v)
      ? JSON.stringify(v)
      : typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)
        ? frDate(v)
        : v === null || v === undefined
          ? '—'
          : String(v);
    return [[label, text] as [string, string]];
  });
}

function eventDetail(e: HistoryEvent): string | null {
  const d = e.data ?? {};
  const parts: string[] = [];
  if (typeof d.motif === 'string') parts.push(MOTIF_LABEL[d.motif] ?? d.motif);
  if (typeof d.realisation === 'string') parts.push(`réalisation ${String(d.realisation).toLowerCase()}`);
  if (typeof d.heuresRealisees === 'number') parts.push(`${d.heuresRealisees} h réalisées`);
  return parts.length ? parts.join(' · ') : null;
}

export const DossierPage: FC<{ d: DossierViewT; events: HistoryEvent[]; me: string | null }> = ({
  d,
  events,
  me,
}) => (
  <>
    <p class="meta">
      <a href="/console/dossiers">← Dossiers</a>
    </p>
    <h1>
      Dossier {d.dossierId}{' '}
      <span class={`badge ${d.status === 'CLOS' ? 'clos' : ''}`}>{stateLabel(d.status, d.issue)}</span>{' '}
      {d.interrompu ? <span class="badge warn">Interrompu</span> : null}
    </h1>
    <div class="grid">
      <section class="card" aria-labelledby="t-stagiaire">
        <h2 id="t-stagiaire">Stagiaire</h2>
        <dl class="facts">
          <dt>Nom</dt>
          <dd>
            {d.stagiaire.prenom} {d.stagiaire.nom}
          </dd>
          <dt>NIR</dt>
          <dd>{d.stagiaire.nir ?? d.stagiaire.nirMasque}</dd>
          <dt>Né(e) le</dt>
          <dd>{frDate(d.stagiaire.dateNaissance)}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="t-action">
        <h2 id="t-action">Action de formation</h2>
        <dl class="facts">
          <dt>Intitulé</dt>
          <dd>{d.action.intitule}</dd>
          <dt>Dispositif</dt>
          <dd>
            {d.action.dispositif} · objectif {d.action.objectif}
          </dd>
          <dt>Région</dt>
          <dd>{REGION_LABEL[d.action.region] ?? d.action.region}</dd>
          <dt>Organisme</dt>
          <dd>
            {d.organisme.raisonSociale} ({d.organisme.siret})
          </dd>
          <dt>Prévue</dt>
          <dd>
            du {frDate(d.action.dateDebutPrevue)} au {frDate(d.action.dateFinPrevue)}
          </dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="t-dates">
        <h2 id="t-dates">Dates</h2>
        <dl class="facts">
          <dt>Création</dt>
          <dd>{frDate(d.dates.creation)}</dd>
          <dt>Validation</dt>
          <dd>{frDate(d.dates.validation)}</dd>
          <dt>Entrée</dt>
          <dd>{frDate(d.dates.entree)}</dd>
          <dt>Sortie</dt>
          <dd>
            {frDate(d.dates.sortie)}
            {d.sortie ? ` (${MOTIF_LABEL[d.sortie.motif] ?? d.sortie.motif})` : ''}
          </dd>
          <dt>Clôture</dt>
          <dd>{frDate(d.dates.cloture)}</dd>
        </dl>
      </section>
    </div>
    <section class="card" aria-labelledby="t-situations">
      <h2 id="t-situations">Situation professionnelle (DSN)</h2>
      <ol class="strip" style="list-style:none;padding:0;margin:0">
        {d.situations.map((s) => (
          <li class={`point ${s.statut}`}>
            <div class="when">
              {POINT_LABEL[s.point] ?? s.point} · {frMonth(s.mois)}
            </div>
            <div class="what">
              {s.statut === 'EMPLOI' && s.meilleurEmploi
                ? (CATEGORY_LABEL[s.meilleurEmploi.categorie] ?? s.meilleurEmploi.categorie)
                : SITUATION_LABEL[s.statut]}
            </div>
            {s.meilleurEmploi ? (
              <div class="meta">
                {s.meilleurEmploi.heures} h{s.meilleurEmploi.emploiDurable ? ' · durable' : ''}
                {s.multiEmploi ? ' · multi-emploi' : ''}
              </div>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
    <section class="card" aria-labelledby="t-fin">
      <h2 id="t-fin">Financements</h2>
      <table>
        <thead>
          <tr>
            <th>Financeur (SIRET)</th>
            <th class="num">Engagé</th>
            <th class="num">Réalisé</th>
          </tr>
        </thead>
        <tbody>
          {d.financements.map((f) => (
            <tr>
              <td>
                {f.financeurSiret}
                {f.financeurSiret === me ? ' (vous)' : ''}
              </td>
              <td class="num">{euros(f.montantEngage)}</td>
              <td class="num">{euros(f.montantRealise)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
    <section class="card" aria-labelledby="t-hist">
      <h2 id="t-hist">Historique</h2>
      <ol class="timeline">
        {events.map((e) => (
          <li class={e.type}>
            <strong>{EVENT_LABEL[e.type] ?? e.type}</strong> le {frDate(e.date)}
            {e.confirmation ? <span class="meta"> (confirmation)</span> : null}
            <div class="meta">
              reçu le {frInstant(e.receivedAt)} · source {e.source === 'ADMIN' ? 'plateforme' : e.source}
              {e.source === me ? ' (vous)' : ''}
            </div>
            {eventDetail(e) ? <div>{eventDetail(e)}</div> : null}
            {e.type === 'RECTIFICATION' ? (
              <table style="max-width:640px;margin-top:6px">
                <thead>
                  <tr>
                    <th>Champ</th>
                    <th>Avant</th>
                    <th>Après</th>
                  </tr>
                </thead>
                <tbody>
                  {flatten(e.after).map(([field, after]) => (
                    <tr>
                      <td>{field}</td>
                      <td>{flatten(e.before).find(([f]) => f === field)?.[1] ?? '—'}</td>
                      <td>{after}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  </>
);

export const MessagePage: FC<{ title: string; message: string }> = ({ title, message }) => (
  <div class="card">
    <h1>{title}</h1>
    <p>{message}</p>
    <p>
      <a href="/console/dossiers">Retour aux dossiers</a>
    </p>
  </div>
);

export interface AnomalyRow {
  day: string;
  partnerSiret: string;
  partnerName: string | null;
  rule: string;
  description: string;
  count: number;
  threshold: number;
}

/** The daily anomaly report, for the platform's admin (GET /v1/admin/anomalies). */
export const AnomaliesPage: FC<{ items: AnomalyRow[] }> = ({ items }) => (
  <>
    <h1>Anomalies</h1>
    <p class="meta">
      Partenaires dont l'usage de la plateforme s'est distingué, jour par jour (30 derniers jours) : règles et
      seuils dans la documentation de sécurité.
    </p>
    <section class="card">
      {items.length === 0 ? (
        <p>Aucune anomalie sur la période.</p>
      ) : (
        <table>
          <caption class="sr">Anomalies, du jour le plus récent au plus ancien</caption>
          <thead>
            <tr>
              <th>Jour</th>
              <th>Partenaire</th>
              <th>Règle</th>
              <th>Nombre</th>
              <th>Seuil</th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr>
                <td>{frDate(a.day)}</td>
                <td>
                  {a.partnerName ?? ''} <span class="meta">SIRET {a.partnerSiret}</span>
                </td>
                <td>{a.description}</td>
                <td>{a.count}</td>
                <td>{a.threshold}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  </>
);
