import { readFileSync } from 'node:fs';
import { OpenPeriodBody } from '../../domain/cep-schemas';
import type { CepListQuery } from '../../domain/cep-schemas';
import { CepStatut } from '../../domain/cep-schemas';
import { RegionCode } from '../../domain/codes';
import { toCepView } from '../../domain/cep-view';
import { listPeriods, linksOf } from '../../db/cep-read-model';
import { CEP_GROUPS, cepStats } from '../../db/cep-stats';
import type { CepGroup } from '../../db/cep-stats';
import { listPartners } from '../../db/partners';
import { createCepGateway, openChecked } from '../../api/cep-gateway';
import { ApiError } from '../../api/errors';
import { vouchKey } from '../../infra/pseudonym';
import { sealer } from '../../infra/sealing';
import { type Command, UsageError, dataKey, env, print, withClient, withOrm } from '../context';

/** `agora cep ...`: the platform operator's view of the CEP periods (CONTRACT.md, "CEP periods"). */

const gatewayOf = (
  client: Parameters<typeof createCepGateway>[0]['client'],
  orm: Parameters<typeof createCepGateway>[0]['orm'],
) => {
  const keys = { ...env, AGORA_DATA_KEY: dataKey() };
  return createCepGateway({
    client,
    orm,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    unseal: sealer(keys).open,
    vouchKey: vouchKey(keys),
  });
};

/** A refusal of the API's rules, told as the API would: its code and message, exit code 1. */
const refused = (e: unknown): number => {
  if (!(e instanceof ApiError)) throw e;
  console.error(`${e.code}: ${e.message}`);
  return 1;
};

/** `agora cep open FILE --siret OPERATEUR`: a period opened as its operator, with the API's checks. */
export const cepOpen: Command = async ({ arg, values, json }) => {
  if (!arg || !values.siret) throw new UsageError('usage: agora cep open FILE --siret OPERATEUR_SIRET');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(arg === '-' ? 0 : arg, 'utf8'));
  } catch (e) {
    throw new UsageError(`${arg}: not a JSON file (${(e as Error).message})`);
  }
  const parsed = OpenPeriodBody.safeParse(raw);
  if (!parsed.success) {
    throw new UsageError(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('\n'),
    );
  }
  return withClient((client) =>
    withOrm(async (orm) => {
      const partner = (await listPartners(orm.em.fork())).find((p) => p.siret === values.siret);
      if (!partner) throw new UsageError(`no partner with SIRET ${values.siret}`);
      const actor = {
        admin: false as const,
        partnerId: partner.id,
        siret: partner.siret,
        kind: partner.kind,
      };
      try {
        const gateway = gatewayOf(client, orm);
        const { created, state } = await openChecked(gateway, actor, parsed.data, new Date());
        const links = await linksOf(orm.em.fork(), [state]);
        const view = toCepView(state, links.get(state.periodeId)!, { fullNir: false });
        print(
          view,
          json,
          () => `period ${view.periodeId} ${created ? 'opened' : 'already open'} (${view.statut})`,
        );
        return 0;
      } catch (e) {
        return refused(e);
      }
    }),
  );
};

/** `agora cep show ID`: a period's current state (its workflow, else its record), NIR masked. */
export const cepShow: Command = async ({ arg, json }) => {
  if (!arg) throw new UsageError('usage: agora cep show PERIODE_ID');
  return withClient((client) =>
    withOrm(async (orm) => {
      const state = await gatewayOf(client, orm).find(arg);
      if (!state) {
        console.error(`no CEP period ${arg}`);
        return 1;
      }
      const links = await linksOf(orm.em.fork(), [state]);
      const view = toCepView(state, links.get(arg)!, { fullNir: false });
      print(view, json, () => JSON.stringify(view, null, 2));
      return 0;
    }),
  );
};

/** `agora cep list [--status S] [--region R] [--limit N]`: every operator's periods, newest first. */
export const cepList: Command = async ({ values, json }) => {
  const limit = Number(values.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UsageError('--limit takes 1 to 500');
  const statut = values.status === undefined ? undefined : CepStatut.safeParse(values.status);
  if (statut && !statut.success) throw new UsageError(`--status takes ${CepStatut.options.join(', ')}`);
  const region = values.region === undefined ? undefined : RegionCode.safeParse(values.region);
  if (region && !region.success) throw new UsageError('--region takes a region code (84, 11, ...)');
  const query: Omit<CepListQuery, 'cursor'> = {
    limit,
    ...(statut ? { statut: statut.data } : {}),
    ...(region ? { region: region.data } : {}),
  };
  return withOrm(async (orm) => {
    const page = await listPeriods(orm.em.fork(), { admin: true }, query);
    print(
      page,
      json,
      () =>
        page.items
          .map(
            (p) =>
              `${p.periodeId.padEnd(24)} ${p.statut.padEnd(14)} niveau ${p.niveau}  ${p.region}  ${p.operateurSiret}  ouverte le ${p.dates.ouverture}`,
          )
          .join('\n') || 'no periods',
    );
    return 0;
  });
};

/** `agora cep stats [--by G] [--region R]`: the platform's CEP figures. */
export const cepStatsCommand: Command = async ({ values, json }) => {
  const groupBy = (values.by ?? 'region') as CepGroup;
  if (!CEP_GROUPS.includes(groupBy)) throw new UsageError(`--by takes ${CEP_GROUPS.join(', ')}`);
  const region = values.region === undefined ? undefined : RegionCode.safeParse(values.region);
  if (region && !region.success) throw new UsageError('--region takes a region code (84, 11, ...)');
  return withOrm(async (orm) => {
    const stats = await cepStats(
      orm.em.fork(),
      { all: true },
      { groupBy, ...(region ? { region: region.data } : {}) },
    );
    const pct = (r: number | null) => (r === null ? '   --' : `${(r * 100).toFixed(1).padStart(5)}%`);
    const line = (key: string, f: (typeof stats)['total']) =>
      `${key.padEnd(20)} ${String(f.periodes).padStart(7)} ${String(f.beneficiaires).padStart(7)} ${String(f.closes).padStart(7)}  ${pct(f.tauxAccompagnement)}  ${pct(f.tauxEntreeFormation6m)}  ${pct(f.tauxEmploi6m)}  ${pct(f.tauxEmploi12m)}`;
    print(stats, json, () =>
      [
        `${groupBy.padEnd(20)} periodes  person  closes  niveau2  form.6m  empl.6m  empl.12m`,
        ...stats.groups.map((g) => line(g.key ?? '(none)', g)),
        line('total', stats.total),
      ].join('\n'),
    );
    return 0;
  });
};
