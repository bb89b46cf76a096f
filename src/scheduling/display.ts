/**
 * Display helpers for pages: local dates and times of instants in a given
 * zone. Always pass the zone explicitly; the process TZ is never used.
 */
import { Temporal } from 'temporal-polyfill';
import { startOfDayInstant } from './zoneclock.ts';
import type { Interval, ISODate } from './types.ts';

/** The 'YYYY-MM-DD' local date of an instant in `zone`. */
export function localDate(instantMs: number, zone: string): ISODate {
  // Temporal only takes whole milliseconds; the floor lies in the same millisecond.
  return Temporal.Instant.fromEpochMilliseconds(Math.floor(instantMs)).toZonedDateTimeISO(zone).toPlainDate().toString();
}

/**
 * [start of `date`, start of the next date) in `zone`: 23 or 25 hours long on
 * DST days; a midnight inside a gap starts at the transition instant.
 */
export function dayInstantRange(date: ISODate, zone: string): Interval {
  const day = Temporal.PlainDate.from(date);
  return { start: startOfDayInstant(zone, day), end: startOfDayInstant(zone, day.add({ days: 1 })) };
}

/** Local time of day, e.g. '2:00 PM' (en-US) or '14:00' (en-GB). */
export function formatInZone(instantMs: number, zone: string, locale = 'en-US'): string {
  return format(instantMs, zone, locale, false);
}

/** Local time with the zone's short name, e.g. '2:00 PM EST', '9:30 AM GMT+5:30'. */
export function formatInZoneWithName(instantMs: number, zone: string, locale = 'en-US'): string {
  return format(instantMs, zone, locale, true);
}

/** Intl formatters are costly to build: keep one per (locale, zone, variant). */
const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_CACHED_FORMATTERS = 500;

function format(instantMs: number, zone: string, locale: string, withZoneName: boolean): string {
  const key = `${locale}|${zone}|${withZoneName ? 'name' : 'time'}`;
  let formatter = formatters.get(key);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat(locale, {
      timeZone: zone,
      hour: 'numeric',
      minute: '2-digit',
      ...(withZoneName ? { timeZoneName: 'short' as const } : {}),
    });
    if (formatters.size >= MAX_CACHED_FORMATTERS) formatters.clear();
    formatters.set(key, formatter);
  }
  // Some ICU versions put U+202F (narrow no-break space) before AM/PM: use a
  // plain space so output does not depend on the ICU build.
  return formatter.format(instantMs).replace(/\u202f/g, ' ');
}

/**
 * A wall-clock time typed by a person ('2026-03-08', '02:30') in `zone` →
 * the instant. A time inside a spring-forward gap moves forward by the gap,
 * as clocks do; a repeated fall-back time is its first occurrence. '24:00'
 * is the start of the next day. (The slot engine has its own, stricter
 * rules for window edges.)
 */
export function wallTimeToInstant(date: ISODate, hhmm: string, zone: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const day = Temporal.PlainDate.from(date);
  const at = h === 24 ? day.add({ days: 1 }).toPlainDateTime() : day.toPlainDateTime({ hour: h, minute: m });
  return at.toZonedDateTime(zone, { disambiguation: 'compatible' }).epochMilliseconds;
}
