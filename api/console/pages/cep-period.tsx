import type { FC } from 'hono/jsx';
import type { CepPeriodSummary, CepView } from '../../../domain/cep-schemas';
import type { HistoryEntry } from '../../../domain/schemas';
import {
  CATEGORY_LABEL,
  CEP_EVENT_LABEL,
  CEP_MOTIF_LABEL,
  CEP_OBJECTIF_LABEL,
  CEP_POINT_LABEL,
  CEP_SERVICE_LABEL,
  CEP_SITUATION_LABEL,
  CEP_STATUT_LABEL,
  REGION_LABEL,
  SITUATION_LABEL,
  STATUS_LABEL,
  frDate,
  frMonth,
} from '../labels';
import { EntryHead, DataTable } from '../parts';

type CepEntry = Omit<HistoryEntry, 'type'> & { type: string };

/** What an event of a period says, in words. */
function detail(e: CepEntry): string | null {
  const d = e.data ?? {};
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : null);
  if (e.type === 'SERVICE')
    return `${CEP_SERVICE_LABEL[str('service') ?? ''] ?? str('service')} · ${str('modalite') === 'DISTANCE' ? 'à distance' : 'en présentiel'}`;
  if (e.type === 'ACCOMPAGNEMENT') return CEP_OBJECTIF_LABEL[str('objectif') ?? ''] ?? str('objectif');
  if (e.type === 'PRESCRIPTION') return `${str('prescriptionId')} · ${str('intitule')}`;
  if (e.type === 'CLOTURE') return CEP_MOTIF_LABEL[str('motif') ?? ''] ?? str('motif');
  if (e.type === 'RECTIFICATION')
    return Object.entries(e.after ?? {})
      .map(([k, v]) => `${k} : ${String(e.before?.[k] ?? '—')} → ${String(v)}`)
      .join(' ; ');
  return null;
}

const Linked: FC<{ p: CepPeriodSummary }> = ({ p }) => (
  <li>
    <strong>{p.periodeId}</strong> · opérateur {p.operateurSiret} · {CEP_STATUT_LABEL[p.statut] ?? p.statut} ·
    niveau {p.niveau} · du {frDate(p.dates.ouverture)}
    {p.dates.cloture ? ` au ${frDate(p.dates.cloture)}` : ''}
  </li>
);

/** A period for its operator: the person, the levels and dates, services, prescriptions, trainings, follow-up. */
export const CepPeriodPage: FC<{ p: CepView; events: CepEntry[] }> = ({ p, events }) => (
  <>
    <p class="meta">
      <a href="/console/cep">← Périodes CEP</a>
    </p>
    <h1>
      Période {p.periodeId}{' '}
      <span class={`fr-badge fr-badge--sm ${p.statut === 'CLOSE' ? '' : 'fr-badge--info'}`}>
        {CEP_STATUT_LABEL[p.statut]}
      </span>{' '}
      <span class="fr-badge fr-badge--sm fr-badge--info">Niveau {p.niveau}</span>
    </h1>
    <div class="grid">
      <section class="card" aria-labelledby="t-benef">
        <h2 id="t-benef">Bénéficiaire</h2>
        <dl class="facts">
          <dt>Nom</dt>
          <dd>
            {p.beneficiaire.prenom} {p.beneficiaire.nom}
          </dd>
          <dt>NIR</dt>
          <dd>{p.beneficiaire.nir ?? p.beneficiaire.nirMasque}</dd>
          <dt>Né(e) le</dt>
          <dd>{frDate(p.beneficiaire.dateNaissance)}</dd>
          <dt>Situation</dt>
          <dd>{CEP_SITUATION_LABEL[p.situation] ?? p.situation}</dd>
          <dt>Territoire</dt>
          <dd>
            {REGION_LABEL[p.region] ?? p.region}
            {p.departement ? ` · ${p.departement}` : ''}
          </dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="t-dates">
        <h2 id="t-dates">Parcours</h2>
        <dl class="facts">
          <dt>Ouverture</dt>
          <dd>{frDate(p.dates.ouverture)}</dd>
          <dt>Accompagnement</dt>
          <dd>
            {frDate(p.dates.accompagnement)}
            {p.objectif ? ` · ${CEP_OBJECTIF_LABEL[p.objectif] ?? p.objectif}` : ''}
          </dd>
          <dt>Clôture</dt>
          <dd>
            {frDate(p.dates.cloture)}
            {p.motifCloture ? ` · ${CEP_MOTIF_LABEL[p.motifCloture] ?? p.motifCloture}` : ''}
          </dd>
          <dt>Dernière nouvelle</dt>
          <dd>{frDate(p.dates.dernierEvenement)}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="t-services">
        <h2 id="t-services">Services rendus</h2>
        <DataTable>
          <tbody>
            {Object.entries(p.services).map(([k, n]) => (
              <tr>
                <td>{CEP_SERVICE_LABEL[k] ?? k}</td>
                <td class="num">{n}</td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      </section>
    </div>
    <section class="card" aria-labelledby="t-suivi">
      <h2 id="t-suivi">Suivi après la clôture</h2>
      <ol class="strip" style="list-style:none;padding:0;margin:0;grid-template-columns:repeat(3, 1fr)">
        {p.suivi.map((s) => (
          <li class={`point ${s.emploi.statut}`}>
            <div class="when">
              {CEP_POINT_LABEL[s.point] ?? s.point} · {s.date ? frMonth(s.mois) : 'après la clôture'}
            </div>
            <div class="what">
              {s.emploi.statut === 'EMPLOI' && s.emploi.meilleurEmploi
                ? (CATEGORY_LABEL[s.emploi.meilleurEmploi.categorie] ?? s.emploi.meilleurEmploi.categorie)
                : SITUATION_LABEL[s.emploi.statut]}
            </div>
            <div class="meta">
              {s.formation
                ? `Entré(e) en formation${s.dossierId ? ` (dossier ${s.dossierId})` : ''}`
                : 'Pas d’entrée en formation connue'}
            </div>
          </li>
        ))}
      </ol>
    </section>
    <section class="card" aria-labelledby="t-presc">
      <h2 id="t-presc">Prescriptions</h2>
      {p.prescriptions.length === 0 ? (
        <p class="meta">Aucune prescription.</p>
      ) : (
        <DataTable>
          <thead>
            <tr>
              <th>Prescription</th>
              <th>Formation</th>
              <th>Le</th>
              <th>Suite</th>
            </tr>
          </thead>
          <tbody>
            {p.prescriptions.map((x) => (
              <tr>
                <td>{x.prescriptionId}</td>
                <td>
                  {x.intitule}
                  {x.dispositif ? ` · ${x.dispositif}` : ''}
                </td>
                <td>{frDate(x.date)}</td>
                <td>
                  {x.statut === 'SUIVIE' ? (
                    <span class="fr-badge fr-badge--sm fr-badge--info">Suivie d’un dossier</span>
                  ) : (
                    'Émise'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      )}
    </section>
    <section class="card" aria-labelledby="t-form">
      <h2 id="t-form">Formations issues de la période</h2>
      {p.formations.length === 0 ? (
        <p class="meta">Aucun dossier de formation ne cite encore une prescription de cette période.</p>
      ) : (
        <DataTable>
          <thead>
            <tr>
              <th>Dossier</th>
              <th>Formation</th>
              <th>État</th>
              <th>Entrée</th>
            </tr>
          </thead>
          <tbody>
            {p.formations.map((f) => (
              <tr>
                <td>{f.dossierId}</td>
                <td>
                  {f.intitule} · {f.dispositif}
                </td>
                <td>{STATUS_LABEL[f.status] ?? f.status}</td>
                <td>{frDate(f.dates.entree)}</td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      )}
    </section>
    <section class="card" aria-labelledby="t-links">
      <h2 id="t-links">Continuité de l'accompagnement</h2>
      {p.periodePrecedente === null && p.periodesSuivantes.length === 0 ? (
        <p class="meta">Cette période ne continue ni n'est continuée par aucune autre.</p>
      ) : (
        <ul>
          {p.periodePrecedente ? (
            <>
              <li class="meta" style="list-style:none">
                Continue la période :
              </li>
              <Linked p={p.periodePrecedente} />
            </>
          ) : null}
          {p.periodesSuivantes.length > 0 ? (
            <li class="meta" style="list-style:none">
              Continuée par :
            </li>
          ) : null}
          {p.periodesSuivantes.map((s) => (
            <Linked p={s} />
          ))}
        </ul>
      )}
    </section>
    <section class="card" aria-labelledby="t-hist">
      <h2 id="t-hist">Historique</h2>
      <ol class="timeline">
        {events.map((e) => (
          <li class={e.type}>
            <EntryHead label={CEP_EVENT_LABEL[e.type] ?? e.type} e={e} />
            {detail(e) ? <div>{detail(e)}</div> : null}
          </li>
        ))}
      </ol>
    </section>
  </>
);
