// Calendar dates as `YYYY-MM-DD` strings: they compare lexically, so no Date is needed.

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A real day written YYYY-MM-DD (proleptic Gregorian, as JavaScript's Date). Counted rather than
 * parsed into a Date: the DSN import checks two per line, a million lines a month
 * (docs/PERFORMANCE.md, "Choices the figures made").
 */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  return isCalendarDay(Number(value.slice(0, 4)), Number(value.slice(5, 7)), Number(value.slice(8, 10)));
}

/**
 * A real UTC instant written as this API writes them, `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`: what a cursor
 * carries back, checked before the database reads it (February 30 or hour 99 would fail there).
 */
export function isInstant(value: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?Z$/.exec(value);
  return m !== null && isCalendarDate(m[1]!);
}

/** Born on or before `day` (true when either is no date: the schema says that apart). */
export function bornBy(birth: string, day: string): boolean {
  return !isCalendarDate(birth) || !isCalendarDate(day) || birth <= day;
}

/** A day of the calendar: month 1 to 12, day 1 to the month's last (29 February in a leap year). */
export function isCalendarDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

/**
 * The day's number: days from 1970-01-01 to year-month-day (proleptic Gregorian, negative before),
 * counted without a Date (the DSN import writes two per line as PostgreSQL's binary dates).
 */
export function dayNumber(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The platform's first day: no business date of the API or of a partner's file comes before it. */
export const FIRST_DATE = '2000-01-01';
/**
 * Dates of things older than the platform: a birth, a DSN contract signed before 2000 (still a
 * job in a month the follow-up reads). Bounded all the same: PostgreSQL has no year 0.
 */
export const FIRST_OLD_DATE = '1900-01-01';

/** A calendar day from `from` on. */
export const isDateFrom = (value: string, from: string): boolean => isCalendarDate(value) && value >= from;

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The latest of the given dates, ignoring nulls. */
export function maxDate(...dates: (string | null | undefined)[]): string | null {
  let best: string | null = null;
  for (const d of dates) if (d && (best === null || d > best)) best = d;
  return best;
}

/** The same day n calendar months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** The month `YYYY-MM` of a date. */
export const monthOf = (date: string): string => date.slice(0, 7);

export function isMonth(value: string): boolean {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(value);
}
