import { Temporal } from 'temporal-polyfill';
import { formatInZone, localDate, type AnyResourceSlot } from '../scheduling/index.ts';

/**
 * Turning instants into what a page shows, always in a named zone. The
 * server's own zone never enters: every formatter gets `timeZone`.
 */

/** '2026-03-09T11:00:00-07:00': the instant written with the zone's offset. */
export function isoInZone(ms: number, zone: string): string {
  return Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone).toString({ timeZoneName: 'never', smallestUnit: 'second' });
}

/** 'America/Los_Angeles (PST)' — the zone's name and its abbreviation at `ms`. */
export function zoneLabel(zone: string, ms: number): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' }).formatToParts(ms).find((p) => p.type === 'timeZoneName');
  return part ? `${zone} (${part.value})` : zone;
}

/** 'Monday, March 9, 2026' in `zone`. */
export function longDate(ms: number, zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }).format(ms);
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

/** The dates of a strip, marked by whether any slot starts on them in `zone`. */
export function dayStrip(from: string, days: number, slots: AnyResourceSlot[], zone: string, selected: string | undefined): DayCell[] {
  const withSlots = new Set(slots.map((s) => localDate(s.start, zone)));
  const first = Temporal.PlainDate.from(from);
  return Array.from({ length: days }, (_, i) => {
    const d = first.add({ days: i });
    const date = d.toString();
    return {
      date,
      weekday: d.toLocaleString('en-US', { weekday: 'short' }),
      day: d.day,
      month: d.toLocaleString('en-US', { month: 'short' }),
      available: withSlots.has(date),
      selected: date === selected,
    };
  });
}

export interface TimeCell {
  start: string;
  label: string;
}

export function timesOn(date: string, slots: AnyResourceSlot[], zone: string): TimeCell[] {
  return slots.filter((s) => localDate(s.start, zone) === date).map((s) => ({ start: isoInZone(s.start, zone), label: formatInZone(s.start, zone) }));
}

export function addDays(date: string, n: number): string {
  return Temporal.PlainDate.from(date).add({ days: n }).toString();
}
