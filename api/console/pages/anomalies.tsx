import { DataTable } from '../parts';
import type { FC } from 'hono/jsx';
import type { AnomalyReport } from '../../routes/admin';
import { frDate } from '../labels';

export type AnomalyRow = AnomalyReport['items'][number];

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
        <DataTable>
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
        </DataTable>
      )}
    </section>
  </>
);
