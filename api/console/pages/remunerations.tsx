import { DataTable } from '../parts';
import type { FC } from 'hono/jsx';
import type { RemunerationStats } from '../../routes/stats';
import { BarChart } from '../chart';
import { REGIME_LABEL, REGION_LABEL, euros } from '../labels';

const keyLabel = (by: string, key: string | null) => {
  if (key === null) return 'Non renseigné';
  if (by === 'regime') return REGIME_LABEL[key] ?? key;
  if (by === 'region') return `${REGION_LABEL[key] ?? key} (${key})`;
  return key;
};

const TITLES: Record<string, string> = {
  regime: 'Par régime',
  dispositif: 'Par dispositif',
  region: 'Par région',
};

/** "Rémunérations": who is paid during training, how, and how much (GET /v1/stats/remunerations). */
export const RemunerationsPage: FC<{ stats: RemunerationStats[] }> = ({ stats }) => {
  const total = stats[0]?.total;
  return (
    <>
      <h1>Rémunération des stagiaires</h1>
      <p class="meta">
        Les périodes de rémunération déclarées par les rémunérateurs (ASP, France Travail pour l'AREF) sur les
        dossiers que vous voyez.
      </p>
      <div class="kpis">
        <div class="kpi">
          <b>{(total?.stagiaires ?? 0).toLocaleString('fr-FR')}</b>
          <span>stagiaires rémunérés</span>
        </div>
        <div class="kpi">
          <b>{euros(total?.montantVerse ?? 0)}</b>
          <span>versés</span>
        </div>
        <div class="kpi">
          <b>{euros(total?.montantMensuelMoyen)}</b>
          <span>rémunération mensuelle moyenne</span>
        </div>
      </div>
      <div class="grid">
        {stats.map((s) => (
          <section class="card" aria-labelledby={`t-${s.groupBy}`}>
            <h2 id={`t-${s.groupBy}`}>{TITLES[s.groupBy] ?? s.groupBy}</h2>
            <BarChart
              title={`Montants versés ${(TITLES[s.groupBy] ?? '').toLowerCase()}`}
              bars={s.groups.map((g) => ({ label: keyLabel(s.groupBy, g.key), value: g.montantVerse }))}
              format={(n) => euros(n)}
            />
            <DataTable>
              <thead>
                <tr>
                  <th>{TITLES[s.groupBy]?.replace('Par ', '') ?? s.groupBy}</th>
                  <th class="num">Stagiaires</th>
                  <th class="num">Versé</th>
                  <th class="num">Mensuel moyen</th>
                </tr>
              </thead>
              <tbody>
                {s.groups.map((g) => (
                  <tr>
                    <td>{keyLabel(s.groupBy, g.key)}</td>
                    <td class="num">{g.stagiaires}</td>
                    <td class="num">{euros(g.montantVerse)}</td>
                    <td class="num">{euros(g.montantMensuelMoyen)}</td>
                  </tr>
                ))}
              </tbody>
            </DataTable>
          </section>
        ))}
      </div>
    </>
  );
};
