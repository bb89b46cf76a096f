/**
 * Civil-calendar arithmetic on "epoch days" (days since 1970-01-01) and
 * minutes of a local day. No time zones here: pure integer math.
 */
import type { ISODate, Weekday } from './types.ts';

/** Days since 1970-01-01 of a calendar date (no zone attached). */
export type EpochDay = number;

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
export const MINUTES_PER_DAY = 1440;

const ISO_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const HHMM_RE = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;

/** Howard Hinnant's days_from_civil (proleptic Gregorian). */
export function epochDayFromCivil(year: number, month: number, day: number): EpochDay {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Inverse of epochDayFromCivil. */
export function civilFromEpochDay(epochDay: EpochDay): { year: number; month: number; day: number } {
  const z = epochDay + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** 'YYYY-MM-DD' → epoch day, or null if malformed or not a real date. */
export function parseISODate(value: string): EpochDay | null {
  const m = ISO_DATE_RE.exec(value);
  if (m === null) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  const epochDay = epochDayFromCivil(year, month, day);
  const back = civilFromEpochDay(epochDay);
  return back.month === month && back.day === day ? epochDay : null;
}

export function isValidISODate(value: string): boolean {
  return parseISODate(value) !== null;
}

export function formatISODate(epochDay: EpochDay): ISODate {
  const { year, month, day } = civilFromEpochDay(epochDay);
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

/** ISO weekday of an epoch day (1970-01-01 was a Thursday). */
export function isoWeekday(epochDay: EpochDay): Weekday {
  return (((((epochDay + 3) % 7) + 7) % 7) + 1) as Weekday;
}

/**
 * 'HH:MM' → minutes since local midnight (0..1440), or null if malformed.
 * '24:00' parses to 1440; whether it is allowed (only as an end) is the caller's rule.
 */
export function parseHHMM(value: string): number | null {
  const m = HHMM_RE.exec(value);
  if (m === null) return null;
  if (m[1] === undefined) return MINUTES_PER_DAY;
  return Number(m[1]) * 60 + Number(m[2]);
}

export function formatHHMM(minuteOfDay: number): string {
  return `${pad2(Math.floor(minuteOfDay / 60))}:${pad2(minuteOfDay % 60)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
