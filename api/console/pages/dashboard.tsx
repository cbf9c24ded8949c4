import { DataTable } from '../parts';
import type { FC } from 'hono/jsx';
import type { CertificationStats, CoutStats, DossierStats, InsertionStats } from '../../routes/stats';
import { type Bar, BarChart } from '../chart';
import {
  ISSUE_LABEL,
  REGION_LABEL,
  STATUS_LABEL,
  euros,
  frInstant,
  frMonth,
  objectifLabel,
  percent,
} from '../labels';

/** The link that downloads a panel's figures as CSV. */
const Download: FC<{ stat: string }> = ({ stat }) => (
  <p class="meta">
    <a href={`/console/export.csv?stat=${encodeURIComponent(stat)}`} download>
      Télécharger les chiffres (CSV)
    </a>
  </p>
);

const keyLabel = (by: string, key: string | null): string => {
  if (key === null) return by === 'issue' ? 'Pas encore clos' : 'Non renseigné';
  if (by === 'status') return STATUS_LABEL[key] ?? key;
  if (by === 'issue') return ISSUE_LABEL[key] ?? key;
  if (by === 'region') return `${REGION_LABEL[key] ?? key} (${key})`;
  if (by === 'qpv') return key === 'true' ? 'En QPV' : 'Hors QPV';
  if (by === 'nsf') return `NSF ${key}`;
  if (by === 'objectif') return objectifLabel(key);
  return key;
};

const StatsCard: FC<{ title: string; by: string; stats: DossierStats }> = ({ title, by, stats }) => (
  <section class="card" aria-labelledby={`t-${by}`}>
    <h2 id={`t-${by}`}>{title}</h2>
    <BarChart
      title={title}
      bars={stats.groups.map((g) => ({ label: g.nom ?? keyLabel(by, g.key), value: g.dossiers }))}
    />
    <Download stat={`/v1/stats/dossiers?groupBy=${by}`} />
  </section>
);

export const DashboardPage: FC<{
  stats: Record<string, DossierStats>;
  insertion: InsertionStats[];
  insertionByDispositif: InsertionStats;
  certification: CertificationStats;
  couts: CoutStats;
  lastLoad: { mois: string; loadedAt: string } | null;
}> = ({ stats, insertion, insertionByDispositif, certification, couts, lastLoad }) => {
  const total = stats.status?.total ?? null;
  const bars: Bar[] = insertionByDispositif.groups.map((g) => ({
    label: g.key ?? 'Non renseigné',
    value: g.tauxEmploi ?? 0,
    value2: g.tauxEmploiDurable ?? 0,
  }));
  return (
    <>
      <h1>Tableau de bord</h1>
      <p class="meta">
        Chargement des données :{' '}
        {lastLoad
          ? `DSN de ${frMonth(lastLoad.mois)} chargée le ${frInstant(lastLoad.loadedAt)}`
          : 'aucun mois de DSN chargé'}
        . Les dossiers sont à jour de chaque événement reçu.
      </p>
      <div class="kpis">
        <div class="kpi">
          <b>{(total ?? 0).toLocaleString('fr-FR')}</b>
          <span>dossiers visibles</span>
        </div>
        {insertion.map((i) => (
          <div class="kpi">
            <b>{percent(i.total?.tauxEmploi)}</b>
            <span>en emploi {i.point.slice(1)} mois après la sortie</span>
            <span style="display:block">
              dont durable : {percent(i.total?.tauxEmploiDurable)} · {i.total.dossiers} sortants suivis
            </span>
          </div>
        ))}
      </div>
      <div class="grid">
        <StatsCard title="Dossiers par état" by="status" stats={stats.status!} />
        <StatsCard title="Dossiers clos par issue" by="issue" stats={stats.issue!} />
        <StatsCard title="Dossiers par dispositif" by="dispositif" stats={stats.dispositif!} />
        <StatsCard title="Dossiers par région" by="region" stats={stats.region!} />
        <StatsCard title="Dossiers par financeur" by="financeur" stats={stats.financeur!} />
        <StatsCard title="Dossiers par objectif" by="objectif" stats={stats.objectif!} />
        <StatsCard title="Dossiers par domaine (NSF)" by="nsf" stats={stats.nsf!} />
        <StatsCard title="Dossiers en quartier prioritaire (QPV)" by="qpv" stats={stats.qpv!} />
        <section class="card wide" aria-labelledby="t-couts">
          <h2 id="t-couts">Coûts de formation par dispositif</h2>
          <p class="meta">
            Coût horaire engagé (montants engagés sur heures prévues) ; réalisé : montants réalisés sur heures
            réalisées, pour les dossiers qui ont les deux.
          </p>
          <BarChart
            title="Coût horaire engagé par dispositif"
            bars={couts.groups.map((g) => ({
              label: g.key ?? 'Non renseigné',
              value: g.coutHoraireEngage ?? 0,
            }))}
            format={(n) => euros(n)}
          />
          <DataTable>
            <thead>
              <tr>
                <th>Dispositif</th>
                <th class="num">Dossiers</th>
                <th class="num">Engagé</th>
                <th class="num">Réalisé</th>
                <th class="num">€/h engagé</th>
                <th class="num">€/h réalisé</th>
              </tr>
            </thead>
            <tbody>
              {couts.groups.map((g) => (
                <tr>
                  <td>{g.key}</td>
                  <td class="num">{g.dossiers}</td>
                  <td class="num">{euros(g.montantEngage)}</td>
                  <td class="num">{euros(g.montantRealise)}</td>
                  <td class="num">{euros(g.coutHoraireEngage)}</td>
                  <td class="num">{euros(g.coutHoraireRealise)}</td>
                </tr>
              ))}
            </tbody>
          </DataTable>
          <Download stat="/v1/stats/couts?groupBy=dispositif" />
        </section>
        <section class="card wide" aria-labelledby="t-certification">
          <h2 id="t-certification">Certification des sortants par dispositif</h2>
          <p class="meta">
            Sortants d'une formation visant une certification. En bleu : obtenue en partie ou en totalité ; en
            vert : obtenue en totalité. Sans résultat 12 mois après la sortie, la certification est « inconnue
            » (les certificateurs ne déclarent que les titulaires).
          </p>
          <BarChart
            title="Taux de certification par dispositif"
            bars={certification.groups.map((g) => ({
              label: g.key ?? 'Non renseigné',
              value: g.tauxAvecPartielles ?? 0,
              value2: g.taux ?? 0,
            }))}
            format={percent}
            max={1}
          />
          <DataTable>
            <thead>
              <tr>
                <th>Dispositif</th>
                <th class="num">Sortants</th>
                <th class="num">Obtenue</th>
                <th class="num">En partie</th>
                <th class="num">Inconnue</th>
              </tr>
            </thead>
            <tbody>
              {certification.groups.map((g) => (
                <tr>
                  <td>{g.key}</td>
                  <td class="num">{g.sortants}</td>
                  <td class="num">
                    {g.obtenuesTotales} ({percent(g.taux)})
                  </td>
                  <td class="num">{g.obtenuesPartielles}</td>
                  <td class="num">{g.inconnues}</td>
                </tr>
              ))}
            </tbody>
          </DataTable>
          <Download stat="/v1/stats/certification?groupBy=dispositif" />
        </section>
        <section class="card wide" aria-labelledby="t-insertion">
          <h2 id="t-insertion">Insertion à 6 mois par dispositif</h2>
          <p class="meta">
            En bleu : taux d'emploi ; en vert : taux d'emploi durable (CDI, CDD ou intérim de 6 mois et plus).
          </p>
          <BarChart title="Taux d'emploi à 6 mois par dispositif" bars={bars} format={percent} max={1} />
          <DataTable>
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
          </DataTable>
          <Download stat="/v1/stats/insertion?point=M6&groupBy=dispositif" />
        </section>
      </div>
    </>
  );
};
