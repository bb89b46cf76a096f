/**
 * Which wall-clock windows a resource has on a given local date
 * (CONTEXT.md, rule 1): holiday → none; override for the date → its windows
 * ([] = closed); otherwise the weekly windows of the date's ISO weekday.
 */
import { isoWeekday, parseHHMM, parseISODate, type EpochDay } from './calendar.ts';
import type { DateRange, ResourceSchedule, WallWindow } from './types.ts';

/** A window as minutes of the local day, 0 <= start < end <= 1440. */
export interface MinuteWindow {
  start: number;
  end: number;
}

export interface DayPlanner {
  /** Index 1..7 = ISO weekday; each list sorted by start. */
  readonly weekly: readonly MinuteWindow[][];
  readonly overrides: ReadonlyMap<EpochDay, MinuteWindow[]>;
  readonly holidays: readonly { from: EpochDay; to: EpochDay }[];
}

/** Parses the schedule once per computation. Throws RangeError on malformed input. */
export function buildDayPlanner(schedule: ResourceSchedule, holidays: readonly DateRange[]): DayPlanner {
  const weekly: MinuteWindow[][] = [[], [], [], [], [], [], [], []];
  for (const w of schedule.weekly) {
    const list = weekly[w.weekday];
    if (list === undefined || w.weekday < 1) throw new RangeError(`Invalid weekday ${String(w.weekday)}`);
    list.push(toMinuteWindow(w));
  }
  for (const list of weekly) list.sort(byStart);
  // Several overrides for one date: the last one in the list wins.
  const overrides = new Map<EpochDay, MinuteWindow[]>();
  for (const o of schedule.overrides) {
    overrides.set(toEpochDay(o.date), o.windows.map(toMinuteWindow).sort(byStart));
  }
  const closures = holidays.map((h) => ({ from: toEpochDay(h.start), to: toEpochDay(h.end) }));
  return { weekly, overrides, holidays: closures };
}

/** The day's windows, or null when the resource is closed that day. */
export function windowsOn(planner: DayPlanner, day: EpochDay): readonly MinuteWindow[] | null {
  if (planner.holidays.some((h) => day >= h.from && day <= h.to)) return null;
  const windows = planner.overrides.get(day) ?? planner.weekly[isoWeekday(day)] ?? [];
  return windows.length === 0 ? null : windows;
}

function toMinuteWindow(w: WallWindow): MinuteWindow {
  const start = parseHHMM(w.start);
  const end = parseHHMM(w.end);
  if (start === null || end === null || start >= end) {
    throw new RangeError(`Invalid window ${w.start}-${w.end}: need HH:MM, start < end`);
  }
  return { start, end };
}

function toEpochDay(date: string): EpochDay {
  const day = parseISODate(date);
  if (day === null) throw new RangeError(`Invalid date ${date}: need YYYY-MM-DD`);
  return day;
}

function byStart(a: MinuteWindow, b: MinuteWindow): number {
  return a.start - b.start || a.end - b.end;
}
