import type { FC } from 'hono/jsx';
import type { DossierViewT, HistoryEntry } from '../../../domain/schemas';
import {
  CATEGORY_LABEL,
  CERT_STATUT_LABEL,
  EVENT_LABEL,
  FIELD_LABEL,
  MOTIF_LABEL,
  PAY_END_LABEL,
  POINT_LABEL,
  REGIME_LABEL,
  REGION_LABEL,
  SITUATION_LABEL,
  euros,
  frDate,
  frMonth,
  nafSector,
  objectifLabel,
  stateLabel,
} from '../labels';
import { EntryHead, DataTable } from '../parts';

/** Flatten `{dates: {sortie: '...'}}` to `[['Dates · sortie', '...']]` for the before/after table. */
function flatten(o: Record<string, unknown> | undefined, prefix = ''): [string, string][] {
  if (!o) return [];
  return Object.entries(o).flatMap(([k, v]) => {
    const label = prefix ? `${prefix} · ${FIELD_LABEL[k] ?? k}` : (FIELD_LABEL[k] ?? k);
    if (v && typeof v === 'object' && !Array.isArray(v)) return flatten(v as Record<string, unknown>, label);
    const text = Array.isArray(v)
      ? v.map(arrayItem).join(' ; ')
      : typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)
        ? frDate(v)
        : v === null || v === undefined
          ? '—'
          : String(v);
    return [[label, text] as [string, string]];
  });
}

/** An item of a corrected list (a financing line), in words: its fields labelled, amounts in euros. */
function arrayItem(item: unknown): string {
  if (!item || typeof item !== 'object') return String(item);
  return Object.entries(item as Record<string, unknown>)
    .map(
      ([k, v]) =>
        `${FIELD_LABEL[k] ?? k} ${typeof v === 'number' && k.startsWith('montant') ? euros(v) : String(v)}`,
    )
    .join(', ');
}

function eventDetail(e: HistoryEntry): string | null {
  const d = e.data ?? {};
  const parts: string[] = [];
  if (typeof d.motif === 'string') parts.push(MOTIF_LABEL[d.motif] ?? d.motif);
  if (typeof d.realisation === 'string') parts.push(`réalisation ${String(d.realisation).toLowerCase()}`);
  if (typeof d.heuresRealisees === 'number') parts.push(`${d.heuresRealisees} h réalisées`);
  if (typeof d.regime === 'string') parts.push(REGIME_LABEL[d.regime] ?? d.regime);
  if (typeof d.montantMensuel === 'number') parts.push(`${euros(d.montantMensuel)} par mois`);
  if (typeof d.mois === 'string') parts.push(`mois ${frMonth(d.mois)}`);
  if (typeof d.montant === 'number') parts.push(euros(d.montant));
  if (e.type === 'REMUNERATION_FIN' && typeof d.motif === 'string')
    parts.splice(0, 1, PAY_END_LABEL[d.motif] ?? d.motif);
  if (typeof d.certification === 'string') {
    const blocs = Array.isArray(d.blocs) && d.blocs.length ? ` (blocs ${d.blocs.join(', ')})` : '';
    parts.push(
      `${d.certification} obtenue ${d.obtention === 'TOTALE' ? 'en totalité' : 'en partie'}${blocs}`,
    );
  }
  return parts.length ? parts.join(' · ') : null;
}

/** Why a partner reads this dossier, when it may not act on it: told, with why the NIR is masked. */
function readOnlyReason(d: DossierViewT, me: string | null, kind: string | null): string | null {
  if (me === null) return null;
  const funds = d.financements.some((f) => f.financeurSiret === me);
  if (funds || d.organisme.siret === me) return null;
  if (kind === 'REGION')
    return 'Lecture seule : vous voyez ce dossier au titre de votre territoire, sans le financer. Le NIR est masqué : sa lecture complète est réservée aux financeurs du dossier.';
  if (d.remunerateurSiret === me)
    return 'Lecture seule : vous voyez ce dossier comme rémunérateur du stagiaire. Le NIR est masqué : sa lecture complète est réservée aux financeurs du dossier.';
  return 'Lecture seule : votre organisation ne finance ni ne dispense cette formation.';
}

export const DossierPage: FC<{
  d: DossierViewT;
  events: HistoryEntry[];
  me: string | null;
  /** The reader's kind of partner (null: the platform). */
  kind?: string | null;
  /** Registered partners' names by SIRET (financeurs, sources, the remunerator). */
  names?: Record<string, string>;
}> = ({ d, events, me, kind = null, names = {} }) => (
  <>
    <p class="meta">
      <a href="/console/dossiers">← Dossiers</a>
    </p>
    {readOnlyReason(d, me, kind) ? (
      <div class="fr-alert fr-alert--info fr-alert--sm fr-mb-3w">
        <p>{readOnlyReason(d, me, kind)}</p>
      </div>
    ) : null}
    <h1>
      Dossier {d.dossierId}{' '}
      <span class={`fr-badge fr-badge--sm ${d.status === 'CLOS' ? '' : 'fr-badge--info'}`}>
        {stateLabel(d.status, d.issue)}
      </span>{' '}
      {d.interrompu ? <span class="fr-badge fr-badge--sm fr-badge--warning">Interrompu</span> : null}
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
          <dd>
            {d.stagiaire.nir ?? (
              <>
                {d.stagiaire.nirMasque} <span class="meta">(masqué)</span>
              </>
            )}
          </dd>
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
          <dd>{d.action.dispositif}</dd>
          <dt>Objectif</dt>
          <dd>{objectifLabel(d.action.objectif)}</dd>
          {d.action.certification ? (
            <>
              <dt>Certification visée</dt>
              <dd>{d.action.certification}</dd>
            </>
          ) : null}
          {d.action.nsf ? (
            <>
              <dt>Domaine (NSF)</dt>
              <dd>{d.action.nsf}</dd>
            </>
          ) : null}
          <dt>Région</dt>
          <dd>
            {REGION_LABEL[d.action.region] ?? d.action.region}
            {d.action.departement ? ` · département ${d.action.departement}` : ''}
          </dd>
          {d.action.qpv !== undefined ? (
            <>
              <dt>Quartier prioritaire</dt>
              <dd>{d.action.qpv ? 'oui (QPV)' : 'non'}</dd>
            </>
          ) : null}
          <dt>Heures</dt>
          <dd>
            {d.action.dureeHeures !== undefined
              ? `${d.action.dureeHeures} h prévues`
              : 'durée non renseignée'}
            {d.sortie?.heuresRealisees !== undefined ? ` · ${d.sortie.heuresRealisees} h réalisées` : ''}
          </dd>
          <dt>Organisme</dt>
          <dd>
            {d.organisme.raisonSociale} ({d.organisme.siret})
          </dd>
          <dt>Prévue</dt>
          <dd>
            du {frDate(d.action.dateDebutPrevue)} au {frDate(d.action.dateFinPrevue)}
          </dd>
          {d.prescription ? (
            <>
              <dt>Prescrite en CEP</dt>
              <dd>
                prescription {d.prescription.prescriptionId} · période {d.prescription.periodeId} · opérateur{' '}
                {d.prescription.operateurSiret}
              </dd>
            </>
          ) : null}
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
                <br />
                depuis le {frDate(s.meilleurEmploi.dateDebutContrat)}
                {nafSector(s.meilleurEmploi.codeNaf) ? (
                  <>
                    <br />
                    {nafSector(s.meilleurEmploi.codeNaf)}
                  </>
                ) : null}
                {s.meilleurEmploi.siretEmployeur ? (
                  <>
                    <br />
                    employeur {s.meilleurEmploi.siretEmployeur}
                  </>
                ) : null}
              </div>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
    <div class="grid">
      <section class="card" aria-labelledby="t-cert">
        <h2 id="t-cert">Certification</h2>
        {d.certification ? (
          <dl class="facts">
            <dt>Visée</dt>
            <dd>
              {d.certification.code}
              {d.certification.intitule ? ` · ${d.certification.intitule}` : ''}
              {d.certification.niveau ? ` (${d.certification.niveau})` : ''}
            </dd>
            <dt>Résultat</dt>
            <dd>
              <span
                class={`fr-badge fr-badge--sm ${d.certification.statut === 'INCONNUE' ? 'fr-badge--warning' : 'fr-badge--info'}`}
              >
                {CERT_STATUT_LABEL[d.certification.statut] ?? d.certification.statut}
              </span>
            </dd>
            {d.certification.dateObtention ? (
              <>
                <dt>Obtenue le</dt>
                <dd>{frDate(d.certification.dateObtention)}</dd>
              </>
            ) : null}
            {d.certification.blocs.length ? (
              <>
                <dt>Blocs</dt>
                <dd>{d.certification.blocs.join(', ')}</dd>
              </>
            ) : null}
          </dl>
        ) : (
          <p class="meta">L'action ne vise pas de certification.</p>
        )}
      </section>
      <section class="card" aria-labelledby="t-remu">
        <h2 id="t-remu">Rémunération</h2>
        {d.remunerateurSiret ? (
          <p class="meta">
            Rémunérateur : {names[d.remunerateurSiret] ? `${names[d.remunerateurSiret]} · ` : ''}
            {d.remunerateurSiret}
            {d.remunerateurSiret === me ? ' (vous)' : ''}
          </p>
        ) : null}
        {d.remunerations.length ? (
          <DataTable>
            <thead>
              <tr>
                <th>Régime</th>
                <th>Période</th>
                <th class="num">Mensuel</th>
                <th class="num">Versé</th>
              </tr>
            </thead>
            <tbody>
              {d.remunerations.map((r) => (
                <tr>
                  <td>
                    {REGIME_LABEL[r.regime] ?? r.regime}
                    {r.suspendue ? (
                      <>
                        {' '}
                        <span class="fr-badge fr-badge--sm fr-badge--warning">Suspendue</span>
                      </>
                    ) : null}
                  </td>
                  <td>
                    du {frDate(r.debut)} {r.fin ? `au ${frDate(r.fin)}` : '(en cours)'}
                    {r.motifFin ? ` · ${PAY_END_LABEL[r.motifFin] ?? r.motifFin}` : ''}
                  </td>
                  <td class="num">{euros(r.montantMensuel)}</td>
                  <td class="num">{euros(r.totalVerse)}</td>
                </tr>
              ))}
            </tbody>
          </DataTable>
        ) : (
          <p class="meta">Aucune période de rémunération déclarée.</p>
        )}
      </section>
    </div>
    <section class="card" aria-labelledby="t-fin">
      <h2 id="t-fin">Financements</h2>
      <DataTable>
        <thead>
          <tr>
            <th>Financeur</th>
            <th class="num">Engagé</th>
            <th class="num">Réalisé</th>
          </tr>
        </thead>
        <tbody>
          {d.financements.map((f) => (
            <tr>
              <td>
                {names[f.financeurSiret] ? `${names[f.financeurSiret]} · ` : ''}
                {f.financeurSiret}
                {f.financeurSiret === me ? ' (vous)' : ''}
              </td>
              <td class="num">{euros(f.montantEngage)}</td>
              <td class="num">{euros(f.montantRealise)}</td>
            </tr>
          ))}
        </tbody>
        {d.financements.length > 1 ? (
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td class="num">{euros(d.financements.reduce((t, f) => t + (f.montantEngage ?? 0), 0))}</td>
              <td class="num">
                {d.financements.some((f) => f.montantRealise !== undefined)
                  ? euros(d.financements.reduce((t, f) => t + (f.montantRealise ?? 0), 0))
                  : '—'}
              </td>
            </tr>
          </tfoot>
        ) : null}
      </DataTable>
    </section>
    <section class="card" aria-labelledby="t-hist">
      <h2 id="t-hist">Historique</h2>
      <ol class="timeline">
        {events.map((e) => (
          <li class={e.type}>
            <EntryHead label={EVENT_LABEL[e.type] ?? e.type} e={e} me={me} names={names} />
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
