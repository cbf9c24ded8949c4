import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { LedgerEntry } from '../domain/dossier-aggregate';
import type { DossierState } from '../domain/dossier-state';
import type { CepLedgerEntry } from '../domain/cep-aggregate';
import type { CepState } from '../domain/cep-state';
import { formationEntries, upsertCepRecord } from '../db/cep-record';
import type { FormationEntry } from '../domain/cep-follow-up';
import type { MonthLookup } from '../domain/situations';
import { ADMIN } from '../domain/authorization';
import { RegionCode } from '../domain/codes';
import { isCalendarDate } from '../domain/dates';
import { createProjector } from '../db/projection-intents';
import { createRecordStore } from '../db/dossier-records';
import { applyLookups, owedByLoad, seenDigest } from '../domain/situations';
import { type InsertionFile, exportRegionFile, writeManifest } from '../services/insertion-files';
import type { DossierMonthLoad } from '../db/dsn-lookup';
import type { ContractLine } from '../domain/best-job';
import {
  REGISTER_CEP_MONTHS_SQL,
  dossierResultsUsingMonth,
  clearPendingLoads,
  dossierRecordsUsingMonth,
  periodsStillAwaiting,
  dossiersWaitingOnLoadedMonths,
  lookupMonths,
  periodResultsUsingMonth,
} from '../db/dsn-lookup';
import { purgeDsnMonths } from '../db/dsn-retention';
import { findAnomalies, saveAnomalies } from '../db/anomalies';
import { refreshOpenData } from '../db/open-data';
import { keyFingerprint } from '../infra/pseudonym';
import { purgeClosedDossiers, purgeClosedPeriods, retentionCutoff } from '../db/dossier-retention';
import { purgeFinishedFlux } from '../db/flux';
import { dossierWorkflowId, dsnMonthLoadedSignal } from '../workflows/dossier-messages';
import type { CepFollowUpLookup } from '../workflows/cep-messages';
import { cepWorkflowId } from '../workflows/cep-messages';
import { webhookActivities } from './webhooks';
import { type PartnerWriter, fluxActivities } from './flux';
import { WakePacer } from './wake-pacer';
import { workflowsStillBusy, writeAhead } from './month-wake';
import { pendingLoadTaker } from '../services/pending-loads';
import type { PendingLoad } from '../db/dossier-read-model';

export interface ActivityDeps {
  orm: MikroORM;
  /** Keyed hash of a NIR (infra/pseudonym.ts). */
  hashNir: (nir: string) => Buffer;
  /** Seals a personal datum at rest (infra/sealing.ts). */
  seal: (text: string) => Buffer;
  /** To signal dossiers when a DSN month is loaded. */
  client?: Client;
  /** For the DSN retention purge and the exports, which work on connections of their own. */
  databaseUrl?: string;
  /** `stagiaire_pseudo` of the regional files (infra/pseudonym.ts). */
  pseudonymise?: (nirHash: Buffer) => string;
  /** Where the weekly regional files go. */
  exportDir?: string;
  /** Years a closed dossier's record is kept (AGORA_RETENTION_YEARS). */
  retentionYears?: number;
  /** Opens what `seal` sealed: a webhook's secret, to sign its deliveries. */
  unseal?: (sealed: Buffer) => string;
  /** Webhook deliveries: private addresses allowed (AGORA_WEBHOOK_ALLOW_PRIVATE), the time a POST may take. */
  webhooks?: { allowPrivate: boolean; timeoutMs?: number };
  /** Partner files: the partner writes their lines run through, built on first use. */
  writer?: () => PartnerWriter;
  /** Dossiers of a partner file run at once (AGORA_FLUX_CONCURRENCY). */
  fluxConcurrency?: number;
  /** Days a partner file is kept once it has run (AGORA_FLUX_RETENTION_DAYS). */
  fluxRetentionDays?: number;
}

const SIGNAL_PAGE = 500;
const SIGNAL_CONCURRENCY = 50;
/** The central re-check looks at the months loaded over an hour and under 35 days ago. */
const RECHECK_MIN_AGE_MS = 60 * 60 * 1000;
const RECHECK_WINDOW_MS = 35 * 24 * 60 * 60 * 1000;

/** The activities of the dossier workflow, bound to their dependencies. */
export function createActivities({
  orm,
  hashNir,
  seal,
  client,
  databaseUrl,
  pseudonymise,
  exportDir,
  retentionYears = 10,
  unseal,
  webhooks,
  writer,
  fluxConcurrency,
  fluxRetentionDays = 30,
}: ActivityDeps) {
  const hashKey = keyFingerprint(hashNir);
  const projector = createProjector({
    orm,
    hashNir,
    seal,
    ...(client ? { onBlocked: pendingLoadTaker(client, orm, hashKey) } : {}),
  });
  /**
   * Tell dossiers a month was loaded, SIGNAL_CONCURRENCY at a time; how many were told (a dossier
   * whose workflow has ended needs no wake-up).
   */
  const signalLoads = async (
    loads: readonly DossierMonthLoad[],
    workflowId: (id: string) => string = dossierWorkflowId,
    /** Told the dossiers whose workflow has ended (their life is over: the record alone remains). */
    ended: (dossierId: string) => void = () => undefined,
    /** A month's wake-up: signals no faster than the workers take them in (activities/wake-pacer.ts). */
    pacer?: WakePacer,
  ): Promise<number> => {
    if (!client) throw new Error('signalling dossiers needs a Temporal client');
    let signalled = 0;
    for (let i = 0; i < loads.length; i += SIGNAL_CONCURRENCY) {
      const chunk = loads.slice(i, i + SIGNAL_CONCURRENCY);
      await pacer?.room(chunk.length);
      await Promise.all(
        chunk.map(async ({ dossierId, mois, version, lines, ahead }) => {
          try {
            await client.workflow.getHandle(workflowId(dossierId)).signal(dsnMonthLoadedSignal, {
              mois,
              version,
              ...(lines ? { lines } : {}),
              ...(ahead ? { ahead } : {}),
            });
            signalled++;
            pacer?.sent(dossierId);
          } catch (e) {
            if (!(e instanceof WorkflowNotFoundError)) throw e;
            ended(dossierId);
          }
        }),
      );
    }
    return signalled;
  };
  const records = unseal ? createRecordStore(orm, unseal) : null;
  /**
   * A month loaded again, for a dossier whose workflow has ended (closed, its follow-up over): its
   * points on that month are looked up again from its record, by the same rules as the workflow's
   * (domain/situations.ts), and a changed record is written as the platform's own change. No
   * workflow can write it meanwhile: an ended dossier takes no more events.
   */
  const refreshEnded = async (
    dossierId: string,
    mois: string,
    version: number,
    /** The trainee's lines of the month when the wake-up read them already. */
    lines?: ContractLine[],
  ): Promise<boolean> => {
    if (!records) return false;
    const state = await records.state(dossierId);
    if (!state) return false;
    const today = new Date().toISOString().slice(0, 10);
    const { reopened, points } = owedByLoad(state.situations, state.dates, { mois, version }, today);
    if (points.length === 0) return false;
    const found = lines
      ? { [mois]: { version, lines } }
      : await lookupMonths(orm.em.fork(), dossierId, hashNir(state.stagiaire.nir), [mois], hashKey);
    const situations = applyLookups(reopened, points, found, state.dates, today);
    // (Compared whatever the order of their keys: the record's come back from jsonb.)
    if (seenDigest(situations) === seenDigest(state.situations)) return false;
    await projector.project({
      state: { ...state, situations, version: state.version + 1, updatedAt: new Date().toISOString() },
      entries: [],
    });
    return true;
  };
  const noUnseal = (): string => {
    throw new Error('webhook deliveries need the data key (unseal)');
  };
  return {
    ...fluxActivities({
      orm,
      unseal: unseal ?? noUnseal,
      ...(fluxConcurrency ? { concurrency: fluxConcurrency } : {}),
      writer:
        writer ??
        (() => {
          throw new Error('partner files need the partner writes (ActivityDeps.writer)');
        }),
    }),
    ...webhookActivities({
      orm,
      unseal: unseal ?? noUnseal,
      allowPrivate: webhooks?.allowPrivate ?? false,
      ...(webhooks?.timeoutMs ? { timeoutMs: webhooks.timeoutMs } : {}),
    }),
    /** Write one region's insertion file of the run (services/insertion-files.ts), heartbeating its progress. */
    async writeInsertionExport({ region, date }: { region: string; date: string }): Promise<InsertionFile> {
      if (!databaseUrl || !pseudonymise || !exportDir)
        throw new Error('exports need a database, a key and a folder');
      const ctx = Context.current();
      if (!isCalendarDate(date) || !RegionCode.safeParse(region).success) {
        throw ApplicationFailure.nonRetryable(
          `bad export input: region ${region}, date ${date}`,
          'BAD_INPUT',
        );
      }
      // Scheduled exports are the platform's own: audited as the admin.
      return exportRegionFile(
        orm.em.fork(),
        {
          databaseUrl,
          exportDir,
          date,
          region,
          actor: ADMIN,
          pseudo: pseudonymise,
          onRows: (rows) => ctx.heartbeat({ rows }),
        },
        { date },
      );
    },

    /** The run's manifest: every file with its rows, size and SHA-256. */
    async writeExportManifest({ date, files }: { date: string; files: InsertionFile[] }): Promise<string> {
      if (!exportDir) throw new Error('exports need a folder');
      if (!isCalendarDate(date) || !files.every((f) => RegionCode.safeParse(f.region).success)) {
        throw ApplicationFailure.nonRetryable(`bad manifest input: date ${date}`, 'BAD_INPUT');
      }
      return writeManifest(exportDir, date, files);
    },

    /** Drop the DSN months past every dossier's horizon (db/dsn-retention.ts). */
    async purgeDsnMonths(): Promise<string[]> {
      if (!databaseUrl) throw new Error('purgeDsnMonths needs the database URL');
      return purgeDsnMonths(databaseUrl);
    },

    /**
     * Delete the records of the dossiers closed more than `retentionYears` ago (db/dossier-retention.ts),
     * heartbeating the running totals, and log them; then the CEP periods' records, and the partner
     * files that ran more than `fluxRetentionDays` ago (db/flux.ts).
     */
    async purgeClosedDossiers(): Promise<{ dossiers: number; events: number }> {
      const ctx = Context.current();
      const closedBefore = retentionCutoff(retentionYears);
      const purged = await purgeClosedDossiers(orm.em.fork(), {
        closedBefore,
        updatedBefore: new Date(Date.now() - 86_400_000),
        onBatch: (done) => ctx.heartbeat(done),
      });
      ctx.log.info('dossier records past their retention deleted', { closedBefore, ...purged });
      // The CEP periods' records, kept as long: once their workflow has ended (35 days untouched).
      const periods = await purgeClosedPeriods(orm.em.fork(), {
        closedBefore,
        updatedBefore: new Date(Date.now() - 35 * 86_400_000),
      });
      ctx.log.info('CEP period records past their retention deleted', { closedBefore, ...periods });
      // The partner files that ran more than AGORA_FLUX_RETENTION_DAYS ago, their answers with them.
      const finishedBefore = new Date(Date.now() - fluxRetentionDays * 86_400_000);
      const flux = await purgeFinishedFlux(orm.em.fork(), {
        finishedBefore,
        onBatch: (done) => ctx.heartbeat(done),
      });
      ctx.log.info('partner files past their retention deleted', { finishedBefore, ...flux });
      return purged;
    },

    /**
     * The day's anomaly report (db/anomalies.ts): the partners whose use of the platform stood
     * out, kept for the admin, and a warning in the log when there are any.
     */
    async reportAnomalies({ day }: { day: string }): Promise<{ day: string; anomalies: number }> {
      if (!isCalendarDate(day)) throw ApplicationFailure.nonRetryable(`not a day: ${day}`, 'BAD_INPUT');
      const found = await findAnomalies(orm.em.fork(), day);
      await saveAnomalies(orm.em.fork(), day, found);
      if (found.length > 0) {
        Context.current().log.warn('partners whose use of the platform stood out', {
          day,
          anomalies: found.map((a) => `${a.partnerSiret} ${a.rule} ${a.count}`),
        });
      }
      return { day, anomalies: found.length };
    },

    /** The open data's new version (db/open-data.ts), served by the API from then on. */
    async refreshOpenData(): Promise<{ generatedAt: string; lines: number }> {
      const done = await refreshOpenData(orm.em.fork());
      Context.current().log.info('open data published', done);
      return done;
    },

    /** Write the dossier's record: its state (idempotent by version) and the ledger entries it may lack. */
    async projectDossier(record: { state: DossierState; entries?: LedgerEntry[] }): Promise<void> {
      await projector.project(record);
    },

    /** Write a CEP period's record: its state and the ledger entries not there yet (db/cep-record.ts). */
    async projectCep(record: { state: CepState; entries: CepLedgerEntry[] }): Promise<void> {
      await upsertCepRecord(orm.em.fork(), record, { hashNir, seal });
    },

    /** The person's DSN lines for the months (null: month not loaded), looked up by NIR pseudonym. */
    async lookupDsn({
      dossierId,
      nir,
      months,
    }: {
      dossierId: string;
      nir: string;
      months: string[];
    }): Promise<Record<string, MonthLookup>> {
      return lookupMonths(orm.em.fork(), dossierId, hashNir(nir), months, hashKey);
    },

    /**
     * A CEP period's follow-up look-up: the person's DSN lines for its points' months (the period
     * registered for them first, so that a month loaded right after still wakes it), and the
     * training dossiers the person entered.
     */
    async followCep({
      periodeId,
      nir,
      operateurSiret,
      months,
    }: CepFollowUpLookup): Promise<{ months: Record<string, MonthLookup>; entries: FormationEntry[] }> {
      const nirHash = hashNir(nir);
      const em = orm.em.fork();
      return {
        months: await lookupMonths(em, periodeId, nirHash, months, hashKey, REGISTER_CEP_MONTHS_SQL),
        entries: await formationEntries(em, nirHash, operateurSiret),
      };
    },

    /**
     * The central re-check, daily: signal again the dossiers still waiting on a month loaded
     * recently (over an hour ago), as its load would have. Progress kept in heartbeats.
     */
    async recheckLoadedMonths(): Promise<{ signalled: number }> {
      if (!client) throw new Error('recheckLoadedMonths needs a Temporal client');
      const ctx = Context.current();
      const progress = ctx.info.heartbeatDetails as
        { after?: { mois: string; dossierId: string }; signalled?: number; now?: number } | undefined;
      // The window is fixed at the first attempt, so that a retry resumes the same pages.
      const now = progress?.now ?? Date.now();
      const window = {
        loadedAfter: new Date(now - RECHECK_WINDOW_MS),
        loadedBefore: new Date(now - RECHECK_MIN_AGE_MS),
      };
      let after = progress?.after ?? { mois: '', dossierId: '' };
      let signalled = progress?.signalled ?? 0;
      // A page's query scans every registration of the window when none is found (a healthy
      // platform): tens of seconds at national scale, so the heartbeat does not wait for it.
      const beat = setInterval(() => ctx.heartbeat({ after, signalled, now }), 10_000);
      try {
        for (;;) {
          const missed = await dossiersWaitingOnLoadedMonths(orm.em.fork(), window, after, SIGNAL_PAGE);
          if (missed.length === 0) break;
          const ended: string[] = [];
          signalled += await signalLoads(missed, dossierWorkflowId, (id) => ended.push(id));
          // An ended dossier keeps the situations written ahead of it: nothing pending any more.
          for (const load of missed.filter((l) => ended.includes(l.dossierId)))
            await clearPendingLoads(orm.em.fork(), [load.dossierId], load);
          const last = missed[missed.length - 1]!;
          after = { mois: last.mois, dossierId: last.dossierId };
          ctx.heartbeat({ after, signalled, now });
        }
      } finally {
        clearInterval(beat);
      }
      if (signalled > 0) {
        // Each of them missed its month's signal (or lost its look-up): worth a look.
        ctx.log.warn('dossiers still waiting on a loaded month, signalled again', { signalled });
      }
      return { signalled };
    },

    /**
     * Wake every dossier that waits on (or used) a month just loaded: paged through the index of
     * months, signals sent 50 at a time at the pace the workers take them in (activities/wake-pacer.ts),
     * progress kept in heartbeats so a retry resumes.
     */
    async notifyMonthLoaded({
      mois,
      version,
    }: {
      mois: string;
      version: number;
    }): Promise<{ signalled: number }> {
      if (!client) throw new Error('notifyMonthLoaded needs a Temporal client');
      const ctx = Context.current();
      type Progress = { family?: 'dossier' | 'cep'; ahead?: boolean; after?: string; signalled?: number };
      const progress = ctx.info.heartbeatDetails as Progress | undefined;
      let signalled = progress?.signalled ?? 0;
      let refreshed = 0;
      const month = { mois, version, hashKey };
      // First the dossiers' situations, written to their records set-based ahead of the workflows
      // (activities/month-wake.ts): the record answers within seconds of the load.
      if (unseal && (progress === undefined || (progress.family === 'dossier' && progress.ahead === true))) {
        let after = progress?.ahead ? (progress.after ?? '') : '';
        let written = 0;
        for (;;) {
          const page = await dossierRecordsUsingMonth(orm.em.fork(), month, after, SIGNAL_PAGE);
          if (page.length === 0) break;
          written += await writeAhead(() => orm.em.fork(), page, { mois, version }, unseal);
          after = page[page.length - 1]!.id;
          ctx.heartbeat({ family: 'dossier', ahead: true, after, signalled } satisfies Progress);
        }
        ctx.log.info('situations written ahead of the workflows', { mois, version, written });
      }
      // Then the signals: the dossiers, then the CEP periods' follow-ups. Set-based: each page of
      // records comes with each one's lines of the month, read in one statement (db/dsn-lookup.ts),
      // and goes in the signal: no look-up activity per record.
      const families = [
        {
          family: 'dossier' as const,
          using: dossierResultsUsingMonth,
          // The records show the situations written ahead: the workflows themselves tell the pace.
          awaiting: workflowsStillBusy(client, dossierWorkflowId),
          workflowId: dossierWorkflowId,
        },
        {
          family: 'cep' as const,
          using: periodResultsUsingMonth,
          awaiting: (ids: string[]) => periodsStillAwaiting(orm.em.fork(), mois, ids),
          workflowId: cepWorkflowId,
        },
      ];
      const start = families.findIndex((f) => f.family === (progress?.family ?? 'dossier'));
      for (const { family, using, awaiting, workflowId } of families.slice(start)) {
        let after = family === progress?.family && progress.ahead === false ? (progress.after ?? '') : '';
        const pacer = new WakePacer({
          stillWaiting: awaiting,
          beat: () => ctx.heartbeat({ family, ahead: false, after, signalled } satisfies Progress),
        });
        for (;;) {
          const page = await using(orm.em.fork(), month, after, SIGNAL_PAGE);
          if (page.length === 0) break;
          const loads = page.map((r): DossierMonthLoad => {
            // Written ahead for this load: the workflow takes it as the wake-up did.
            const pending = 'pending_load' in r ? (r.pending_load as PendingLoad | null) : null;
            const ahead =
              pending && pending.mois === mois && pending.version === version && r.lines
                ? { base: pending.base, today: pending.today, at: pending.at, seen: pending.seen }
                : undefined;
            return {
              dossierId: r.id,
              mois,
              version,
              ...(r.lines ? { lines: r.lines } : {}),
              ...(ahead ? { ahead } : {}),
            };
          });
          const ended: string[] = [];
          signalled += await signalLoads(
            loads,
            workflowId,
            family === 'dossier' ? (id) => ended.push(id) : undefined,
            pacer,
          );
          // The load is in the history of every dossier signalled with it written ahead: each state
          // its workflow makes from now on has taken it, or comes after the version written ahead
          // (DossierEntity.onMonthLoaded). Nothing pending on their records any more, nor on those
          // of dossiers whose workflow has ended (their record is the one written ahead).
          await clearPendingLoads(
            orm.em.fork(),
            loads.filter((l) => l.ahead).map((l) => l.dossierId),
            { mois, version },
          );
          // An ended dossier's record takes the lines this page read (no second read of the month).
          const linesOf = new Map(page.map((r) => [r.id, r.lines ?? undefined]));
          for (const id of ended) {
            if (loads.find((l) => l.dossierId === id)?.ahead) continue;
            if (await refreshEnded(id, mois, version, linesOf.get(id))) refreshed++;
          }
          after = page[page.length - 1]!.id;
          ctx.heartbeat({ family, ahead: false, after, signalled } satisfies Progress);
        }
      }
      if (refreshed > 0) ctx.log.info('ended dossiers refreshed from their record', { mois, refreshed });
      return { signalled };
    },
  };
}
