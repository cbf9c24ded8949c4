import { toView } from '../../domain/dossier-view';
import { listDossiers } from '../../db/dossier-read-model';
import { nirHasher, vouchKey } from '../../infra/pseudonym';
import { createDossierGateway } from '../../api/dossier-gateway';
import { ApiError } from '../../api/errors';
import { createProjector } from '../../db/projection-intents';
import { createRecordStore } from '../../db/dossier-records';
import { sealer } from '../../infra/sealing';
import { type HistoryEntry } from '../../domain/schemas';
import { type Command, UsageError, dataKey, env, print, withClient, withOrm } from '../context';

export const dossierShow: Command = async ({ command, arg, json }) => {
  if (!arg) throw new UsageError(`usage: agora dossier ${command} ID`);
  return withClient((client) =>
    withOrm(async (orm) => {
      const keys = { ...env, AGORA_DATA_KEY: dataKey() };
      const gateway = createDossierGateway({
        client,
        taskQueue: env.TEMPORAL_TASK_QUEUE,
        projector: createProjector({ orm, hashNir: nirHasher(keys), seal: sealer(keys).seal }),
        records: createRecordStore(orm, sealer(keys).open),
        vouchKey: vouchKey(keys),
      });
      try {
        if (command === 'show') {
          const view = toView(await gateway.state(arg), { fullNir: false });
          print(view, json, () => JSON.stringify(view, null, 2));
        } else {
          const events: HistoryEntry[] = [];
          for (let afterSeq = 0; ;) {
            const page = await gateway.history(arg, { afterSeq, limit: 1000 });
            events.push(...page.events);
            if (page.nextSeq === null) break;
            afterSeq = page.nextSeq;
          }
          print(events, json, () =>
            events
              .map(
                (e) =>
                  `${String(e.seq).padStart(4)}  ${e.date}  ${e.type.padEnd(14)} ${e.source}  ${e.receivedAt}${e.confirmation ? '  (confirmation)' : ''}`,
              )
              .join('\n'),
          );
        }
        return 0;
      } catch (e) {
        if (e instanceof ApiError && e.code === 'NOT_FOUND') {
          console.error(`no dossier ${arg}`);
          return 1;
        }
        throw e;
      }
    }),
  );
};

export const dossierList: Command = async ({ values, json }) => {
  return withOrm(async (orm) => {
    const limit = Number(values.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UsageError('--limit takes 1 to 500');
    const page = await listDossiers(
      orm.em.fork(),
      { admin: true },
      {
        limit,
        ...(values.status ? { status: values.status as never } : {}),
        ...(values.region ? { region: values.region as never } : {}),
      },
    );
    print(
      page,
      json,
      () =>
        page.items
          .map(
            (d) =>
              `${d.dossierId.padEnd(24)} ${d.status.padEnd(22)} ${d.action.region} ${d.action.dispositif} v${d.version}`,
          )
          .join('\n') || 'no dossiers',
    );
    return 0;
  });
};
