import { Temporal } from 'temporal-polyfill';
import { dayInstantRange, formatInZone, type AnyResourceSlot } from '../scheduling/index.ts';

/**
 * Turning instants into what a page shows, always in a named zone. The
 * server's own zone never enters: every formatter gets `timeZone`.
 */

/**
 * '2026-03-09T11:00:00-07:00': the instant written with the zone's offset.
 * Temporal is dear per call (it dominated the API's availability answers),
 * so it runs once per zone and stretch without a transition: within it,
 * the wall clock is the instant shifted by the offset, written as if in UTC.
 * An offset of seconds (a zone's local mean time, before 1900) takes
 * Temporal every time.
 */
export function isoInZone(ms: number, zone: string): string {
  let span = offsetSpans.get(zone);
  if (span === undefined || ms < span.from || ms >= span.to) {
    if (offsetSpans.size >= MAX_CACHED_SPANS) offsetSpans.clear();
    offsetSpans.set(zone, (span = offsetSpanAt(ms, zone)));
  }
  if (span.suffix === null) return temporalIso(ms, zone);
  return new Date(ms + span.offsetMs).toISOString().slice(0, 19) + span.suffix;
}

const temporalIso = (ms: number, zone: string) =>
  Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone).toString({ timeZoneName: 'never', smallestUnit: 'second' });

interface OffsetSpan { from: number; to: number; offsetMs: number; suffix: string | null }
const offsetSpans = new Map<string, OffsetSpan>();
const MAX_CACHED_SPANS = 500;

/** From `ms` up to the zone's next transition, one offset. */
function offsetSpanAt(ms: number, zone: string): OffsetSpan {
  const at = Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone);
  const offsetMs = at.offsetNanoseconds / 1e6;
  const to = at.getTimeZoneTransition('next')?.epochMilliseconds ?? Infinity;
  if (offsetMs % 60_000 !== 0) return { from: ms, to, offsetMs, suffix: null };
  const minutes = Math.abs(offsetMs) / 60_000;
  return { from: ms, to, offsetMs, suffix: `${offsetMs < 0 ? '-' : '+'}${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}` };
}

/**
 * Building an Intl.DateTimeFormat costs 0.1–0.2 ms, more than formatting
 * with it many times over: keep one per (use, zone), as
 * src/scheduling/display.ts does.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_CACHED_FORMATTERS = 500;

function formatter(use: string, zone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${use}|${zone}`;
  let f = formatters.get(key);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { ...options, timeZone: zone });
    if (formatters.size >= MAX_CACHED_FORMATTERS) formatters.clear();
    formatters.set(key, f);
  }
  return f;
}

/** 'Monday, March 9, 2026' in `zone`. */
export function longDate(ms: number, zone: string): string {
  return formatter('longDate', zone, { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }).format(ms);
}

/** '$45.00' from minor units; the currency decides its own decimals. */
export function formatMoney(minor: number, currency: string): string {
  const f = new Intl.NumberFormat('en-US', { style: 'currency', currency });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(minor / 10 ** digits);
}

export function formatDuration(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return [h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ');
}

export interface DayCell {
  date: string;
  weekday: string;
  day: number;
  month: string;
  available: boolean;
  selected: boolean;
}

/**
 * The dates of a strip, marked by whether any slot starts on them in `zone`.
 * A slot's local date is found by comparing instants with the strip's day
 * boundaries (one zone conversion per day, not one per slot): the instants
 * of a local date are [its start of day, the next date's start of day).
 * That holds while local dates never run backwards; no zone has had such a
 * transition since 2011 (St John's and Moncton fell back at 00:01).
 */
export function dayStrip(from: string, days: number, slots: AnyResourceSlot[], zone: string, selected: string | undefined): DayCell[] {
  const first = Temporal.PlainDate.from(from);
  const dates = Array.from({ length: days }, (_, i) => first.add({ days: i }));
  const ranges = dates.map((d) => dayInstantRange(d.toString(), zone));
  const bounds = ranges.map((r) => r.start);
  if (ranges.length) bounds.push(ranges[ranges.length - 1]!.end);
  const available = new Array<boolean>(days).fill(false);
  for (const s of slots) {
    const i = dayIndex(bounds, s.start);
    if (i >= 0) available[i] = true;
  }
  return dates.map((d, i) => {
    const date = d.toString();
    // A calendar date's names do not depend on a zone: format its UTC midnight in UTC.
    const utcMidnight = Date.UTC(d.year, d.month - 1, d.day);
    return {
      date,
      weekday: formatter('weekday', 'UTC', { weekday: 'short' }).format(utcMidnight),
      day: d.day,
      month: formatter('month', 'UTC', { month: 'short' }).format(utcMidnight),
      available: available[i]!,
      selected: date === selected,
    };
  });
}

/** i such that bounds[i] <= t < bounds[i + 1] (ascending bounds), or -1 when t is outside them all. */
function dayIndex(bounds: number[], t: number): number {
  let lo = 0;
  let hi = bounds.length - 1;
  if (!(t >= bounds[lo]! && t < bounds[hi]!)) return -1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (bounds[mid]! <= t) lo = mid;
    else hi = mid;
  }
  return lo;
}

export interface TimeCell {
  start: string;
  label: string;
  /** For a class: "3 seats left"; empty otherwise. */
  seats: string;
}

/** The slots starting on local `date` in `zone` (the day's boundaries once, not a conversion per slot). */
export function timesOn(date: string, slots: (AnyResourceSlot & { seatsLeft?: number })[], zone: string, capacity = 1): TimeCell[] {
  const day = dayInstantRange(date, zone);
  return slots.filter((s) => s.start >= day.start && s.start < day.end).map((s) => ({
    start: isoInZone(s.start, zone),
    label: formatInZone(s.start, zone),
    seats: capacity > 1 && s.seatsLeft !== undefined ? `${s.seatsLeft} ${s.seatsLeft === 1 ? 'seat' : 'seats'} left` : '',
  }));
}

const pad2 = (n: number) => String(n).padStart(2, '0');

export function addDays(date: string, n: number): string {
  return Temporal.PlainDate.from(date).add({ days: n }).toString();
}

/**
 * 'Mar 2, 2026, 7:05 AM EST': when something happened (history, messages,
 * the audit log), in the business's zone with the zone named, never UTC.
 */
export function stamp(at: Date | number, zone: string): string {
  return formatter('stamp', zone, { month: 'short', day: 'numeric', year: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' })
    .format(at)
    .replace(/\u202f/g, ' ');
}
