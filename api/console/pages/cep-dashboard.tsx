import { DataTable } from '../parts';
import type { FC } from 'hono/jsx';
import type { CepStats } from '../../routes/stats';
import { BarChart } from '../chart';
import { CEP_OBJECTIF_LABEL, CEP_RESEAU_LABEL, CEP_SITUATION_LABEL, REGION_LABEL, percent } from '../labels';

const keyLabel = (by: string, key: string | null, nom?: string | null): string => {
  if (key === null) return by === 'objectif' ? 'Sans accompagnement' : 'Non renseigné';
  if (by === 'region') return `${REGION_LABEL[key] ?? key} (${key})`;
  if (by === 'reseau') return CEP_RESEAU_LABEL[key] ?? key;
  if (by === 'situation') return CEP_SITUATION_LABEL[key] ?? key;
  if (by === 'objectif') return CEP_OBJECTIF_LABEL[key] ?? key;
  return nom ? `${nom} (${key})` : key;
};

const TITLES: Record<string, string> = {
  reseau: 'Par réseau',
  region: 'Par région',
  situation: 'Par situation à l’entrée',
  objectif: 'Par objectif de l’accompagnement',
  operateur: 'Par opérateur',
};

/** The CEP figures the caller may read (its own periods, its region's, or all), with charts. */
export const CepDashboardPage: FC<{ stats: CepStats[] }> = ({ stats }) => {
  const total = stats[0]?.total;
  if (!total) return <h1>Tableau de bord CEP</h1>;
  return (
    <>
      <h1>Tableau de bord CEP</h1>
      <div class="kpis">
        <div class="kpi">
          <b>{total.periodes.toLocaleString('fr-FR')}</b>
          <span>périodes ({total.ouvertes.toLocaleString('fr-FR')} en cours)</span>
        </div>
        <div class="kpi">
          <b>{total.beneficiaires.toLocaleString('fr-FR')}</b>
          <span>bénéficiaires</span>
        </div>
        <div class="kpi">
          <b>{percent(total.tauxAccompagnement)}</b>
          <span>passées en accompagnement personnalisé</span>
        </div>
        <div class="kpi">
          <b>{total.dureeMedianeJours === null ? '—' : `${Math.round(total.dureeMedianeJours)} j`}</b>
          <span>durée médiane (périodes closes)</span>
        </div>
        <div class="kpi">
          <b>{percent(total.tauxEntreeFormation6m)}</b>
          <span>entrés en formation dans les 6 mois</span>
        </div>
        <div class="kpi">
          <b>{percent(total.tauxEmploi6m)}</b>
          <span>en emploi 6 mois après la clôture</span>
          <span style="display:block">à 12 mois : {percent(total.tauxEmploi12m)}</span>
        </div>
      </div>
      <div class="grid" style="grid-template-columns:repeat(auto-fit, minmax(min(520px, 100%), 1fr))">
        {stats.map((s) => (
          <section class="card" aria-labelledby={`t-${s.groupBy}`}>
            <h2 id={`t-${s.groupBy}`}>{TITLES[s.groupBy] ?? s.groupBy}</h2>
            <BarChart
              title={`Périodes ${TITLES[s.groupBy]?.toLowerCase() ?? s.groupBy}`}
              bars={s.groups.map((g) => ({
                label: keyLabel(s.groupBy, g.key, g.nom),
                value: g.periodes,
              }))}
            />
            <DataTable>
              <thead>
                <tr>
                  <th>Groupe</th>
                  <th class="num">Périodes</th>
                  <th class="num">Niveau 2</th>
                  <th class="num">Formation 6 m</th>
                  <th class="num">Emploi 6 m</th>
                </tr>
              </thead>
              <tbody>
                {s.groups.map((g) => (
                  <tr>
                    <td>{keyLabel(s.groupBy, g.key, g.nom)}</td>
                    <td class="num">{g.periodes}</td>
                    <td class="num">{percent(g.tauxAccompagnement)}</td>
                    <td class="num">{percent(g.tauxEntreeFormation6m)}</td>
                    <td class="num">{percent(g.tauxEmploi6m)}</td>
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
