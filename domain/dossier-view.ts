import type { DossierState } from './dossier-state';
import { maskNir } from './nir';
import type { DossierViewT } from './schemas';

/** The dossier as the API serves it; the full NIR only when `fullNir` is granted. */
export function toView(state: DossierState, opts: { fullNir: boolean }): DossierViewT {
  const { nir, ...rest } = state.stagiaire;
  return {
    dossierId: state.dossierId,
    status: state.status,
    interrompu: state.interrompu,
    issue: state.issue,
    stagiaire: { ...(opts.fullNir ? { nir } : {}), nirMasque: maskNir(nir), ...rest },
    organisme: state.organisme,
    action: state.action,
    financements: state.financements,
    dates: state.dates,
    interruptions: state.interruptions,
    sortie: state.sortie,
    situations: [],
    version: state.version,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}
