import { describe, expect, it } from 'vitest';
import { dayNumber, isCalendarDate } from '../../domain/dates';

/** isCalendarDate counts days (the DSN import checks two a line): it agrees with Date's own definition. */
describe('isCalendarDate', () => {
  /** The definition: what JavaScript's Date makes of the day. */
  const byDate = (v: string) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  };

  it('agrees with Date on every month and day of leap, common and century years', () => {
    const two = (n: number) => String(n).padStart(2, '0');
    let checked = 0;
    for (const year of ['0000', '0004', '1900', '1999', '2000', '2024', '2026', '2100', '2400', '9999']) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          const v = `${year}-${two(month)}-${two(day)}`;
          expect(isCalendarDate(v), v).toBe(byDate(v));
          checked++;
        }
      }
    }
    expect(checked).toBe(10 * 14 * 33);
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2026-02-29')).toBe(false);
    expect(isCalendarDate('2100-02-29')).toBe(false);
  });

  it('refuses what is not YYYY-MM-DD', () => {
    for (const v of [
      '',
      '2026-1-01',
      '2026-01-1',
      '20260101',
      '2026/01/01',
      ' 2026-01-01',
      '2026-01-01T00:00',
    ]) {
      expect(isCalendarDate(v), v).toBe(false);
    }
  });
});

/** dayNumber counts days from 1970 (the DSN import's binary dates): Date's own count, every day. */
describe('dayNumber', () => {
  it('agrees with Date.UTC on every day from 1890 to 2110, and on far years', () => {
    const day = 86_400_000;
    for (let t = Date.UTC(1890, 0, 1); t <= Date.UTC(2110, 11, 31); t += day) {
      const d = new Date(t);
      const n = dayNumber(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
      if (n !== t / day) expect(n, d.toISOString()).toBe(t / day);
    }
    for (const [y, m, d] of [
      [1, 1, 1],
      [1600, 2, 29],
      [2000, 1, 1],
      [9999, 12, 31],
    ] as const)
      // setUTCFullYear: Date.UTC takes years 0 to 99 for 1900 to 1999.
      expect(dayNumber(y, m, d)).toBe(new Date(0).setUTCFullYear(y, m - 1, d) / day);
    expect(dayNumber(2000, 1, 1)).toBe(10_957);
  });
});
