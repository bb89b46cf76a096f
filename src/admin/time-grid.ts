import { Temporal } from 'temporal-polyfill';
import { dayInstantRange, formatInZone } from '../scheduling/index.ts';

/**
 * Placing instants on a wall-clock grid of a local day: quarter-hour rows
 * 0–95 by the local time in the zone, so on DST days a 2:00 PM booking is
 * on the 2 PM row whatever the offset.
 */
const QUARTER = 15;

export function localMinuteOfDay(ms: number, zone: string): number {
  const z = Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(zone);
  return z.hour * 60 + z.minute;
}

export interface GridItem {
  id: string;
  row: number;
  span: number;
  label: string;
  title: string;
  status: string;
}

export function gridItem(b: { id: string; start: number; end: number; title: string; status: string }, zone: string, dayStart: number, dayEnd: number): GridItem {
  const from = Math.max(b.start, dayStart);
  const to = Math.min(b.end, dayEnd);
  const row = Math.floor(localMinuteOfDay(from, zone) / QUARTER);
  const endMinute = to >= dayEnd ? 24 * 60 : localMinuteOfDay(to, zone);
  const span = Math.max(1, Math.min(96 - row, Math.ceil((endMinute - row * QUARTER) / QUARTER)));
  return { id: b.id, row, span, label: `${formatInZone(b.start, zone)}–${formatInZone(b.end, zone)}`, title: b.title, status: b.status };
}

/** Hour labels for rows 0–23, in the zone's locale style ("9 AM"). */
export const HOURS = Array.from({ length: 24 }, (_, h) => ({ row: h * 4, label: h === 0 ? '12 AM' : h < 12 ? `${h} AM` : h === 12 ? '12 PM' : `${h - 12} PM` }));

/** The quarter-hour row of `now` when it falls on `date` in `zone`, else undefined. */
export function nowRow(now: number, date: string, zone: string): number | undefined {
  const { start, end } = dayInstantRange(date, zone);
  return now >= start && now < end ? Math.floor(localMinuteOfDay(now, zone) / QUARTER) : undefined;
}

export function mondayOf(date: string): string {
  const d = Temporal.PlainDate.from(date);
  return d.subtract({ days: d.dayOfWeek - 1 }).toString();
}

/**
 * The rows a grid shows: 7 AM to 7 PM, widened to whole hours to fit every
 * item and the current time. Rows are then numbered from `offset`, so a
 * quiet day is not 24 hours of empty grid on a phone.
 */
export function visibleRows(items: { row: number; span: number }[], now: (number | undefined)[] = []): { offset: number; hours: typeof HOURS } {
  let first = 7 * 4;
  let last = 19 * 4;
  for (const i of items) {
    first = Math.min(first, Math.floor(i.row / 4) * 4);
    last = Math.max(last, Math.ceil((i.row + i.span) / 4) * 4);
  }
  for (const n of now) {
    if (n === undefined) continue;
    first = Math.min(first, Math.floor(n / 4) * 4);
    last = Math.max(last, Math.ceil((n + 1) / 4) * 4);
  }
  return { offset: first, hours: HOURS.filter((h) => h.row >= first && h.row < last) };
}
