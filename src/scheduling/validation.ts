/**
 * Input checks for the rest of the app (forms, API) and the engine's own
 * guard on service rules. Messages are human-readable English.
 */
import { Temporal } from 'temporal-polyfill';
import { formatHHMM, parseHHMM } from './calendar.ts';
import type { ServiceRules, WallWindow, Weekday } from './types.ts';

const WEEKDAY_NAMES = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/**
 * The zone's canonical IANA spelling ('america/new_york' → 'America/New_York'),
 * or null if it is not a named zone. Offset strings like '+05:00' are rejected.
 */
export function canonicalTimeZone(zone: string): string | null {
  const known = canonical.get(zone);
  if (known !== undefined) return known;
  if (zone.trim() !== zone || zone === '' || /^[+\-\u2212]/.test(zone)) return null;
  let id: string | null;
  try {
    id = Temporal.PlainDate.from('2000-01-01').toZonedDateTime(zone).timeZoneId;
    new Intl.DateTimeFormat('en-US', { timeZone: id }); // display helpers need Intl to know it too
  } catch {
    id = null;
  }
  // Remembered: every booking form checks its zone, and the check builds a
  // ZonedDateTime and an Intl.DateTimeFormat. Only named zones are kept, and
  // at most CANONICAL_MAX spellings (case variants are endless).
  if (id !== null) {
    if (canonical.size >= CANONICAL_MAX) canonical.clear();
    canonical.set(zone, id);
  }
  return id;
}
const canonical = new Map<string, string>();
const CANONICAL_MAX = 2000;

export function isValidTimeZone(zone: string): boolean {
  return canonicalTimeZone(zone) !== null;
}

/** A window to check; weekly windows carry their weekday. */
export type WindowInput = WallWindow & { weekday?: Weekday };

/**
 * Checks a set of windows: each HH:MM well formed, start < end ('24:00' only
 * as an end), and no two windows overlapping on the same day (touching is fine;
 * windows with different weekdays never clash). Returns [] when valid.
 */
export function validateWindows(windows: readonly WindowInput[]): string[] {
  const errors: string[] = [];
  const parsed: { index: number; weekday: number; start: number; end: number }[] = [];
  windows.forEach((w, index) => {
    const label = describe(w, index);
    const start = parseHHMM(w.start);
    const end = parseHHMM(w.end);
    if (w.weekday !== undefined && !(Number.isInteger(w.weekday) && w.weekday >= 1 && w.weekday <= 7)) {
      errors.push(`${label}: weekday must be 1 (Monday) to 7 (Sunday)`);
    } else if (start === null || end === null) {
      errors.push(`${label}: times must be HH:MM between 00:00 and 24:00`);
    } else if (start >= end) {
      errors.push(`${label}: start must be before end`);
    } else {
      parsed.push({ index, weekday: w.weekday ?? 0, start, end });
    }
  });
  parsed.sort((a, b) => a.weekday - b.weekday || a.start - b.start);
  for (let i = 1; i < parsed.length; i++) {
    const prev = parsed[i - 1];
    const cur = parsed[i];
    if (prev === undefined || cur === undefined || prev.weekday !== cur.weekday) continue;
    if (cur.start < prev.end) {
      const [first, second] = prev.index < cur.index ? [prev, cur] : [cur, prev];
      errors.push(`${describeParsed(second)} overlaps ${describeParsed(first)}`);
    }
  }
  return errors;
}

function describe(w: WindowInput, index: number): string {
  const day = w.weekday !== undefined ? `${WEEKDAY_NAMES[w.weekday] ?? `weekday ${String(w.weekday)}`} ` : '';
  return `Window ${index + 1} (${day}${w.start}-${w.end})`;
}

function describeParsed(w: { index: number; weekday: number; start: number; end: number }): string {
  const day = w.weekday !== 0 ? `${WEEKDAY_NAMES[w.weekday] ?? ''} ` : '';
  return `Window ${w.index + 1} (${day}${formatHHMM(w.start)}-${formatHHMM(w.end)})`;
}

/** Checks service rules: whole minutes, positive duration and interval, no negatives. */
export function validateServiceRules(rules: ServiceRules): string[] {
  const errors: string[] = [];
  const positive = ['durationMin', 'intervalMin'] as const;
  const nonNegative = ['bufferBeforeMin', 'bufferAfterMin', 'minNoticeMin', 'horizonDays'] as const;
  for (const key of positive) {
    if (!Number.isSafeInteger(rules[key]) || rules[key] <= 0) errors.push(`${key} must be a whole number above 0`);
  }
  for (const key of nonNegative) {
    if (!Number.isSafeInteger(rules[key]) || rules[key] < 0) errors.push(`${key} must be a whole number, 0 or more`);
  }
  if (rules.maxPerDay !== null && (!Number.isSafeInteger(rules.maxPerDay) || rules.maxPerDay < 0)) {
    errors.push('maxPerDay must be empty or a whole number, 0 or more');
  }
  return errors;
}

/** Engine guard: a malformed service would loop forever or mean nothing. */
export function assertServiceRules(rules: ServiceRules): void {
  const errors = validateServiceRules(rules);
  if (errors.length > 0) throw new RangeError(`Invalid service rules: ${errors.join('; ')}`);
}
