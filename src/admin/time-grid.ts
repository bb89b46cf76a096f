import { Temporal } from 'temporal-polyfill';
import { dayInstantRange, formatInZone, mergeIntervals, openIntervals as engineOpenIntervals, type DateOverride, type DateRange, type Interval, type WeeklyWindow } from '../scheduling/index.ts';

/**
 * Placing instants on a wall-clock grid of a local day: quarter-hour rows
 * 0–95 by the local time in the zone, so on DST days a 2:00 PM booking is
 * on the 2 PM row whatever the offset.
 */
const QUARTER = 15;
const QUARTER_MS = QUARTER * 60_000;

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
 * item, the current time and the open hours. Rows are then numbered from
 * `offset` (up to `end`), so a quiet day is not 24 hours of empty grid on a
 * phone.
 */
export function visibleRows(
  items: { row: number; span: number }[],
  now: (number | undefined)[] = [],
  open: Iterable<number> = [],
): { offset: number; end: number; hours: typeof HOURS } {
  let first = 7 * 4;
  let last = 19 * 4;
  const widen = (row: number, span: number) => {
    first = Math.min(first, Math.floor(row / 4) * 4);
    last = Math.max(last, Math.ceil((row + span) / 4) * 4);
  };
  for (const i of items) widen(i.row, i.span);
  for (const n of now) if (n !== undefined) widen(n, 1);
  for (const row of open) widen(row, 1);
  return { offset: first, end: last, hours: HOURS.filter((h) => h.row >= first && h.row < last) };
}

// ---- open and closed hours ------------------------------------------------------------------

/** A resource's hours as the engine takes them: weekly windows and date overrides, in its zone. */
export interface HoursRules {
  resourceId: string;
  timeZone: string;
  weekly: WeeklyWindow[];
  overrides: DateOverride[];
}

/**
 * When any of `resources` is open during `range`: the union of their
 * windows (weekly hours, date overrides, holidays), as instants, as the
 * engine reads them (DST gaps never open, repeated hours open twice).
 */
export function openIntervals(resources: HoursRules[], holidays: DateRange[], range: Interval): Interval[] {
  return mergeIntervals(resources.flatMap((r) => engineOpenIntervals(r, holidays, range)));
}

/**
 * The quarter-hour rows of the local `date` in `zone` that `intervals`
 * touch. Each interval is sampled every 15 real minutes and at its last
 * instant, so every wall-clock quarter hour it touches is seen at least
 * once, whatever the clocks do that day: a repeated hour is seen twice, a
 * skipped one never.
 */
export function rowsTouched(intervals: Interval[], date: string, zone: string): Set<number> {
  const day = dayInstantRange(date, zone);
  const rows = new Set<number>();
  const rowAt = (ms: number) => Math.floor(localMinuteOfDay(ms, zone) / QUARTER);
  for (const i of intervals) {
    const from = Math.max(i.start, day.start);
    const to = Math.min(i.end, day.end);
    if (!(from < to)) continue;
    for (let t = from; t < to; t += QUARTER_MS) rows.add(rowAt(t));
    rows.add(rowAt(to - 1));
  }
  return rows;
}

/** A run of rows the grid shades: closed, or (spring forward) a time that does not exist that day. */
export interface Band {
  row: number;
  span: number;
  kind: 'closed' | 'skipped';
  /** Wall-clock 'HH:MM' bounds of the run, for people and tests: '00:00'–'09:00'. */
  from: string;
  to: string;
}

/**
 * The closed hours of the local `date` in `zone` among rows [first, last):
 * rows not in `openRows` (rowsTouched of the open intervals), that is, where
 * nothing is open for any part of the quarter hour. Rows the day does not
 * have (the hour clocks skip) are their own band.
 */
export function closedBands(openRows: ReadonlySet<number>, date: string, zone: string, first: number, last: number): Band[] {
  const dayRows = rowsTouched([dayInstantRange(date, zone)], date, zone);
  const bands: Band[] = [];
  for (let row = first; row < last; row++) {
    const kind = !dayRows.has(row) ? 'skipped' : openRows.has(row) ? undefined : 'closed';
    const prev = bands.at(-1);
    if (!kind) continue;
    if (prev && prev.kind === kind && prev.row + prev.span === row) prev.span++;
    else bands.push({ row, span: 1, kind, from: '', to: '' });
  }
  const hhmm = (row: number) => `${String(Math.floor(row / 4)).padStart(2, '0')}:${String((row % 4) * QUARTER).padStart(2, '0')}`;
  return bands.map((b) => ({ ...b, from: hhmm(b.row), to: hhmm(b.row + b.span) }));
}

/** Most bookings side by side in one grid cell; beyond that they overlap (public/css/grid.css has .ln-K-N up to 6). */
const MAX_LANES = 6;

/**
 * Side-by-side lanes for items that overlap in time, as when one grid
 * shows every resource: greedy first-free lane in start order; `lanes` is
 * the width of the group of items that overlap each other, directly or in a chain.
 */
export function withLanes<T extends { row: number; span: number }>(items: T[]): (T & { lane: number; lanes: number })[] {
  const sorted = [...items].sort((a, b) => a.row - b.row || b.span - a.span);
  const out: (T & { lane: number; lanes: number })[] = [];
  let group: (T & { lane: number; lanes: number })[] = [];
  let groupEnd = -1;
  const close = () => {
    const lanes = Math.min(MAX_LANES, Math.max(1, ...group.map((g) => g.lane + 1)));
    for (const g of group) out.push({ ...g, lane: g.lane % MAX_LANES, lanes });
    group = [];
  };
  for (const item of sorted) {
    if (item.row >= groupEnd) close();
    const busy = new Set(group.filter((g) => g.row + g.span > item.row).map((g) => g.lane));
    let lane = 0;
    while (busy.has(lane)) lane++;
    group.push({ ...item, lane, lanes: 1 });
    groupEnd = Math.max(groupEnd, item.row + item.span);
  }
  close();
  return out;
}
