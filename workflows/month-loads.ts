import type { MonthLookup } from '../domain/situations';

/**
 * The DSN month loads signalled to a dossier and not looked up since. A read of a month that may
 * have missed such a load (a look-up running when the signal came, a caller's word that the month
 * is not loaded) is not trusted for that month: its points look again.
 */
export class MonthLoads {
  private readonly signalled: Map<string, number>;

  constructor(carried?: Record<string, number>) {
    this.signalled = new Map(Object.entries(carried ?? {}));
  }

  /** A load of `mois` (its version) was signalled. */
  signal(mois: string, version: number): void {
    this.signalled.set(mois, Math.max(version, this.signalled.get(mois) ?? 0));
  }

  /** The newest load of `mois` signalled and not looked up since. */
  latest(mois: string): number | undefined {
    return this.signalled.get(mois);
  }

  /** Of the months a caller found not loaded, those no load signalled since contradicts. */
  notLoaded(months: readonly string[]): string[] {
    return months.filter((m) => !this.signalled.has(m));
  }

  /** A look-up of these months starts: it answers for the loads signalled so far (returned). */
  beforeLookup(months: readonly string[]): [string, number][] {
    const answered = months.flatMap((m) => {
      const v = this.signalled.get(m);
      return v === undefined ? [] : [[m, v] as [string, number]];
    });
    for (const m of months) this.signalled.delete(m);
    return answered;
  }

  /** The look-up failed: the loads it was to answer for are still owed a look. */
  lookupFailed(answered: readonly [string, number][]): void {
    for (const [m, v] of answered) this.signal(m, v);
  }

  /** What a look-up may be trusted for: not a month whose load was signalled while it ran, unseen. */
  trusted(found: Readonly<Record<string, MonthLookup>>): Record<string, MonthLookup> {
    return Object.fromEntries(
      Object.entries(found).filter(([m, f]) => {
        const v = this.signalled.get(m);
        return v === undefined || (f !== null && f.version >= v);
      }),
    );
  }

  /** For continue-as-new. */
  carried(): Record<string, number> {
    return Object.fromEntries(this.signalled);
  }
}
