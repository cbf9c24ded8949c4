import type { FollowUpPlan, MonthLookup, SituationState } from '../domain/situations';
import {
  applyLookups,
  followUpComplete,
  nextWake,
  onMonthLoaded,
  pendingPoints,
  settle,
  takeLoad,
} from '../domain/situations';
import { isRefusedPayload } from '../domain/vouch';
import { MonthLoads } from './month-loads';
import type { ContractLine } from '../domain/best-job';

/** A signal's lines, as the wake-up writes them (db/dsn-lookup.ts). */
function isContractLines(v: unknown): v is ContractLine[] {
  return (
    Array.isArray(v) &&
    v.every(
      (l: Record<string, unknown> | null) =>
        typeof l === 'object' &&
        l !== null &&
        typeof l.siret === 'string' &&
        typeof l.naf === 'string' &&
        typeof l.natureContrat === 'string' &&
        typeof l.dateDebutContrat === 'string' &&
        (l.dateFinContrat === null || typeof l.dateFinContrat === 'string') &&
        typeof l.heures === 'number',
    )
  );
}

/** What a record holding a follow-up gives it: its points, its plan, and how to change its points. */
export interface FollowUpHost<P extends string> {
  situations(): readonly SituationState<P>[];
  plan(): FollowUpPlan<P>;
  /** New points; the host makes a new version when a partner would see the change. */
  setSituations(situations: SituationState<P>[]): void;
}

/**
 * The employment follow-up's bookkeeping in a workflow, the same for a dossier's six points and a
 * CEP period's three (domain/situations.ts holds the rule): which points owe a look-up, the DSN
 * month loads signalled and not looked up since, what a look-up found, the next wake-up. No I/O.
 */
export class FollowUp<P extends string> {
  private readonly loads: MonthLoads;

  constructor(
    private readonly host: FollowUpHost<P>,
    signalledLoads?: Record<string, number>,
  ) {
    this.loads = new MonthLoads(signalledLoads);
  }

  private today(): string {
    return new Date().toISOString().slice(0, 10);
  }

  /** The loads signalled and not looked up since, for continue-as-new. */
  carried(): Record<string, number> {
    return this.loads.carried();
  }

  /** The points whose status the rule decides today (domain/situations.ts `settle`). */
  settle(): void {
    this.host.setSituations(settle(this.host.situations(), this.host.plan(), this.today()));
  }

  owedLookups(): P[] {
    return pendingPoints(this.host.situations(), this.host.plan(), this.today());
  }

  monthOf(p: P): string | null {
    return this.host.situations().find((s) => s.point === p)?.mois ?? null;
  }

  /** The look-up the owed points need: their months; and the loads it answers (for `lookupFailed`). */
  lookup(points: P[]): { months: string[]; answered: ReturnType<MonthLoads['beforeLookup']> } {
    const months = [...new Set(points.map((p) => this.monthOf(p)).filter((m): m is string => m !== null))];
    return { months, answered: this.loads.beforeLookup(months) };
  }

  lookupFailed(answered: ReturnType<MonthLoads['beforeLookup']>): void {
    this.loads.lookupFailed(answered);
  }

  /** What a look-up found; a load signalled while the read ran, that the read did not see: those points look again. */
  lookedUp(points: P[], found: Record<string, MonthLookup>): void {
    this.record(points, this.loads.trusted(found));
  }

  /** The caller found these months not loaded: the points on them wait, unless a load was signalled since. */
  notLoaded(months: readonly string[]): void {
    const notLoaded = this.loads.notLoaded(months);
    const points = this.owedLookups().filter((p) => notLoaded.includes(this.monthOf(p) ?? ''));
    if (points.length > 0) this.record(points, Object.fromEntries(notLoaded.map((m) => [m, null])));
  }

  private record(points: P[], found: Record<string, MonthLookup>): void {
    this.host.setSituations(
      applyLookups(this.host.situations(), points, found, this.host.plan(), this.today()),
    );
  }

  /**
   * A DSN month was loaded (the signal's payload); one not encrypted with a platform key, or
   * malformed, changes nothing. The points that wait on it, or used an older load, look again; when
   * the signal brings the person's lines of that month (the set-based wake-up), those points take
   * them at once, with no look-up (on `day`, the wake-up's when it wrote them ahead: true then).
   * A load already overtaken by a newer one brings nothing.
   */
  onMonthLoaded(load: unknown, day?: string): boolean {
    if (isRefusedPayload(load)) return false;
    const { mois, version, lines } = (load ?? {}) as { mois?: unknown; version?: unknown; lines?: unknown };
    if (typeof mois !== 'string' || typeof version !== 'number') return false;
    const newer = (this.loads.latest(mois) ?? 0) > version;
    const withLines = !newer && isContractLines(lines);
    this.host.setSituations(
      withLines
        ? takeLoad(this.host.situations(), this.host.plan(), { mois, version, lines }, day ?? this.today())
        : onMonthLoaded(this.host.situations(), mois, version),
    );
    // Signalled even with its lines: a look-up running now, that read the month before this load,
    // is not trusted for it (MonthLoads.trusted).
    this.loads.signal(mois, version);
    return withLines;
  }

  /** The next day the rule can change something (null: only a signal or an event). */
  nextWake(): string | null {
    return nextWake(this.host.situations(), this.host.plan(), this.today());
  }

  /** The record is closed and every point final. */
  complete(): boolean {
    return followUpComplete(this.host.situations(), this.host.plan());
  }
}
