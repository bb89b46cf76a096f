/**
 * When a resource is open, as instants: the engine's own reading of its
 * weekly windows, date overrides and holidays (rules 1–3 of CONTEXT.md), for
 * calendars that show open and closed time rather than bookable slots.
 */
import { buildDayPlanner } from './availability.ts';
import { DAY_MS } from './calendar.ts';
import { windowIntervalsOn } from './rules.ts';
import { buildZoneClock, localDayOf } from './zoneclock.ts';
import type { DateRange, Interval, ResourceSchedule } from './types.ts';

/**
 * The resource's open time within `range`, in order, touching windows
 * merged. A window's wall-clock edges become instants as for slots: a
 * spring-forward gap is never open, a repeated hour is open twice, windows
 * last their real elapsed time.
 */
export function openIntervals(
  resource: Pick<ResourceSchedule, 'timeZone' | 'weekly' | 'overrides'>,
  holidays: readonly DateRange[],
  range: Interval,
): Interval[] {
  if (!(range.start < range.end)) return [];
  const clock = buildZoneClock(resource.timeZone, range.start - 2 * DAY_MS, range.end + 2 * DAY_MS);
  const planner = buildDayPlanner({ resourceId: '', bookings: [], busy: [], ...resource }, holidays);
  const clipped: Interval[] = [];
  // Start a day early: the local day before the range can end inside it.
  for (let day = localDayOf(clock, range.start) - 1; day <= localDayOf(clock, range.end - 1); day++) {
    for (const w of windowIntervalsOn({ clock, planner }, day) ?? []) {
      const start = Math.max(w.start, range.start);
      const end = Math.min(w.end, range.end);
      if (start < end) clipped.push({ start, end });
    }
  }
  return mergeIntervals(clipped);
}

/** Intervals sorted and merged where they overlap or touch. */
export function mergeIntervals(list: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const i of [...list].sort((a, b) => a.start - b.start)) {
    const last = out.at(-1);
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}
