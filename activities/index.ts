import type { MikroORM } from '@mikro-orm/postgresql';
import type { DossierState } from '../domain/dossier-state';
import { upsertDossier } from '../db/dossier-read-model';

export interface ActivityDeps {
  orm: MikroORM;
}

/** The activities of the dossier workflow, bound to their dependencies. */
export function createActivities({ orm }: ActivityDeps) {
  return {
    /** Project the dossier to the read model; idempotent by version. */
    async projectDossier({ state }: { state: DossierState }): Promise<void> {
      await upsertDossier(orm.em.fork(), state);
    },
  };
}
